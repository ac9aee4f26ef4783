"""The evaluations API follows the same scope, rules and services as the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.evaluations.models import Award, Competition, Score
from taizhang.evaluations.services import award_create, score_record
from taizhang.evaluations.tests.factories import make_competition, make_judge_user, scores_for
from taizhang.organizations.policy import unknown_message
from taizhang.people.tests.factories import make_person
from tests.support import bearer

pytestmark = pytest.mark.django_db
URL = "/api/v1/evaluations"


def test_competitions_are_scoped(client, personas, tree):
    """A's clerk lists A's competition only; B's clerk gets 404 on it."""
    judge = make_judge_user("j1", tree.street_b)
    a = make_competition(
        tree.street_a, entries=[(tree.community_a, "甲")], judges=[judge], name="A"
    )
    make_competition(tree.street_b, entries=[(tree.community_b, "乙")], judges=[judge], name="B")
    body = client.get(f"{URL}/competitions", **bearer(client, personas.street_a)).json()
    assert [item["name"] for item in body["items"]] == ["A"]
    headers = bearer(client, personas.street_b)
    assert client.get(f"{URL}/competitions/{a.pk}", **headers).status_code == 404
    assert client.get(f"{URL}/competitions/999999", **headers).status_code == 404


def test_nobody_is_forbidden(client, personas):
    """Without evaluations.view the API answers 403."""
    assert client.get(f"{URL}/competitions", **bearer(client, personas.nobody)).status_code == 403


def _post(client, user, path, data):
    return client.post(
        f"{URL}{path}", data=data, content_type="application/json", **bearer(client, user)
    )


def _unknown(response, field):
    assert response.status_code == 422, response.content
    return response.json()["error"]["fields"][field]


def test_hidden_and_missing_org_ids_are_the_same_422(client, personas, tree):
    """Naming B's organization or no organization at all: one 422, one message, no row
    (a 403 for an existing id would tell the caller which ids exist)."""
    for path, extra in (
        ("/competitions", {"name": "越权评选", "held_on": "2026-06-01"}),
        ("/awards", {"kind": "advanced_branch", "name": "越权表彰", "year": 2026, "quota": 1}),
    ):
        hidden = _post(client, personas.street_a, path, {"org_id": tree.street_b.pk, **extra})
        missing = _post(client, personas.street_a, path, {"org_id": 999_999, **extra})
        assert _unknown(hidden, "org_id") == _unknown(missing, "org_id") == [unknown_message()]
    assert not Competition.objects.exists() and not Award.objects.exists()


def test_hidden_and_missing_ids_in_entries_judges_and_nominations(client, personas, tree):
    """Entry owner, entrant, judge and nominee ids: hidden and missing answer alike."""
    competition = make_competition(tree.street_a, open_scoring=False)
    award = award_create(
        org=tree.street_a,
        kind="excellent_member",
        name="优秀党员",
        year=2026,
        quota=3,
        acting_user=SYSTEM,
    )
    b_person = make_person(tree.community_b, "乙方人员")
    b_judge = make_judge_user("jb", tree.community_b)
    a = personas.street_a
    cases = [
        (
            f"/competitions/{competition.pk}/entries",
            "org_id",
            lambda pk: {"kind": "organization", "org_id": pk},
            tree.street_b.pk,
        ),
        (
            f"/competitions/{competition.pk}/entries",
            "person_id",
            lambda pk: {"kind": "person", "person_id": pk},
            b_person.pk,
        ),
        (
            f"/competitions/{competition.pk}/judges",
            "user_id",
            lambda pk: {"user_id": pk},
            b_judge.pk,
        ),
        (f"/awards/{award.pk}/nominations", "person_id", lambda pk: {"person_id": pk}, b_person.pk),
    ]
    for path, field, body, hidden_id in cases:
        hidden = _unknown(_post(client, a, path, body(hidden_id)), field)
        missing = _unknown(_post(client, a, path, body(999_999)), field)
        assert hidden == missing == [unknown_message()], path
    assert not competition.entries.exists() and not competition.judges.exists()
    assert not award.nominations.exists()


