"""Helpers to build problems through the services, as real use would."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.people.models import Person
from taizhang.people.services import person_create
from taizhang.problems import services
from taizhang.problems.models import Problem
from tests.files import png_bytes

PNG = png_bytes()


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def make_person(org: Any, name: str = "张三") -> Person:
    return person_create(organization=org, name=name, gender="M", acting_user=SYSTEM)


def link_person(user: Any, org: Any, name: str) -> Person:
    """Give a persona a person record (the foundation personas have none)."""
    person = make_person(org, name)
    user.person = person
    user.save(update_fields=["person"])
    return person


def make_problem(
    org: Any,
    *,
    title: str = "老旧小区雨污管网混接",
    acting_user: Any = SYSTEM,
    deadline: dt.date | None = None,
    raised_on: dt.date | None = None,
    **kwargs: Any,
) -> Problem:
    today = timezone.localdate()
    return services.problem_create(
        org=org,
        title=title,
        source=kwargs.pop("source", "survey"),
        deadline=deadline or today + dt.timedelta(days=30),
        raised_on=raised_on,
        acting_user=acting_user,
        **kwargs,
    )


def make_pending(org: Any, *, acting_user: Any = SYSTEM, **kwargs: Any) -> Problem:
    problem = make_problem(org, acting_user=acting_user, **kwargs)
    services.problem_start(problem=problem, measures="分批改造", acting_user=acting_user)
    return services.problem_submit(
        problem=problem,
        evidence_text="完成雨污分流改造1.2公里，附照片",
        files=[png()],
        acting_user=acting_user,
    )


def policy_samples() -> dict[str, Any]:
    """Rows for the scope-policy conformance test (core/tests/test_policy_conformance):
    a problem owned and led by ``org``."""
    return {
        "problems.problem": lambda org: make_problem(org, title="样本问题"),
        "problems.instruction": lambda org: make_instruction(org, title="样本交办事项"),
        "problems.research_topic": lambda org: make_research_topic(org, title="样本调研课题"),
    }


def make_research_topic(
    org: Any, *, title: str = "关于老旧小区物业管理的调研", acting_user: Any = SYSTEM, **kwargs: Any
) -> Any:
    """A research topic of ``org`` chosen today (选题)."""
    return services.research_topic_create(org=org, title=title, acting_user=acting_user, **kwargs)


def make_instruction(
    org: Any,
    *,
    title: str = "尽快解决老旧小区加装电梯问题",
    acting_user: Any = SYSTEM,
    **kwargs: Any,
) -> Any:
    """A leader's instruction to ``org``, from a district leader made for it."""
    from taizhang.people.models import PositionTitle
    from taizhang.projects.tests.factories import make_person

    today = timezone.localdate()
    leader = kwargs.pop("leader", None) or make_person(org, "钱交办", PositionTitle.LEADER)
    return services.instruction_create(
        org=org,
        leader=leader,
        title=title,
        content=kwargs.pop("content", "请抓紧研究，拿出解决方案，按期报告办理结果。"),
        issued_on=kwargs.pop("issued_on", today - dt.timedelta(days=5)),
        deadline=kwargs.pop("deadline", today + dt.timedelta(days=25)),
        acting_user=acting_user,
        **kwargs,
    )
