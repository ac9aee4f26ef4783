"""The monthly figures of the problem ledger stay equal to the records after every
service (ADR 0044): the services report what they wrote, no model signal does it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.problems import services
from taizhang.problems.tests.factories import link_person, make_pending, make_problem
from taizhang.statistics import rollups
from taizhang.statistics.models import MonthlyFigure

pytestmark = pytest.mark.django_db


def _figure(metric: str, org) -> int:
    row = MonthlyFigure.objects.filter(metric=metric, org=org).order_by("-month").first()
    return int(row.value) if row else 0


def test_figures_follow_every_service(tree, personas):
    verifier = personas.district
    link_person(verifier, tree.district, "李验收")
    make_problem(tree.community_a, title="刷新前已有")
    rollups.refresh_all()
    assert rollups.check() == []
    raised_before = _figure("problems.raised", tree.district)

    problem = make_problem(tree.community_a, acting_user=personas.street_a)
    services.problem_update(problem=problem, title="改过标题", acting_user=personas.street_a)
    pending = make_pending(tree.community_a, acting_user=personas.street_a)
    services.problem_verify(problem=pending, acting_user=verifier)
    assert _figure("problems.raised", tree.district) == raised_before + 2
    assert _figure("problems.closed", tree.district) == 1
    assert rollups.check() == []

    services.problem_reopen(problem=pending, reason="问题复发", acting_user=verifier)
    assert _figure("problems.closed", tree.district) == 0
    assert rollups.check() == []

    past = timezone.localdate() - dt.timedelta(days=5)
    make_problem(tree.community_b, raised_on=past, deadline=past, acting_user=SYSTEM)
    assert services.problem_escalate_overdue()
    services.problem_start(problem=problem, acting_user=personas.street_a)
    assert rollups.check() == []