def test_set_up_score_and_decide(client, personas, tree):
    """Set up through the API, score as a judge (conflict 403, over max 422), then decide."""
    judge = make_judge_user("j1", tree.street_a)
    headers = bearer(client, personas.district)
    response = client.post(
        f"{URL}/competitions",
        data={
            "org_id": tree.district.pk,
            "name": "品牌展演",
            "held_on": "2026-06-01",
            "normalization": "zscore",
            "winners_count": 1,
        },
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201, response.content
    cid = response.json()["id"]
    for name, weight in (("亮点", "0.4"), ("成效", "0.5")):
        response = client.post(
            f"{URL}/competitions/{cid}/criteria",
            data={"name": name, "weight": weight, "max_score": "10"},
            content_type="application/json",
            **headers,
        )
        assert response.status_code == 201
    entries = []
    for org in (tree.community_a, tree.community_b, tree.street_b):
        response = client.post(
            f"{URL}/competitions/{cid}/entries",
            data={"kind": "organization", "org_id": org.pk},
            content_type="application/json",
            **headers,
        )
        assert response.status_code == 201, response.content
        entries.append(response.json()["id"])
    response = client.post(
        f"{URL}/competitions/{cid}/judges",
        data={"user_id": judge.pk},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201, response.content
    response = client.post(
        f"{URL}/competitions/{cid}/open", data={}, content_type="application/json", **headers
    )
    assert response.status_code == 422  # weights sum to 0.9
    assert "0.9" in str(response.json()["error"])
    response = client.post(
        f"{URL}/competitions/{cid}/criteria",
        data={"name": "展示", "weight": "0.1", "max_score": "10"},
        content_type="application/json",
        **headers,
    )
    response = client.post(
        f"{URL}/competitions/{cid}/open", data={}, content_type="application/json", **headers
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "scoring"
    competition = Competition.objects.get(pk=cid)
    judge_headers = bearer(client, judge)
    sheet = client.get(f"{URL}/competitions/{cid}/sheet", **judge_headers).json()
    assert [bool(row["conflict"]) for row in sheet] == [True, False, False]
    put = lambda entry_id, *values: client.put(  # noqa: E731
        f"{URL}/competitions/{cid}/entries/{entry_id}/scores",
        data={"scores": {str(k): str(v) for k, v in scores_for(competition, *values).items()}},
        content_type="application/json",
        **judge_headers,
    )
    refused = put(entries[0], "5", "5", "5")
    assert refused.status_code == 403 and "A1" in refused.json()["error"]["message"]
    assert put(entries[1], "11", "5", "5").status_code == 422
    assert put(entries[1], "9", "8", "7").status_code == 200
    assert put(entries[2], "6", "6", "6").status_code == 200
    assert Score.objects.count() == 6
    results = client.get(f"{URL}/competitions/{cid}/results", **headers).json()
    assert [(r["entry_id"], r["rank"]) for r in results] == [
        (entries[1], 1),
        (entries[2], 2),
        (entries[0], None),
    ]
    response = client.post(
        f"{URL}/competitions/{cid}/decide", data={}, content_type="application/json", **headers
    )
    assert response.json()["status"] == "decided"
    results = client.get(f"{URL}/competitions/{cid}/results", **headers).json()
    assert results[0]["final"] == "1.0000" and results[0]["is_winner"] is True
    assert results[1]["final"] == "-1.0000"


def test_judge_cannot_see_results_before_publication(client, tree):
    """A judge may score but the results stay with the organizers until published (403)."""
    judge = make_judge_user("j1", tree.street_b)
    competition = make_competition(
        tree.district, entries=[(tree.community_a, "甲")], judges=[judge]
    )
    score_record(
        entry=competition.entries.get(),
        judge_user=judge,
        values=scores_for(competition, "1", "1", "1"),
        acting_user=judge,
    )
    headers = bearer(client, judge)
    assert client.get(f"{URL}/competitions/{competition.pk}/results", **headers).status_code == 403
    entries = client.get(f"{URL}/competitions/{competition.pk}/entries", **headers).json()
    assert entries[0]["final_score"] is None


def test_award_flow_through_the_api(client, personas, tree):
    """Create an award, nominate (out-of-scope nominee refused), review and publish."""
    headers = bearer(client, personas.district)
    response = client.post(
        f"{URL}/awards",
        data={
            "org_id": tree.district.pk,
            "kind": "advanced_branch",
            "name": "先进党支部",
            "year": 2026,
            "quota": 2,
        },
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201
    award_id = response.json()["id"]
    response = client.post(
        f"{URL}/awards/{award_id}/nominations",
        data={"org_id": tree.community_a.pk, "deeds": "红色物业"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201, response.content
    nomination_id = response.json()["id"]
    response = client.post(
        f"{URL}/awards/{award_id}/nominations/{nomination_id}/review",
        data={"approve": False},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 422  # a rejection needs a note
    response = client.post(
        f"{URL}/awards/{award_id}/nominations/{nomination_id}/review",
        data={"approve": True},
        content_type="application/json",
        **headers,
    )
    assert response.json()["status"] == "approved"
    response = client.post(
        f"{URL}/awards/{award_id}/publish", data={}, content_type="application/json", **headers
    )
    assert response.status_code == 422  # not on public notice yet
    today = timezone.localdate()
    notice = {"start": str(today - dt.timedelta(days=8)), "end": str(today - dt.timedelta(days=1))}
    response = client.post(
        f"{URL}/awards/{award_id}/notice", data=notice, content_type="application/json", **headers
    )
    assert response.status_code == 200 and response.json()["notice_end"] == notice["end"]
    objection = {"received_on": notice["end"], "text": "反映材料不实", "outcome": "经核实不属实"}
    response = client.post(
        f"{URL}/awards/{award_id}/objections",
        data=objection,
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201
    listed = client.get(f"{URL}/awards/{award_id}/objections", **headers).json()
    assert [(o["text"], o["outcome"]) for o in listed] == [("反映材料不实", "经核实不属实")]
    response = client.post(
        f"{URL}/awards/{award_id}/publish", data={}, content_type="application/json", **headers
    )
    assert response.status_code == 200 and response.json()["published_on"]
    listed = client.get(f"{URL}/awards/{award_id}/published", **bearer(client, personas.street_b))
    assert [n["nominee"] for n in listed.json()] == ["A1 组织"]
    # B's clerk cannot manage the district award
    response = client.post(
        f"{URL}/awards/{award_id}/nominations",
        data={"org_id": tree.community_b.pk},
        content_type="application/json",
        **bearer(client, personas.street_b),
    )
    assert response.status_code == 403
