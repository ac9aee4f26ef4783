from __future__ import annotations

import datetime as dt
from typing import Any

from taizhang.core.actors import SYSTEM
from taizhang.people.models import Person, PositionTitle
from taizhang.people.services import membership_set, person_create, position_assign


def make_person(
    org: Any,
    name: str = "王小明",
    *,
    member: bool = False,
    title: str | None = None,
    mobile: str = "13812345678",
    id_number: str = "990102199001011234",
) -> Person:
    person = person_create(
        organization=org,
        name=name,
        gender="M",
        mobile=mobile,
        id_number=id_number,
        acting_user=SYSTEM,
    )
    if member:
        membership_set(
            person=person,
            branch=org,
            joined_on=dt.date(2010, 7, 1),
            status="full",
            acting_user=SYSTEM,
        )
    if title:
        position_assign(
            person=person,
            organization=org,
            title=title,
            start_date=dt.date(2021, 1, 1),
            acting_user=SYSTEM,
        )
    return person


__all__ = ["PositionTitle", "make_person"]


def policy_samples() -> dict[str, Any]:
    """Rows for the scope-policy conformance test (core/tests/test_policy_conformance)."""
    return {"people.person": lambda org: make_person(org, "样本人员")}
