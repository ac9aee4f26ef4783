"""Issue 15 §2: named assistance projects under a pair (帮扶项目) — the service, its
scope and audit, the pair page, the export, the API and the briefing figures."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.core.registry import METRICS
from taizhang.core.versions import StaleEdit, version_of
from taizhang.pairing.models import AssistanceProject, ProjectState
from taizhang.pairing.services import assistance_project_create, assistance_project_update
from taizhang.pairing.tests.factories import FIRST_YEAR, THIS_YEAR, make_organ, make_pair
from taizhang.statistics import briefings, figures
from taizhang.statistics.periods import Period
from tests.support import PASSWORD, bearer

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _project(pair, user=SYSTEM, **kwargs):
    values = {
        "name": "村级光伏电站",
        "funds": 1_200_000,
        "state": ProjectState.UNDERWAY,
        "starts_on": dt.date(FIRST_YEAR, 4, 1),
        "acting_user": user,
    }
    values.update(kwargs)
    return assistance_project_create(pair=pair, **values)


def test_a_project_is_recorded_under_a_pair_scoped_and_audited(tree, personas):
    """A's clerk adds a project to a pair of A's village (the pair's helper by default,
    one audit event); B's clerk may neither add nor change it."""
    organ = make_organ(tree)
    pair = make_pair(organ, tree.community_a)
    before = AuditEvent.objects.count()
    project = _project(pair, personas.street_a)
    assert project.helper == organ
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert event.action == "assistance_project.create"
    assert event.changes["funds"] == [None, 1_200_000]
    assert event.changes["pair"] == [None, pair.pk]
    with pytest.raises(PermissionDenied):
        _project(pair, personas.street_b, name="越权项目")
    with pytest.raises(PermissionDenied):
        assistance_project_update(project=project, funds=1, acting_user=personas.street_b)
    assert AssistanceProject.objects.count() == 1


def test_states_and_dates_follow_the_rules(tree, personas):
    pair = make_pair(make_organ(tree), tree.community_a)
    refused = {
        "completed_on": {"state": ProjectState.DONE},  # completed needs the date
        "funds": {"funds": -1},
        "name": {"name": "  "},
    }
    for field, wrong in refused.items():
        with pytest.raises(ValidationError) as error:
            _project(pair, personas.street_a, **wrong)
        assert field in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        _project(pair, completed_on=dt.date(FIRST_YEAR, 9, 1))  # not completed
    assert "completed_on" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        _project(pair, state=ProjectState.DONE, completed_on=dt.date(FIRST_YEAR, 3, 1))
    assert "completed_on" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        _project(pair, starts_on=TODAY + dt.timedelta(days=30))  # under way, not started
    assert "starts_on" in error.value.message_dict
    planned = _project(pair, state=ProjectState.PLANNING, starts_on=TODAY + dt.timedelta(days=30))
    assert planned.state == ProjectState.PLANNING
    assert AssistanceProject.objects.count() == 1


def test_completing_a_project_is_an_audited_versioned_update(tree, personas):
    pair = make_pair(make_organ(tree), tree.community_a)
    project = _project(pair)
    seen = version_of(project)
    assistance_project_update(
        project=project,
        state=ProjectState.DONE,
        completed_on=dt.date(FIRST_YEAR, 10, 30),
        version=seen,
        acting_user=personas.street_a,
    )
    event = AuditEvent.objects.latest("id")
    assert event.action == "assistance_project.update"
    assert event.changes["state"] == ["underway", "done"]
    # An editor who opened the project before that change is refused.
    with pytest.raises(StaleEdit):
        assistance_project_update(
            project=project, funds=5, version=seen, acting_user=personas.street_a
        )
    project.refresh_from_db()
    assert project.funds == 1_200_000


