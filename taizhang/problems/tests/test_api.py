"""The REST endpoints: scoped reads, 404/403/422 where they belong, the lifecycle."""

from __future__ import annotations

import pytest

from taizhang.organizations.models import OrgKind
from taizhang.organizations.policy import unknown_message
from taizhang.people.models import PositionTitle
from taizhang.people.tests.factories import make_person
from taizhang.problems.models import Problem, ProblemState
from taizhang.problems.tests.factories import link_person, make_pending, make_problem, png
from tests.support import bearer, make_org, make_user

pytestmark = pytest.mark.django_db
URL = "/api/v1/problems"


def test_list_is_scoped(client, tree, personas):
    """The API list holds only the caller's problems."""
    make_problem(tree.community_a, title="A的问题")
    make_problem(tree.community_b, title="B的问题")
    response = client.get(URL, **bearer(client, personas.street_b))
    assert response.status_code == 200
    assert [p["title"] for p in response.json()["items"]] == ["B的问题"]


def test_detail_out_of_scope_is_404(client, tree, personas):
    """A's problem is a 404 for B, like a missing one."""
    problem = make_problem(tree.community_a)
    headers = bearer(client, personas.street_b)
    assert client.get(f"{URL}/{problem.pk}", **headers).status_code == 404
    assert client.get(f"{URL}/999999", **headers).status_code == 404


def test_without_function_is_403(client, personas):
    """A user without problems.view is refused."""
    assert client.get(URL, **bearer(client, personas.nobody)).status_code == 403


def test_create_in_scope(client, tree, personas):
    """A clerk creates a problem in her subdistrict."""
    response = client.post(
        URL,
        {
            "org_id": tree.community_a.pk,
            "title": "积水点",
            "source": "survey",
            "deadline": "2099-01-01",
        },
        content_type="application/json",
        **bearer(client, personas.street_a),
    )
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "open"


def test_create_with_out_of_scope_org_is_refused(client, tree, personas):
    """An organization of subdistrict B in A's request body is refused (422, nothing written)."""
    headers = bearer(client, personas.street_a)
    for body in (
        {"org_id": tree.community_b.pk},
        {"org_id": tree.community_a.pk, "lead_unit_id": tree.community_b.pk},
        {"org_id": tree.community_a.pk, "co_unit_ids": [tree.community_b.pk]},
    ):
        payload = {"title": "越权", "source": "survey", "deadline": "2099-01-01", **body}
        response = client.post(URL, payload, content_type="application/json", **headers)
        assert response.status_code == 422, body
    assert not Problem.objects.exists()


