"""Helpers to build training classes through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from taizhang.activities.tests.factories import make_person
from taizhang.core.actors import SYSTEM
from taizhang.trainings import services
from taizhang.trainings.models import Enrollment, TrainingClass, TrainingSession

START = dt.date(2026, 9, 15)

__all__ = ["START", "make_class", "make_person", "make_sessions"]


def make_class(
    org: Any, *, capacity: int = 10, acting_user: Any = SYSTEM, **kwargs: Any
) -> TrainingClass:
    return services.training_class_create(
        org=org,
        number=kwargs.pop("number", 22),
        title=kwargs.pop("title", "党支部书记培训班"),
        start_date=kwargs.pop("start_date", START),
        end_date=kwargs.pop("end_date", START + dt.timedelta(days=3)),
        capacity=capacity,
        acting_user=acting_user,
        **kwargs,
    )


def make_sessions(klass: TrainingClass, n: int = 5) -> list[TrainingSession]:
    kinds = ["lecture", "site", "discussion", "exchange", "writing"]
    return [
        services.training_session_create(
            training_class=klass,
            kind=kinds[i % len(kinds)],
            title=f"第{i + 1}课",
            day=klass.start_date + dt.timedelta(days=i % 4),
            start_time=dt.time(9 + (i // 4) * 5, 0),
            end_time=dt.time(11 + (i // 4) * 5, 0),
            acting_user=SYSTEM,
        )
        for i in range(n)
    ]


def make_enrollment(org: Any, name: str = "样本学员") -> Enrollment:
    klass = make_class(org, number=90)
    return services.enrollment_create(
        training_class=klass, persons=[make_person(org, name)], acting_user=SYSTEM
    )[0]


def policy_samples() -> dict[str, Any]:
    """Rows for the scope-policy conformance test (core/tests/test_policy_conformance)."""
    return {
        "trainings.training_class": lambda org: make_class(org, number=91),
        "trainings.enrollment": make_enrollment,
        "trainings.training_series": lambda org: make_series(org, title="样本系列"),
    }


def make_series(org: Any, *, acting_user: Any = SYSTEM, **kwargs: Any) -> Any:
    return services.training_series_create(
        org=org,
        title=kwargs.pop("title", "网格员业务能力培训班"),
        planned_classes=kwargs.pop("planned_classes", 4),
        planned_trainees=kwargs.pop("planned_trainees", 200),
        acting_user=acting_user,
        **kwargs,
    )
