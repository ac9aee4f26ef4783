"""The monthly figures of training classes stay equal to the records after every
service (ADR 0044): enrollment (a bulk insert) and 结业 (a bulk update) report the
enrollments they wrote, a withdrawal the one it removed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from taizhang.statistics import rollups
from taizhang.statistics.models import MonthlyFigure
from taizhang.trainings import services
from taizhang.trainings.tests.factories import START, make_class, make_person, make_sessions

pytestmark = pytest.mark.django_db
TEXT = "通过培训，我对支部建设有了更深的认识，回去后要把学到的方法用到工作中。"


def _total(metric: str, org) -> Decimal:
    rows = MonthlyFigure.objects.filter(metric=metric, org=org)
    return rows.aggregate(v=Sum("value"))["v"] or Decimal(0)


def test_figures_follow_every_service(tree, personas):
    clerk = personas.street_a
    make_class(tree.street_a, number=1, title="刷新前已有")
    rollups.refresh_all()
    assert rollups.check() == []
    classes = _total("trainings.classes", tree.district)

    klass = make_class(tree.street_a, number=2, acting_user=clerk)
    assert _total("trainings.classes", tree.district) == classes + 1
    sessions = make_sessions(klass, 2)
    people = [make_person(tree.community_a, f"学员{i}") for i in range(3)]
    enrolled = services.enrollment_create(training_class=klass, persons=people, acting_user=clerk)
    assert _total("trainings.trainees", tree.district) == 3
    services.enrollment_withdraw(enrollment=enrolled[2], acting_user=clerk)
    assert _total("trainings.trainees", tree.street_a) == 2
    for session in sessions:
        services.session_check_in(session=session, enrollments=enrolled[:2], acting_user=clerk)
    services.session_sheet_save(session=sessions[1], present=enrolled[:1], acting_user=clerk)
    for row in enrolled[:2]:
        services.reflection_submit(enrollment=row, title="心得", text=TEXT, acting_user=clerk)
    services.training_class_complete(
        training_class=klass, completed_on=START + dt.timedelta(days=3), acting_user=clerk
    )
    # One of the two met the rule (80 % of two sessions): 结业 counts her at once.
    assert _total("trainings.graduates", tree.district) == 1
    assert rollups.check() == []
