"""Demo: the documented logins, each with the grants its persona needs."""

from __future__ import annotations

from typing import Any

from taizhang.accounts.models import ScopeKind
from taizhang.accounts.services import grant_create, user_create
from taizhang.core.actors import SYSTEM
from taizhang.core.audit_review import audit_review_mark
from taizhang.core.demo import DEMO_PASSWORD
from taizhang.core.models import AuditEvent
from taizhang.people.models import Person
from taizhang.people.services import person_reveal


def _user(ctx: Any, username: str, description: str, person: Any = None) -> Any:
    user = user_create(
        username=username,
        password=DEMO_PASSWORD,
        person=person,
        must_change_password=False,
        acting_user=SYSTEM,
    )
    ctx.users[username] = user
    ctx.logins.append((username, description))
    return user


def _first_person(org: Any, exclude: set[int]) -> Person:
    person = Person.objects.filter(organization=org).exclude(pk__in=exclude).order_by("pk").first()
    assert person is not None
    exclude.add(person.pk)
    return person


def load(ctx: Any) -> None:
    used: set[int] = set()
    district = ctx.district
    street_a, street_b = ctx.subdistricts[0], ctx.subdistricts[1]
    community = ctx.communities[0]
    office = ctx.organs[0]
    user = _user(
        ctx, "district", f"区委办干事，可见{district.short_name}全区", _first_person(office, used)
    )
    grant_create(
        user=user,
        role="clerk",
        scope_kind=ScopeKind.SUBTREE,
        organization=district,
        acting_user=SYSTEM,
    )
    grant_create(
        user=user,
        role="personnel",
        scope_kind=ScopeKind.SUBTREE,
        organization=district,
        acting_user=SYSTEM,
    )
    for username, street in (("street_a", street_a), ("street_b", street_b)):
        user = _user(
            ctx, username, f"{street.short_name}干事，可见本街道", _first_person(street, used)
        )
        grant_create(
            user=user,
            role="clerk",
            scope_kind=ScopeKind.SUBTREE,
            organization=street,
            acting_user=SYSTEM,
        )
    user = _user(ctx, "community", f"{community.short_name}书记", _first_person(community, used))
    grant_create(
        user=user,
        role="secretary",
        scope_kind=ScopeKind.SUBTREE,
        organization=community,
        acting_user=SYSTEM,
    )
    leader_person = (
        Person.objects.filter(organization=district, positions__title="leader")
        .order_by("pk")
        .first()
    )
    user = _user(ctx, "leader", "区领导（挂钩领导），查看我挂钩的项目和问题", leader_person)
    grant_create(
        user=user,
        role="leader",
        scope_kind=ScopeKind.SUBTREE,
        organization=district,
        acting_user=SYSTEM,
    )
    for username, role, description in (
        ("auditor", "audit_admin", "安全审计员，只读审计日志"),
        ("security", "security_admin", "安全保密管理员，管理授权与解锁"),
        ("sysadmin", "system_admin", "系统管理员，维护组织架构"),
    ):
        user = _user(ctx, username, description)
        grant_create(
            user=user,
            role=role,
            scope_kind=ScopeKind.SUBTREE,
            organization=district,
            acting_user=SYSTEM,
        )
    ctx.finishers.append(_auditor_read_the_setup)


def _auditor_read_the_setup(ctx: Any) -> None:
    """The auditor has read everything the setup wrote; since then the district clerk
    revealed a member's mobile number and street A's clerk was refused one outside her
    street: the two events on the auditor's list today."""
    auditor = ctx.users["auditor"]
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    if last is None:
        return
    audit_review_mark(acting_user=auditor, up_to=last)
    street_b_member = Person.objects.filter(organization__in=ctx.subdistricts[1:2]).first()
    if street_b_member is not None:
        person_reveal(person=street_b_member, acting_user=ctx.users["district"])
        person_reveal(person=street_b_member, acting_user=ctx.users["street_a"])
