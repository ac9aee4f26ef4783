"""Pages of evaluations: scope, the greyed conflicts, forms, and bounded queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.evaluations.models import Competition, Nomination, Score
from taizhang.evaluations.services import (
    award_create,
    nomination_create,
    nomination_review,
    score_record,
)
from taizhang.evaluations.tests.factories import make_competition, make_judge_user, scores_for
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_nobody_is_refused(client, personas):
    """Without evaluations.view every page is a 403."""
    login(client, personas.nobody)
    for name in ("competitions", "awards"):
        assert client.get(reverse(f"evaluations:{name}")).status_code == 403


def test_competition_detail_out_of_scope_is_404(client, personas, tree):
    """B's clerk gets 404 for A's competition and for a missing one."""
    judge = make_judge_user("j1", tree.street_b)
    competition = make_competition(
        tree.street_a, entries=[(tree.community_a, "甲")], judges=[judge]
    )
    login(client, personas.street_b)
    for pk in (competition.pk, 999_999):
        assert client.get(reverse("evaluations:competition_detail", args=[pk])).status_code == 404
    body = client.get(reverse("evaluations:competitions")).content.decode()
    assert competition.name not in body


def test_set_up_a_competition_through_the_pages(client, personas, tree):
    """Create, add criteria, an entry and a judge, then open scoring."""
    judge = make_judge_user("j1", tree.street_b)
    login(client, personas.district)
    response = client.post(
        reverse("evaluations:competitions"),
        {
            "name": "机关党建品牌展演",
            "org": tree.district.pk,
            "held_on": "2026-06-01",
            "normalization": "minmax",
            "winners_count": 3,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    competition = Competition.objects.get()
    add = lambda what, data: client.post(  # noqa: E731
        reverse("evaluations:competition_add", args=[competition.pk, what]), data
    )
    assert (
        add(
            "criterion",
            {"criterion-name": "亮点", "criterion-weight": "60", "criterion-max_score": "60"},
        ).status_code
        == 302
    )  # noqa: E501
    assert (
        add(
            "entry",
            {"entry-kind": "brand", "entry-title": "红色驿站", "entry-org": tree.community_a.pk},
        ).status_code
        == 302
    )  # noqa: E501
    assert add("judge", {"judge-user": judge.pk}).status_code == 302
    step = reverse("evaluations:competition_step", args=[competition.pk, "open"])
    response = client.post(step, {}, follow=True)
    assert "100" in response.content.decode()  # weights sum to 60: refused with a message
    assert (
        add(
            "criterion",
            {"criterion-name": "成效", "criterion-weight": "40", "criterion-max_score": "40"},
        ).status_code
        == 302
    )  # noqa: E501
    client.post(step, {})
    competition.refresh_from_db()
    assert competition.status == "scoring"


def test_brand_entry_without_owner_is_422(client, personas, tree):
    """A brand needs its owning organization; the form comes back with the error."""
    competition = make_competition(tree.district, open_scoring=False)
    login(client, personas.district)
    response = client.post(
        reverse("evaluations:competition_add", args=[competition.pk, "entry"]),
        {"entry-kind": "brand", "entry-title": "无主品牌"},
    )
    assert response.status_code == 422
    assert not competition.entries.exists()


def test_judge_sheet_greys_the_conflicted_entry(client, tree):
    """The sheet shows the conflicted entry greyed with the reason, and no score link."""
    judge = make_judge_user("j1", tree.street_a)
    competition = make_competition(
        tree.district,
        entries=[(tree.community_a, "自家品牌"), (tree.community_b, "邻家品牌")],
        judges=[judge],
    )
    own, other = competition.entries.order_by("number")
    login(client, judge)
    body = client.get(reverse("evaluations:judge_sheet", args=[competition.pk])).content.decode()
    assert f'class="conflict" data-entry="{own.pk}"' in body
    assert reverse("evaluations:score", args=[competition.pk, other.pk]) in body
    assert reverse("evaluations:score", args=[competition.pk, own.pk]) not in body
    response = client.post(
        reverse("evaluations:score", args=[competition.pk, own.pk]),
        {f"c{c.pk}": "1" for c in competition.criteria.all()},
    )
    assert response.status_code == 302
    assert not Score.objects.filter(entry=own).exists()


def test_judge_scores_and_over_max_is_422(client, tree):
    """Scores above a criterion's max re-render with 422; valid ones are saved."""
    judge = make_judge_user("j1", tree.street_b)
    competition = make_competition(
        tree.district, entries=[(tree.community_a, "甲")], judges=[judge]
    )
    entry = competition.entries.get()
    login(client, judge)
    url = reverse("evaluations:score", args=[competition.pk, entry.pk])
    criteria = list(competition.criteria.all())
    bad = {f"c{c.pk}": "99" for c in criteria}
    assert client.post(url, bad).status_code == 422
    good = {f"c{c.pk}": v for c, v in zip(criteria, ["28", "36.5", "27"], strict=True)}
    assert client.post(url, good).status_code == 302
    assert Score.objects.filter(entry=entry).count() == 3


def test_non_judge_cannot_open_the_sheet(client, personas, tree):
    """A clerk who is not a judge gets 403 on the sheet."""
    judge = make_judge_user("j1", tree.street_b)
    competition = make_competition(
        tree.district, entries=[(tree.community_a, "甲")], judges=[judge]
    )
    login(client, personas.district)
    assert client.get(reverse("evaluations:judge_sheet", args=[competition.pk])).status_code == 403