def test_lifecycle_and_double_close(client, tree, personas):
    """start → submit (multipart) → verify; closing again answers 422."""
    link_person(personas.district, tree.district, "李验收")
    problem = make_problem(tree.community_a)
    clerk = bearer(client, personas.street_a)
    assert (
        client.post(
            f"{URL}/{problem.pk}/start", {}, content_type="application/json", **clerk
        ).status_code
        == 200
    )
    response = client.post(
        f"{URL}/{problem.pk}/submit",
        {"evidence_text": "完成改造并经居民代表确认", "files": [png()]},
        **clerk,
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == ProblemState.PENDING
    verifier = bearer(client, personas.district)
    response = client.post(
        f"{URL}/{problem.pk}/verify", {"note": "ok"}, content_type="application/json", **verifier
    )
    assert response.status_code == 200 and response.json()["state"] == "closed"
    again = client.post(
        f"{URL}/{problem.pk}/verify", {}, content_type="application/json", **verifier
    )
    assert again.status_code == 422


def test_submit_without_evidence_is_422(client, tree, personas):
    """Submitting with no file is a validation error."""
    problem = make_problem(tree.community_a)
    clerk = bearer(client, personas.street_a)
    client.post(f"{URL}/{problem.pk}/start", {}, content_type="application/json", **clerk)
    response = client.post(
        f"{URL}/{problem.pk}/submit", {"evidence_text": "完成改造并经居民代表确认"}, **clerk
    )
    assert response.status_code == 422


def test_neighbour_cannot_verify(client, tree, personas):
    """B's clerk gets 404 on A's problem actions."""
    problem = make_pending(tree.community_a)
    response = client.post(
        f"{URL}/{problem.pk}/verify",
        {},
        content_type="application/json",
        **bearer(client, personas.street_b),
    )
    assert response.status_code == 404


def test_kind_dictionary_over_the_api(client, tree, personas):
    """Clerks read the kinds; only a holder of problems.configure adds one."""
    from taizhang.accounts.models import ScopeKind
    from tests.support import make_user

    kinds = client.get(f"{URL}/kinds/", **bearer(client, personas.street_a)).json()
    assert [k["name"] for k in kinds][:2] == ["问题", "攻关事项"]
    body = {"code": "pilot", "name": "试点事项"}
    refused = client.post(
        f"{URL}/kinds/", body, content_type="application/json", **bearer(client, personas.street_a)
    )
    assert refused.status_code == 403
    admin = make_user("sysadmin", ("system_admin", ScopeKind.SUBTREE, tree.district))
    created = client.post(
        f"{URL}/kinds/", body, content_type="application/json", **bearer(client, admin)
    )
    assert created.status_code == 201 and created.json()["name"] == "试点事项"


def _post(client, headers, **body):
    payload = {"title": "跨区问题", "source": "survey", "deadline": "2099-01-01", **body}
    return client.post(URL, payload, content_type="application/json", **headers)


def test_hidden_and_missing_ids_get_the_same_422(client, tree, personas):
    """Every id in the body: an existing one outside the caller's scope answers exactly
    like one that does not exist."""
    headers = bearer(client, personas.street_a)
    b_person = make_person(tree.community_b, "乙街道的人")
    from taizhang.activities.tests.factories import make_activity

    b_origin = make_activity(tree.community_b)
    a = tree.community_a.pk
    cases = {
        "org_id": ({"org_id": tree.community_b.pk}, {"org_id": 999_999}),
        "lead_unit_id": (
            {"org_id": a, "lead_unit_id": tree.community_b.pk},
            {"org_id": a, "lead_unit_id": 999_999},
        ),
        "co_unit_ids": (
            {"org_id": a, "co_unit_ids": [tree.community_b.pk]},
            {"org_id": a, "co_unit_ids": [999_999]},
        ),
        "responsible_id": (
            {"org_id": a, "responsible_id": b_person.pk},
            {"org_id": a, "responsible_id": 999_999},
        ),
        "linked_leader_id": (
            {"org_id": a, "linked_leader_id": b_person.pk},
            {"org_id": a, "linked_leader_id": 999_999},
        ),
        "origin_id": (
            {"org_id": a, "origin_type": "activities.activity", "origin_id": b_origin.pk},
            {"org_id": a, "origin_type": "activities.activity", "origin_id": 999_999},
        ),
    }
    for field, (hidden, missing) in cases.items():
        answers = [_post(client, headers, **body) for body in (hidden, missing)]
        assert [r.status_code for r in answers] == [422, 422], field
        assert answers[0].json() == answers[1].json(), field
        assert unknown_message() in str(answers[0].json()), field
    assert not Problem.objects.exists()


def test_bureau_as_lead_unit_over_the_api(client, tree, personas):
    """street_a names a district bureau as lead unit; the bureau's clerk then reads it,
    street_b still gets a 404."""
    bureau = make_org(tree.district, "GA", OrgKind.ORGAN)
    leader = make_person(bureau, "钱局长", title=PositionTitle.DIRECTOR)
    response = _post(
        client,
        bearer(client, personas.street_a),
        org_id=tree.street_a.pk,
        lead_unit_id=bureau.pk,
        linked_leader_id=leader.pk,
    )
    assert response.status_code == 201, response.content
    problem_id = response.json()["id"]
    clerk = make_user("bureau_api", ("clerk", "subtree", bureau))
    assert client.get(f"{URL}/{problem_id}", **bearer(client, clerk)).status_code == 200
    assert client.get(f"{URL}/{problem_id}", **bearer(client, personas.street_b)).status_code == 404