def test_the_pair_page_lists_adds_and_edits_projects_in_wan(client, personas, tree):
    pair = make_pair(make_organ(tree), tree.community_a)
    _project(pair, name="党群服务中心改造", funds=300_000)
    login(client, personas.street_a)
    url = reverse("pairing:pair_detail", args=[pair.pk])
    body = client.get(url).content.decode()
    assert "党群服务中心改造" in body and 'id="add-project"' in body
    response = client.post(
        reverse("pairing:project_create", args=[pair.pk]),
        {
            "project-name": "村口小游园提升改造",
            "project-funds": "45.5",
            "project-state": "underway",
            "project-starts_on": dt.date(FIRST_YEAR, 5, 1).isoformat(),
        },
    )
    assert response.status_code == 302
    park = AssistanceProject.objects.get(name="村口小游园提升改造")
    assert park.funds == 455_000
    assert response["Location"].endswith(f"#project-{park.pk}")
    edit = reverse("pairing:project_edit", args=[pair.pk, park.pk])
    form = client.get(edit).content.decode()
    assert 'value="45.5"' in form and 'name="version"' in form
    response = client.post(
        edit,
        {
            "name": "村口小游园提升改造",
            "funds": "50",
            "state": "done",
            "starts_on": dt.date(FIRST_YEAR, 5, 1).isoformat(),
            "completed_on": dt.date(FIRST_YEAR, 11, 1).isoformat(),
            "version": version_of(park),
        },
    )
    assert response.status_code == 302
    park.refresh_from_db()
    assert (park.funds, park.state) == (500_000, ProjectState.DONE)
    body = client.get(url).content.decode()
    assert 'id="project-totals"' in body
    # B's clerk: the pair and its projects are not there.
    login(client, personas.street_b)
    assert client.get(edit).status_code == 404
    response = client.post(
        reverse("pairing:project_create", args=[pair.pk]),
        {"project-name": "越权", "project-state": "underway", "project-starts_on": "2025-01-01"},
    )
    assert response.status_code == 404
    assert not AssistanceProject.objects.filter(name="越权").exists()


def test_the_pair_export_and_the_api_carry_the_projects(client, personas, tree):
    pair = make_pair(make_organ(tree), tree.community_a)
    _project(pair, name="村级光伏电站", funds=1_200_000)
    _project(
        pair,
        name="农产品冷链仓储",
        funds=800_000,
        state=ProjectState.DONE,
        completed_on=dt.date(FIRST_YEAR, 12, 1),
    )
    client.force_login(personas.street_a)
    with translation.override("zh-hans"):
        response = client.get(f"/pairing/export/?year={FIRST_YEAR}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    rows = [list(r) for r in load_workbook(io.BytesIO(response.content)).worksheets[0].values]
    header, data = rows[1], rows[2:]
    funds = next(i for i, h in enumerate(header) if h and "资金" in str(h))
    assert data[0][funds] == 200
    assert "村级光伏电站、农产品冷链仓储" in data[0]
    api = client.get(
        f"/api/v1/pairing/pairs/{pair.pk}/projects", **bearer(client, personas.street_a)
    )
    assert [(p["name"], p["funds"], p["state"]) for p in api.json()] == [
        ("村级光伏电站", 1_200_000, "underway"),
        ("农产品冷链仓储", 800_000, "done"),
    ]
    other = client.get(
        f"/api/v1/pairing/pairs/{pair.pk}/projects", **bearer(client, personas.street_b)
    )
    assert other.status_code == 404


def test_the_briefing_figures_count_projects_funds_and_completed(tree, personas):
    """帮扶项目N个（其中已完成M个），投入帮扶资金X万元: projects started in the period and
    not still being planned, booked on the village; the sibling street sees none."""
    pair = make_pair(make_organ(tree), tree.community_a)
    _project(pair, funds=1_200_000)
    _project(
        pair,
        name="特色民宿改造",
        funds=600_000,
        state=ProjectState.DONE,
        completed_on=dt.date(FIRST_YEAR, 9, 1),
    )
    _project(pair, name="谋划中项目", funds=9_000_000, state=ProjectState.PLANNING)
    _project(pair, name="往年项目", funds=100_000, starts_on=dt.date(FIRST_YEAR - 1, 5, 1))
    period = Period("year", dt.date(FIRST_YEAR, 1, 1), dt.date(FIRST_YEAR, 12, 31))

    def value(name, viewer=personas.street_a, org=tree.street_a):
        return figures.compute(viewer, METRICS[name], org, period)

    assert value("pairing.assistance_projects") == 2
    assert value("pairing.assistance_projects_done") == 1
    assert value("pairing.assistance_funds") == 1_800_000
    assert value("pairing.assistance_projects", personas.street_b, tree.street_b) == 0
    assert METRICS["pairing.assistance_projects_done"].part_of == "pairing.assistance_projects"
    with translation.override("zh-hans"):
        sections = briefings.compose(personas.street_a, tree.street_a, period)
        pairing = next(s for s in sections if s.module == "pairing")
        text = briefings.paragraph_text(pairing)
    assert "帮扶项目2个（其中已完成1个）" in text, text
    assert "180万元" in text, text
    assert THIS_YEAR >= FIRST_YEAR
