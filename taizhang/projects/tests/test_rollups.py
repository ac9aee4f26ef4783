"""The monthly figures of the project ledger stay equal to the records after every
service (ADR 0044): the services report what they wrote, no model signal does it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum
from django.utils import timezone

from taizhang.projects import services
from taizhang.projects.models import Stage
from taizhang.projects.tests.factories import make_project
from taizhang.statistics import rollups
from taizhang.statistics.models import MonthlyFigure

pytestmark = pytest.mark.django_db


def _total(metric: str, org) -> int:
    """The stored figure of ``metric`` for ``org``'s subtree, over all months."""
    value = MonthlyFigure.objects.filter(metric=metric, org=org).aggregate(v=Sum("value"))["v"]
    return int(value or 0)


def test_figures_follow_every_service(tree, personas):
    clerk = personas.street_a
    today = timezone.localdate()
    make_project(tree.street_a, "刷新前已有", stage=Stage.STARTED)
    rollups.refresh_all()
    assert rollups.check() == []
    count = _total("projects.count", tree.district)
    started = _total("projects.started", tree.district)

    project = services.project_create(
        org=tree.community_a,
        name="临溪新项目",
        category="industry",
        lead_unit=tree.street_a,
        total_investment=500_000_000,
        stage_since=today - dt.timedelta(days=30),
        acting_user=clerk,
    )
    assert _total("projects.count", tree.district) == count + 1
    assert _total("projects.stage.planning", tree.street_a) == 1
    services.project_update(project=project, total_investment=600_000_000, acting_user=clerk)
    services.project_stage_move(
        project=project, to_stage=Stage.STARTED, on=today - dt.timedelta(days=20), acting_user=clerk
    )
    assert _total("projects.started", tree.district) == started + 1
    services.progress_report_create(
        project=project,
        reported_on=today - dt.timedelta(days=10),
        text="主体施工",
        completed_investment=9_700_000,
        to_stage=Stage.OPERATING,
        acting_user=clerk,
    )
    assert _total("projects.completed_investment", tree.district) == 9_700_000
    assert _total("projects.commissioned", tree.district) == 1
    assert rollups.check() == []

    # Back below groundbreaking: the stage dates are cleared with one bulk update.
    services.project_stage_move(
        project=project, to_stage=Stage.PRELIMINARY, reason="重新报批", acting_user=clerk
    )
    assert _total("projects.started", tree.district) == started
    assert _total("projects.commissioned", tree.district) == 0
    services.project_schedule_set(
        project=project, planned={Stage.STARTED: today + dt.timedelta(days=30)}, acting_user=clerk
    )
    assert rollups.check() == []

    # A move to another subdistrict takes the project's months and dates with it.
    services.project_stage_move(project=project, to_stage=Stage.STARTED, acting_user=clerk)
    services.project_update(project=project, org=tree.street_b, acting_user=personas.district)
    assert _total("projects.completed_investment", tree.street_a) == 0
    assert _total("projects.completed_investment", tree.street_b) == 9_700_000
    assert _total("projects.started", tree.street_b) == 1
    assert rollups.check() == []
