"""Fixtures every module's tests share: a small tree and the fixed personas.

* ``district``: clerk with the district's whole subtree;
* ``street_a``: clerk of subdistrict A and its subtree;
* ``street_b``: clerk of the neighbouring subdistrict B, who must get 404s for A's records;
* ``personnel``: sees unmasked personal data in the district;
* ``auditor``: the audit administrator, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.conf import settings
from django.utils import timezone

from taizhang.accounts.models import ScopeKind, User
from taizhang.accounts.services import grant_create, user_create
from taizhang.core.actors import SYSTEM
from taizhang.organizations.models import Organization, OrgKind
from taizhang.organizations.services import organization_create

PASSWORD = "Correct-Horse-42"  # noqa: S105 - test fixture password


@dataclass
class Tree:
    district: Organization
    street_a: Organization
    community_a: Organization
    grid_a: Organization
    street_b: Organization
    community_b: Organization


@dataclass
class Personas:
    district: User
    street_a: User
    street_b: User
    personnel: User
    auditor: User
    nobody: User


def make_org(parent: Organization | None, code: str, kind: str = OrgKind.COMMITTEE) -> Organization:
    return organization_create(
        parent=parent,
        kind=kind,
        code=code,
        name=f"{code} 组织",
        short_name=code,
        acting_user=SYSTEM,
    )


def make_tree() -> Tree:
    district = make_org(None, "D", OrgKind.DISTRICT_COMMITTEE)
    street_a = make_org(district, "A", OrgKind.WORKING_COMMITTEE)
    community_a = make_org(street_a, "A1")
    grid_a = make_org(community_a, "A1G", OrgKind.GENERAL_BRANCH)
    street_b = make_org(district, "B", OrgKind.WORKING_COMMITTEE)
    community_b = make_org(street_b, "B1")
    return Tree(district, street_a, community_a, grid_a, street_b, community_b)


def make_user(username: str, *grants: tuple[str, str, Organization | None]) -> User:
    user = user_create(
        username=username, password=PASSWORD, must_change_password=False, acting_user=SYSTEM
    )
    for role, kind, org in grants:
        grant_create(user=user, role=role, scope_kind=kind, organization=org, acting_user=SYSTEM)
    return user


def make_personas(tree: Tree) -> Personas:
    sub = ScopeKind.SUBTREE
    return Personas(
        district=make_user("district", ("clerk", sub, tree.district)),
        street_a=make_user("street_a", ("clerk", sub, tree.street_a)),
        street_b=make_user("street_b", ("clerk", sub, tree.street_b)),
        personnel=make_user(
            "personnel", ("clerk", sub, tree.district), ("personnel", sub, tree.district)
        ),
        auditor=make_user("auditor", ("audit_admin", sub, tree.district)),
        nobody=make_user("nobody"),
    )


def bearer(client: Any, user: User) -> dict[str, str]:
    """Headers with a fresh API token for ``user`` (password: ``PASSWORD``). An
    administrator gives her second factor too: a device is enrolled for her here and its
    current code sent, as her authenticator app would."""
    import pyotp

    from taizhang.accounts.models import TotpDevice
    from taizhang.accounts.totp import totp_required

    body = {"username": user.username, "password": PASSWORD}
    if totp_required(user):
        device, _created = TotpDevice.objects.get_or_create(
            user=user, defaults={"secret": pyotp.random_base32(32)}
        )
        TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now(), last_step=0)
        body["otp"] = pyotp.TOTP(device.secret).now()
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}


@contextmanager
def tampering() -> Iterator[None]:
    """Raw writes to the audit table, as a database owner could make them: on PostgreSQL
    its append-only trigger (core migration 0006) is disabled meanwhile."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER")


def policy_samples() -> dict[str, Callable[[Organization], Any]]:
    """Every module's sample rows, ``{policy name: make(org) -> row booked on org}``, from
    the ``policy_samples()`` of each module's ``tests/factories.py``."""
    found: dict[str, Callable[[Organization], Any]] = {}
    for name in settings.TAIZHANG_MODULES:
        module = f"taizhang.{name}.tests.factories"
        if find_spec(f"taizhang.{name}.tests") is None or find_spec(module) is None:
            continue
        make = getattr(import_module(module), "policy_samples", None)
        if make is not None:
            found.update(make())
    return found
