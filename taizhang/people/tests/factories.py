from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.people.models import CommunityReport, Person, PersonTransfer, PositionTitle
from taizhang.people.services import (
    community_report_create,
    membership_set,
    person_create,
    position_assign,
)


def make_person(
    org: Any,
    name: str = "王小明",
    *,
    member: bool = False,
    title: str | None = None,
    mobile: str = "13812345678",
    id_number: str = "990102199001011234",
    is_external: bool = False,
    affiliation: str = "",
) -> Person:
    person = person_create(
        organization=org,
        name=name,
        gender="M",
        mobile=mobile,
        id_number=id_number,
        is_external=is_external,
        affiliation=affiliation,
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


def make_report(
    person: Person, community: Any, reported_on: dt.date | None = None
) -> CommunityReport:
    """双报到: ``person`` reported to ``community`` (a year ago unless told)."""
    return community_report_create(
        person=person,
        community=community,
        reported_on=reported_on or timezone.localdate() - dt.timedelta(days=365),
        acting_user=SYSTEM,
    )


__all__ = ["PositionTitle", "make_person", "make_report"]


def policy_samples() -> dict[str, Any]:
    """Rows for the scope-policy conformance test (core/tests/test_policy_conformance).
    A report is booked on its community; the member comes from the level above."""
    return {
        "people.person": lambda org: make_person(org, "样本人员"),
        "people.community_report": lambda org: make_report(
            make_person(org.parent or org, "报到人员"), org
        ),
        # Booked on the one org at both ends, so each end answers like the matrix.
        "people.person_transfer": lambda org: PersonTransfer.objects.create(
            person=make_person(org, "调动人员"),
            from_org=org,
            to_org=org,
            transferred_on=dt.date(2025, 1, 1),
        ),
    }
