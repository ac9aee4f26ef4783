"""Build projects and the people around them through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.people.models import Person, PositionTitle
from taizhang.people.services import person_create, position_assign
from taizhang.projects.models import Category, Project, Stage
from taizhang.projects.services import project_create
from tests.support import make_user


def make_person(org: Any, name: str, title: str | None = PositionTitle.DIRECTOR) -> Person:
    person = person_create(organization=org, name=name, gender="M", acting_user=SYSTEM)
    if title:
        position_assign(
            person=person,
            organization=org,
            title=title,
            start_date=dt.date(2020, 1, 1),
            acting_user=SYSTEM,
        )
    return person


def make_leader_user(tree: Any, username: str = "leader") -> Any:
    """A district leader with a login: the 挂钩领导 of the journeys."""
    person = make_person(tree.district, "钱挂钩", PositionTitle.LEADER)
    user = make_user(username, ("leader", ScopeKind.SUBTREE, tree.district))
    user.person = person
    user.save(update_fields=["person"])
    return user


def make_project(org: Any, name: str = "", **kwargs: Any) -> Project:
    defaults: dict[str, Any] = {
        "category": Category.INDUSTRY,
        "lead_unit": org,
        "total_investment": 1_377_000_000,
        "plan_year": timezone.localdate().year,
        "annual_planned_investment": 340_000_000,
        "stage": Stage.PLANNING,
        "stage_since": timezone.localdate() - dt.timedelta(days=60),
    }
    defaults.update(kwargs)
    return project_create(
        org=org, name=name or f"{org.short_name} 项目", acting_user=SYSTEM, **defaults
    )


def policy_samples() -> dict[str, Any]:
    """Rows for the scope-policy conformance test (core/tests/test_policy_conformance)."""
    return {
        "projects.project": lambda org: make_project(org, f"{org.short_name} 样本项目"),
        "projects.start_batch": lambda org: make_batch(org, f"{org.short_name} 集中开工"),
    }


def make_batch(org: Any, name: str = "", held_on: dt.date | None = None, **kwargs: Any) -> Any:
    from taizhang.projects.services import batch_create

    return batch_create(
        org=org,
        name=name or f"{org.short_name} 重大项目集中开工",
        held_on=held_on or timezone.localdate() - dt.timedelta(days=7),
        acting_user=SYSTEM,
        **kwargs,
    )