def test_competition_detail_query_count(client, personas, tree, django_assert_max_num_queries):
    """A competition with 30 entries and 3 judges renders in a bounded number of queries."""
    judges = [make_judge_user(f"j{i}", tree.street_b) for i in range(3)]
    competition = make_competition(
        tree.district,
        entries=[(tree.community_a, f"品牌{i}") for i in range(30)],
        judges=judges,
    )
    for judge in judges:
        for entry in competition.entries.all()[:10]:
            score_record(
                entry=entry,
                judge_user=judge,
                values=scores_for(competition, "20", "30", "20"),
                acting_user=judge,
            )
    login(client, personas.district)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("evaluations:competition_detail", args=[competition.pk]))
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("evaluations:competitions")).status_code == 200


def test_award_pages_and_published_list(client, personas, tree):
    """Nominate, approve and publish through the pages; the published list is a page."""
    award = award_create(
        org=tree.district,
        kind="advanced_branch",
        name="2026年度先进党支部",
        year=2026,
        quota=5,
        acting_user=SYSTEM,
    )
    login(client, personas.district)
    response = client.post(
        reverse("evaluations:nominate", args=[award.pk]),
        {"nominate-org": tree.community_a.pk, "nominate-deeds": "红色物业"},
    )
    assert response.status_code == 302
    nomination = Nomination.objects.get()
    client.post(
        reverse("evaluations:review", args=[award.pk, nomination.pk]),
        {"review-decision": "approve"},
    )
    # Not final before a public notice has ended (公示).
    response = client.post(reverse("evaluations:award_publish", args=[award.pk]), {})
    assert response["Location"] == reverse("evaluations:award_detail", args=[award.pk])
    today = timezone.localdate()
    response = client.post(
        reverse("evaluations:award_notice", args=[award.pk]),
        {
            "notice-start": (today - dt.timedelta(days=7)).isoformat(),
            "notice-end": (today - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 302
    body = client.get(reverse("evaluations:award_detail", args=[award.pk])).content.decode()
    assert 'id="notice"' in body and 'id="objections"' in body and 'id="record-objection"' in body
    assert 'id="nominate"' not in body  # nominations are closed while on notice
    response = client.post(reverse("evaluations:award_publish", args=[award.pk]), {})
    assert response["Location"] == reverse("evaluations:award_published", args=[award.pk])
    login(client, personas.street_b)
    body = client.get(response["Location"]).content.decode()
    assert "A1 组织" in body and "2026年度先进党支部" in body


def test_unpublished_list_is_404(client, personas, tree):
    """The published-list page of an unpublished award is a 404."""
    award = award_create(
        org=tree.district,
        kind="advanced_branch",
        name="先进党支部",
        year=2026,
        quota=10,
        acting_user=SYSTEM,
    )
    nomination = nomination_create(award=award, org=tree.community_a, acting_user=SYSTEM)
    nomination_review(nomination=nomination, approve=True, acting_user=SYSTEM)
    login(client, personas.district)
    assert client.get(reverse("evaluations:award_published", args=[award.pk])).status_code == 404


def test_award_list_query_count(client, personas, tree, django_assert_max_num_queries):
    """The award list runs a bounded number of queries with 20 awards."""
    for i in range(20):
        award_create(
            org=tree.district, kind="other", name=f"表彰{i}", year=2026, quota=3, acting_user=SYSTEM
        )
    login(client, personas.district)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("evaluations:awards")).status_code == 200


def test_award_detail_query_count(client, personas, tree, django_assert_max_num_queries):
    """An award with 40 nominations renders in a bounded number of queries."""
    from tests.support import make_org

    award = award_create(
        org=tree.district,
        kind="advanced_branch",
        name="先进",
        year=2026,
        quota=50,
        acting_user=SYSTEM,
    )
    for i in range(40):
        nomination_create(award=award, org=make_org(tree.community_a, f"Z{i}"), acting_user=SYSTEM)
    login(client, personas.district)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("evaluations:award_detail", args=[award.pk]))
    assert response.status_code == 200
    assert response.content.decode().count('data-status="nominated"') == 40


def test_subdistrict_clerk_nominates_to_the_district_award(client, personas, tree):
    """A's clerk nominates her community to a district award; she cannot nominate B's or
    review; B's clerk does not see A's nomination on the award page."""
    award = award_create(
        org=tree.district,
        kind="advanced_branch",
        name="先进党支部",
        year=2026,
        quota=5,
        acting_user=SYSTEM,
    )
    login(client, personas.street_a)
    url = reverse("evaluations:nominate", args=[award.pk])
    assert client.post(url, {"nominate-org": tree.community_a.pk}).status_code == 302
    assert client.post(url, {"nominate-org": tree.community_b.pk}).status_code == 422
    nomination = Nomination.objects.get()
    response = client.post(
        reverse("evaluations:review", args=[award.pk, nomination.pk]),
        {"review-decision": "approve"},
    )
    assert response.status_code == 403
    login(client, personas.street_b)
    body = client.get(reverse("evaluations:award_detail", args=[award.pk])).content.decode()
    assert 'id="nominate"' in body and "A1 组织" not in body.split('id="nominate"')[0]
