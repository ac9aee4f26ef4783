"""集中开工 (issue 15): a dated batch of projects that break ground together, its pages,
its scope and audit, and the briefing's figures 组织集中开工N批次，集中开工项目M个，总投资X."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation

from taizhang.core.models import AuditEvent
from taizhang.projects import services
from taizhang.projects.models import Project, Stage
from taizhang.projects.permissions import BATCH_POLICY
from taizhang.projects.tests.factories import make_batch, make_project
from taizhang.statistics import briefings, rollups
from taizhang.statistics.models import MonthlyFigure
from taizhang.statistics.periods import Period
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def batch(tree):
    return make_batch(tree.district, "第四批重大项目集中开工", held_on=TODAY - dt.timedelta(days=3))


def test_projects_join_and_break_ground_on_the_batch_day(batch, tree, personas):
    waiting = make_project(tree.street_a, "临溪新材料产业园")
    started = make_project(
        tree.street_b, "望澜医院", stage=Stage.CONSTRUCTION, stage_since=TODAY - dt.timedelta(10)
    )
    added = services.batch_add_projects(
        batch=batch, projects=[waiting, started], break_ground=True, acting_user=personas.district
    )
    assert {p.pk for p in added} == {waiting.pk, started.pk}
    waiting.refresh_from_db()
    started.refresh_from_db()
    assert waiting.start_batch == batch and started.start_batch == batch
    # Not yet started: it broke ground on the batch's day, entered late (补录).
    assert waiting.stage == Stage.STARTED and waiting.stage_since == batch.held_on
    change = waiting.stage_changes.get(to_stage=Stage.STARTED)
    assert change.changed_on == batch.held_on and change.late_reason
    # Already further along: its stage is left alone.
    assert started.stage == Stage.CONSTRUCTION
    actions = set(
        AuditEvent.objects.filter(object_id=str(waiting.pk)).values_list("action", flat=True)
    )
    assert {"project.batch_join", "project.stage_move"} <= actions
    assert AuditEvent.objects.filter(
        action="start_batch.add_projects", object_id=str(batch.pk)
    ).exists()
    # Adding again is harmless; a project is in one batch only.
    services.batch_add_projects(batch=batch, projects=[waiting], acting_user=personas.district)
    other = make_batch(tree.district, "第五批")
    with pytest.raises(ValidationError):
        services.batch_add_projects(batch=other, projects=[waiting], acting_user=personas.district)


def test_a_batch_still_to_come_lists_projects_but_breaks_no_ground(tree, personas):
    coming = make_batch(tree.district, "下月集中开工", held_on=TODAY + dt.timedelta(days=20))
    project = make_project(tree.street_a, "待开工项目")
    with pytest.raises(ValidationError):
        services.batch_add_projects(
            batch=coming, projects=[project], break_ground=True, acting_user=personas.district
        )
    assert Project.objects.get(pk=project.pk).start_batch is None  # nothing half-written
    services.batch_add_projects(batch=coming, projects=[project], acting_user=personas.district)
    project.refresh_from_db()
    assert project.start_batch == coming and project.stage == Stage.PLANNING


def test_all_or_nothing_when_one_project_cannot_break_ground(batch, tree, personas):
    fine = make_project(tree.street_a, "能开工的")
    # Put on the ledger after the batch day and moved since: it cannot break ground then.
    late = make_project(tree.street_a, "后来的", stage_since=TODAY - dt.timedelta(days=1))
    services.project_stage_move(
        project=late, to_stage=Stage.PRELIMINARY, on=TODAY, acting_user=personas.district
    )
    with pytest.raises(ValidationError) as refused:
        services.batch_add_projects(
            batch=batch, projects=[fine, late], break_ground=True, acting_user=personas.district
        )
    assert "后来的" in refused.value.messages[0]
    fine.refresh_from_db()
    assert fine.start_batch is None and fine.stage == Stage.PLANNING


def test_scope_a_clerk_cannot_put_another_streets_project_or_run_the_district_batch(
    batch, tree, personas
):
    theirs = make_project(tree.street_b, "望澜项目")
    with pytest.raises(PermissionDenied):
        services.batch_add_projects(batch=batch, projects=[theirs], acting_user=personas.street_a)
    own_batch = make_batch(tree.street_a, "临溪街道集中开工")
    with pytest.raises(PermissionDenied):
        services.batch_add_projects(
            batch=own_batch, projects=[theirs], acting_user=personas.street_a
        )
    with pytest.raises(PermissionDenied):
        services.batch_create(
            org=tree.district, name="越权", held_on=TODAY, acting_user=personas.street_a
        )


def test_a_clerk_sees_the_district_batch_of_her_project_and_only_her_projects_in_it(
    client, batch, tree, personas
):
    mine = make_project(tree.street_a, "临溪项目")
    theirs = make_project(tree.street_b, "望澜项目", total_investment=9_000_000_000)
    services.batch_add_projects(batch=batch, projects=[mine, theirs], acting_user=personas.district)
    assert BATCH_POLICY.covers(personas.street_a, batch)
    assert not BATCH_POLICY.can_manage(personas.street_a, batch)
    hidden = make_batch(tree.district, "没有她的项目的一批")
    assert not BATCH_POLICY.covers(personas.street_a, hidden)

    client.login(username="street_a", password=PASSWORD)
    page = client.get(reverse("projects:batch_detail", args=[batch.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "临溪项目" in text and "望澜项目" not in text
    assert page.context["totals"]["count"] == 1
    assert page.context["add_form"] is None  # she does not run the district's batch
    listing = client.get(reverse("projects:batches")).content.decode()
    assert "第四批重大项目集中开工" in listing and "没有她的项目的一批" not in listing
    assert client.get(reverse("projects:batch_detail", args=[hidden.pk])).status_code == 404
    assert client.post(reverse("projects:batch_add", args=[batch.pk])).status_code == 403
    detail = client.get(reverse("projects:detail", args=[mine.pk])).content.decode()
    assert "第四批重大项目集中开工" in detail


def test_the_pages_create_a_batch_and_put_projects_in_it(client, tree, personas):
    project = make_project(tree.street_a, "临溪智造园")
    client.login(username="district", password=PASSWORD)
    held_on = TODAY - dt.timedelta(days=1)
    response = client.post(
        reverse("projects:batch_create"),
        {"name": "第三批集中开工", "org": tree.district.pk, "held_on": held_on.isoformat()},
    )
    assert response.status_code == 302
    batch = BATCH_POLICY.model.objects.get(name="第三批集中开工")
    page = client.get(reverse("projects:batch_detail", args=[batch.pk]), {"q": "智造"})
    assert [p.pk for p in page.context["add_form"].fields["projects"].queryset] == [project.pk]
    response = client.post(
        reverse("projects:batch_add", args=[batch.pk]),
        {"projects": [project.pk], "break_ground": "on"},
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.start_batch == batch and project.stage == Stage.STARTED
    # Nothing chosen: the form says so and nothing changes.
    again = client.post(reverse("projects:batch_add", args=[batch.pk]), {})
    assert again.status_code == 422
    response = client.post(reverse("projects:batch_remove", args=[batch.pk, project.pk]))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.start_batch is None and project.stage == Stage.STARTED
    assert AuditEvent.objects.filter(action="project.batch_leave").exists()


def test_editing_a_stale_batch_is_refused(batch, personas):
    from taizhang.core.versions import StaleEdit, version_of

    seen = version_of(batch)
    services.batch_update(
        batch=batch, place="区行政中心", version=seen, acting_user=personas.district
    )
    with pytest.raises(StaleEdit):
        services.batch_update(
            batch=batch, place="别处", version=seen, acting_user=personas.district
        )


def _stored(metric: str, org) -> int:
    value = MonthlyFigure.objects.filter(metric=metric, org=org).aggregate(v=Sum("value"))["v"]
    return int(value or 0)


def test_figures_count_the_batch_on_its_organizer_and_projects_on_their_own(batch, tree, personas):
    a = make_project(tree.street_a, "甲", total_investment=3_000_000_000)
    b = make_project(tree.community_a, "乙", total_investment=1_630_000_000)
    rollups.refresh_all()
    services.batch_add_projects(batch=batch, projects=[a, b], acting_user=personas.district)
    assert rollups.check() == []
    assert _stored("projects.batches", tree.district) == 1
    assert _stored("projects.batches", tree.street_a) == 0
    assert _stored("projects.batch_projects", tree.street_a) == 2
    assert _stored("projects.batch_investment", tree.district) == 4_630_000_000
    # The batch moves to another month: its projects move with it in the stored figures.
    services.batch_update(
        batch=batch, held_on=batch.held_on - dt.timedelta(days=40), acting_user=personas.district
    )
    assert rollups.check() == []
    services.batch_remove_project(batch=batch, project=b, acting_user=personas.district)
    assert rollups.check() == []
    assert _stored("projects.batch_projects", tree.district) == 1


def test_the_briefing_says_how_many_broke_ground_together(batch, tree, personas):
    a = make_project(tree.street_a, "甲", total_investment=3_000_000_000)
    b = make_project(tree.street_b, "乙", total_investment=2_630_000_000)
    services.batch_add_projects(batch=batch, projects=[a, b], acting_user=personas.district)
    held = batch.held_on
    with translation.override("zh-hans"):
        sections = briefings.compose(
            personas.district, tree.district, Period.month(held.year, held.month)
        )
        projects = next(s for s in sections if s.module == "projects")
        text = briefings.paragraph_text(projects)
    assert "组织集中开工1批次" in text
    assert "集中开工项目2个，总投资56.3亿元" in text
