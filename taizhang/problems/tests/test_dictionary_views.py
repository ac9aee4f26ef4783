"""Problem kinds kept by the system administrator, with their self-close rule: pages and
API allowed to him, 403 for clerks, audited; a deactivated kind is no longer offered
for new items but stays on the items of that kind and on their edit form."""

from __future__ import annotations

import pytest
from django.urls import reverse

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.problems import services
from taizhang.problems.forms import ProblemEditForm, ProblemForm
from taizhang.problems.models import ProblemKind
from taizhang.problems.tests.factories import make_problem
from tests.support import PASSWORD, bearer, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def sysadmin(tree):
    return make_user("sysadmin", ("system_admin", ScopeKind.SUBTREE, tree.district))


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def actions():
    return list(AuditEvent.objects.values_list("action", flat=True))


def test_pages_are_the_system_administrators(client, sysadmin, personas):
    """The system administrator opens the list and a kind; a clerk gets 403 on both and
    on the deactivate button."""
    tackling = ProblemKind.objects.get(code="tackling")
    urls = [reverse("problems:kinds"), reverse("problems:kind_edit", args=[tackling.pk])]
    login(client, sysadmin)
    assert [client.get(u).status_code for u in urls] == [200, 200]
    client.logout()
    login(client, personas.district)
    assert [client.get(u).status_code for u in urls] == [403, 403]
    assert client.post(reverse("problems:kind_active", args=[tackling.pk])).status_code == 403
    tackling.refresh_from_db()
    assert tackling.is_active


def test_add_edit_deactivate(client, sysadmin):
    """Add a kind, allow self close-out on it, deactivate it: three audit events."""
    login(client, sysadmin)
    r = client.post(
        reverse("problems:kinds"), {"code": "own_task", "name": "本单位任务", "sort_order": 60}
    )
    assert r.status_code == 302
    kind = ProblemKind.objects.get(code="own_task")
    assert not kind.self_close_allowed
    r = client.post(
        reverse("problems:kind_edit", args=[kind.pk]),
        {"name": "本单位任务", "sort_order": 60, "self_close_allowed": "on"},
    )
    assert r.status_code == 302
    kind.refresh_from_db()
    assert kind.self_close_allowed
    assert AuditEvent.objects.get(action="problem_kind.update").changes == {
        "self_close_allowed": [False, True]
    }
    client.post(reverse("problems:kind_active", args=[kind.pk]))
    kind.refresh_from_db()
    assert not kind.is_active
    assert actions()[-3:] == [
        "problem_kind.create",
        "problem_kind.update",
        "problem_kind.deactivate",
    ]


def test_deactivated_kind_not_offered_but_kept(tree, personas):
    """New-item forms drop a deactivated kind; an item of that kind keeps it and its
    edit form still offers it."""
    survey = ProblemKind.objects.get(code="survey_topic")
    problem = make_problem(tree.community_a, kind=survey)
    services.problem_kind_set_active(kind=survey, active=False, acting_user=SYSTEM)
    problem.refresh_from_db()
    assert problem.kind == survey
    assert survey not in ProblemForm(viewer=personas.district).fields["kind"].queryset
    edit = ProblemEditForm(viewer=personas.district, initial={"kind": survey.pk})
    assert survey in edit.fields["kind"].queryset
    other = ProblemEditForm(viewer=personas.district, initial={"kind": problem.kind_id + 100})
    assert survey not in other.fields["kind"].queryset


def test_kinds_api(client, sysadmin, personas):
    """Create, patch the self-close rule, deactivate; a clerk gets 403."""
    headers = bearer(client, sysadmin)
    made = client.post(
        "/api/v1/problems/kinds/",
        data={"code": "own_task", "name": "本单位任务"},
        content_type="application/json",
        **headers,
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    patched = client.patch(
        f"/api/v1/problems/kinds/{pk}/",
        data={"self_close_allowed": True},
        content_type="application/json",
        **headers,
    )
    assert patched.status_code == 200 and patched.json()["self_close_allowed"] is True
    off = client.post(f"/api/v1/problems/kinds/{pk}/deactivate/", **headers)
    assert off.json()["is_active"] is False
    clerk = bearer(client, personas.district)
    assert (
        client.patch(
            f"/api/v1/problems/kinds/{pk}/",
            data={"name": "x"},
            content_type="application/json",
            **clerk,
        ).status_code
        == 403
    )
    assert client.post(f"/api/v1/problems/kinds/{pk}/reactivate/", **clerk).status_code == 403
