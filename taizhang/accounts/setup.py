"""Setting up a real district from nothing: the root organization and the three
administrators (三员分立), each holding its role on the root's whole subtree.

``taizhang setup`` reads the answers (interactively or from a file) into a
:class:`SetupSpec`, :func:`validate_spec` checks everything before anything is written,
and :func:`district_setup` writes it through the ordinary services as the system actor,
so every row has its audit event. It runs on an empty database only.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from taizhang.accounts.models import ScopeKind, User
from taizhang.accounts.services import generate_password, grant_create, user_create
from taizhang.core.actors import SYSTEM
from taizhang.organizations.models import Organization, OrgKind
from taizhang.organizations.services import organization_create

# The three administrators, in the order they are created and printed.
ADMIN_ROLES = ("system_admin", "security_admin", "audit_admin")
DEFAULT_USERNAMES = {
    "system_admin": "sysadmin",
    "security_admin": "secadmin",
    "audit_admin": "auditadmin",
}
DEFAULT_ROOT_KIND = OrgKind.DISTRICT_COMMITTEE


@dataclass
class AdminSpec:
    role: str
    username: str
    display_name: str = ""
    password: str = ""  # empty: generate one
    generated: bool = False


@dataclass
class SetupSpec:
    name: str
    code: str
    short_name: str = ""
    kind: str = DEFAULT_ROOT_KIND
    admins: list[AdminSpec] = field(default_factory=list)


@dataclass
class SetupResult:
    root: Organization
    users: list[tuple[AdminSpec, User]]


class SetupRefused(Exception):
    """The database is not empty, or the answers are not acceptable; the message says why."""


def database_is_empty() -> bool:
    return not Organization.objects.exists() and not User.objects.exists()


def root_kinds() -> list[str]:
    """Kinds a root may have: the district committee, and a city-level kind when the
    organizations module offers one."""
    return [
        value
        for value in OrgKind.values
        if value == OrgKind.DISTRICT_COMMITTEE or value.startswith(("city", "municipal"))
    ]


def load_spec(path: Path) -> SetupSpec:
    """Read a setup file: ``.toml`` or ``.json``, with the layout in the README."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SetupRefused(f"Cannot read {path}: {error}") from error
    try:
        data: Any = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        kind = path.suffix.lstrip(".") or "JSON"
        raise SetupRefused(f"{path} is not valid {kind}: {error}") from error
    if not isinstance(data, dict):
        raise SetupRefused(f"{path}: expected a table/object at the top level")
    root = data.get("root")
    if not isinstance(root, dict):
        raise SetupRefused(f"{path}: missing the [root] table (name, code, ...)")
    unknown = set(data) - {"root", *ADMIN_ROLES}
    if unknown:
        raise SetupRefused(f"{path}: unknown sections {', '.join(sorted(unknown))}")
    admins = []
    for role in ADMIN_ROLES:
        section = data.get(role) or {}
        if not isinstance(section, dict):
            raise SetupRefused(f"{path}: [{role}] must be a table/object")
        admins.append(
            AdminSpec(
                role=role,
                username=str(section.get("username") or DEFAULT_USERNAMES[role]),
                display_name=str(section.get("display_name") or ""),
                password=str(section.get("password") or ""),
            )
        )
    return SetupSpec(
        name=str(root.get("name") or ""),
        code=str(root.get("code") or ""),
        short_name=str(root.get("short_name") or ""),
        kind=str(root.get("kind") or DEFAULT_ROOT_KIND),
        admins=admins,
    )


def validate_spec(spec: SetupSpec) -> list[str]:
    """Every problem with the answers, as lines to print; empty when all is well.
    Missing passwords are generated here (and marked so they are printed once)."""
    problems = []
    if not spec.name.strip():
        problems.append("root: the name is required")
    if not spec.code.strip():
        problems.append("root: the code is required")
    if spec.kind not in root_kinds():
        problems.append(f"root: kind must be one of {', '.join(root_kinds())}")
    names = [admin.username for admin in spec.admins]
    if len(set(names)) != len(names):
        problems.append("administrators: the three usernames must differ")
    if {admin.role for admin in spec.admins} != set(ADMIN_ROLES):
        problems.append("administrators: system, security and audit administrator are all needed")
    for admin in spec.admins:
        candidate = User(username=admin.username, first_name=admin.display_name)
        try:
            candidate.clean_fields(exclude=["password"])
        except ValidationError as error:
            problems += [f"{admin.role}: {m}" for m in error.messages]
        if not admin.password:
            admin.password = generate_password()
            admin.generated = True
        try:
            validate_password(admin.password, candidate)
        except ValidationError as error:
            problems += [f"{admin.role}: password: {m}" for m in error.messages]
    return problems


@transaction.atomic
def district_setup(spec: SetupSpec) -> SetupResult:
    """Create the root and the three administrators, all or nothing.

    Refuses unless the database holds no organization and no user, so it cannot be
    used to add a second set of administrators to a running district.
    """
    if not database_is_empty():
        raise SetupRefused(
            "This database already has organizations or users: taizhang setup runs once, "
            "on an empty database. Manage accounts on the accounts pages instead."
        )
    problems = validate_spec(spec)
    if problems:
        raise SetupRefused("\n".join(problems))
    root = organization_create(
        parent=None,
        kind=spec.kind,
        code=spec.code.strip(),
        name=spec.name.strip(),
        short_name=spec.short_name.strip(),
        acting_user=SYSTEM,
    )
    users = []
    for admin in spec.admins:
        user = user_create(
            username=admin.username,
            password=admin.password,
            display_name=admin.display_name,
            must_change_password=True,
            acting_user=SYSTEM,
        )
        grant_create(
            user=user,
            role=admin.role,
            scope_kind=ScopeKind.SUBTREE,
            organization=root,
            acting_user=SYSTEM,
        )
        users.append((admin, user))
    return SetupResult(root=root, users=users)
