"""Optimistic locking (issue 19): two clerks edit the same project; the second to save
is shown the first one's change instead of overwriting it, on the page and the API."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from taizhang.accounts.models import ScopeKind
from taizhang.core.models import AuditEvent
from taizhang.core.versions import StaleEdit, parse_version, version_of
from taizhang.people.services import person_reveal
from taizhang.projects.models import Project
from taizhang.projects.services import project_update
from taizhang.projects.tests.factories import make_project
from tests.support import PASSWORD, bearer, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(tree):
    return make_project(tree.street_a, "临溪项目")


@pytest.fixture
def colleague(tree):
    """A second clerk of street A."""
    return make_user("street_a2", ("clerk", ScopeKind.SUBTREE, tree.street_a))


def test_a_write_since_the_version_seen_is_refused(project, personas, colleague):
    seen = version_of(project)
    assert seen > 0  # the creation is audited on it
    project_update(project=project, location="甲地", version=seen, acting_user=colleague)
    with translation.override("zh-hans"), pytest.raises(StaleEdit) as stale:
        project_update(
            project=project, location="乙地", version=seen, acting_user=personas.street_a
        )
    message = stale.value.messages[0]
    assert "street_a2" in message and "建设地点" in message
    assert Project.objects.get(pk=project.pk).location == "甲地"
    # With the current version (she has seen the change) her write goes through.
    fresh = version_of(project)
    project_update(project=project, location="乙地", version=fresh, acting_user=personas.street_a)
    assert Project.objects.get(pk=project.pk).location == "乙地"


def test_reads_audited_on_a_record_do_not_change_its_version(tree, personas):
    """Revealing a person's personal data is audited on the person but writes nothing:
    an edit form opened before it is not stale."""
    from taizhang.people.tests.factories import make_person

    member = make_person(tree.street_a, "张三")
    seen = version_of(member)
    person_reveal(person=member, acting_user=personas.district)
    assert AuditEvent.objects.filter(action="person.reveal", object_id=str(member.pk)).exists()
    assert version_of(member) == seen


def test_versions_parse_from_forms_and_headers():
    assert parse_version(None) is None and parse_version("") is None
    assert parse_version("12") == 12 and parse_version('"12"') == 12
    assert parse_version('W/"12"') == 12
    with pytest.raises(ValidationError):
        parse_version("abc")


def test_the_edit_page_shows_the_other_clerks_change_and_keeps_what_was_typed(
    client, project, personas, colleague
):
    url = reverse("projects:edit", args=[project.pk])
    client.login(username="street_a", password=PASSWORD)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    form = page.context["form"]
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in {"co_units", "org", "lead_unit"}
    }
    data.update(
        org=project.org.pk,
        lead_unit=project.lead_unit.pk,
        category=project.category,
        version=page.context["version"],
    )
    # Meanwhile her colleague changes the location.
    project_update(project=project, location="甲地", acting_user=colleague)
    data["location"] = "乙地"
    answer = client.post(url, data, HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = answer.content.decode()
    assert answer.status_code in (200, 422)
    assert "street_a2" in text and "修改了这条记录" in text
    assert 'value="乙地"' in text  # what she typed is kept
    assert Project.objects.get(pk=project.pk).location == "甲地"
    # Sending again (she has now seen it) keeps hers.
    data["version"] = answer.context["version"]
    again = client.post(url, data)
    assert again.status_code == 302
    assert Project.objects.get(pk=project.pk).location == "乙地"


def test_the_api_answers_409_with_the_other_change(client, project, personas, colleague):
    headers = bearer(client, personas.street_a)
    url = f"/api/v1/projects/{project.pk}"
    etag = client.get(url, **headers)["ETag"]
    assert etag == f'"{version_of(project)}"'
    project_update(project=project, location="甲地", acting_user=colleague)
    stale = client.patch(
        url,
        data={"location": "乙地"},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
        **headers,
    )
    assert stale.status_code == 409
    body = stale.json()["error"]
    assert body["code"] == "stale_edit"
    assert body["changed_by"] == "street_a2" and "location" in body["changes"]
    assert body["version"] == version_of(project)
    ok = client.patch(
        url,
        data={"location": "乙地"},
        content_type="application/json",
        HTTP_IF_MATCH=f'"{body["version"]}"',
        **headers,
    )
    assert ok.status_code == 200 and ok.json()["location"] == "乙地"
