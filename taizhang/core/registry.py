"""The module registry: what each module declares in its ``manifest.py``.

Modules register permissions (functions a role can grant), the roles those functions
belong to, and metrics for the statistics module. Nothing here imports a module; the
modules import this registry, so statistics can read every ledger without importing any.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise

# A label is a plain string or a lazy translation.
Label = str | Promise


@dataclass(frozen=True)
class Permission:
    code: str
    label: Label
    # A right a grant gives only once a second administrator approved it (issue 19: one
    # security administrator alone gave a clerk the district's personal data).
    second_approval: bool = False


@dataclass
class Role:
    """A named bundle of permissions that a grant gives on part of the tree.

    ``admin_kind`` marks the three separated administrators (三员分立): no account may
    hold roles of two different admin kinds.
    """

    code: str
    label: Label
    permissions: set[str] = field(default_factory=set)
    admin_kind: str = ""


@dataclass(frozen=True)
class Metric:
    """A figure the statistics module can roll up the tree.

    ``queryset`` returns the unscoped base rows; ``org_field`` names the organization
    they belong to, ``date_field`` the date (or datetime) they count on, and ``value`` is
    ``"count"`` or the name of a numeric field to sum. ``distinct`` instead counts the
    distinct values of a field (e.g. ``"person"`` for members reached).

    ``additive`` says whether the figure of a subtree is the sum of its parts, so the
    statistics module may keep it pre-aggregated per organization and month. It is not
    for distinct counts, nor for figures that depend on today's date (overdue items).
    ``money`` marks amounts in yuan (shown as 13.77亿元). ``sentence`` is the phrase a
    briefing uses, with ``{value}`` for the rounded figure and its unit, e.g.
    ``_("held {value} group study sessions")`` → "开展集中学习{value}".
    ``part_of`` names the metric this one counts a part of (为民办实事 among the problems
    put on the ledger): a briefing prints it in brackets after that figure
    (新挂账问题163个（其中为民办实事项目12件、书记领跑项目3个）).
    """

    name: str
    label: Label
    unit: Label
    queryset: Callable[[], QuerySet[Any]]
    org_field: str
    date_field: str
    permission: str
    value: str = "count"
    definition: Label = ""
    distinct: str = ""
    additive: bool = True
    money: bool = False
    sentence: Label = ""
    part_of: str = ""

    def __post_init__(self) -> None:
        if self.distinct and self.additive:
            raise ValueError(f"Metric {self.name!r}: a distinct count is not additive")


PERMISSIONS: dict[str, Permission] = {}
ROLES: dict[str, Role] = {}
METRICS: dict[str, Metric] = {}


def register_permission(code: str, label: Label, *, second_approval: bool = False) -> None:
    PERMISSIONS[code] = Permission(code, label, second_approval)


def needs_second_approval(role_code: str) -> bool:
    """Whether a grant of the role carries a right that needs a second administrator."""
    role = ROLES.get(role_code)
    return role is not None and any(
        PERMISSIONS[code].second_approval for code in role.permissions if code in PERMISSIONS
    )


def register_role(code: str, label: Label, *, admin_kind: str = "") -> Role:
    role = ROLES.get(code)
    if role is None:
        role = ROLES[code] = Role(code=code, label=label, admin_kind=admin_kind)
    return role


def grant_to_roles(permission: str, *role_codes: str) -> None:
    """Add a permission to existing roles; modules use this to extend the core roles."""
    if permission not in PERMISSIONS:
        raise KeyError(f"Unknown permission {permission!r}: register it first")
    for code in role_codes:
        ROLES[code].permissions.add(permission)


def register_metric(metric: Metric) -> None:
    if metric.name in METRICS:
        raise ValueError(f"Metric {metric.name!r} registered twice")
    METRICS[metric.name] = metric


def role_choices() -> list[tuple[str, Label]]:
    return [(role.code, role.label) for role in ROLES.values()]


@dataclass(frozen=True)
class NavItem:
    """An entry of the main navigation, shown to users holding ``permission``."""

    label: Any
    url_name: str
    permission: str
    order: int = 100


NAV_ITEMS: list[NavItem] = []


def register_nav(label: Any, url_name: str, permission: str, order: int = 100) -> None:
    NAV_ITEMS.append(NavItem(label, url_name, permission, order))
    NAV_ITEMS.sort(key=lambda item: item.order)


@dataclass(frozen=True)
class Slot:
    """A panel one module contributes to another module's page.

    The host page renders ``{% slot "projects.project_detail" project %}``; each
    registered provider gets ``(viewer, obj)`` and returns a context dict for its
    template, or ``None`` to render nothing. This lets problems show blockers on a
    project page without the projects module importing problems.
    """

    name: str
    template: str
    provider: Callable[[Any, Any], dict[str, Any] | None]
    order: int = 100


SLOTS: dict[str, list[Slot]] = {}


def register_slot(
    name: str,
    template: str,
    provider: Callable[[Any, Any], dict[str, Any] | None],
    order: int = 100,
) -> None:
    SLOTS.setdefault(name, []).append(Slot(name, template, provider, order))
    SLOTS[name].sort(key=lambda slot: slot.order)


# Scope policies (``organizations.policy.ScopePolicy``), one per model a module owns, by
# name ("problems.problem"). Core only keeps them: the conformance test walks them all.
POLICIES: dict[str, Any] = {}


def register_policy(policy: Any) -> Any:
    if policy.name in POLICIES and POLICIES[policy.name] is not policy:
        raise ValueError(f"Policy {policy.name!r} registered twice")
    POLICIES[policy.name] = policy
    return policy


# Excel imports (``core.imports.Importer`` subclasses), one per ledger or master list, by
# kind ("projects.project"). The ingest module runs them; core only keeps them.
IMPORTERS: dict[str, Any] = {}


def register_importer(importer: Any) -> Any:
    if importer.kind in IMPORTERS and type(IMPORTERS[importer.kind]) is not type(importer):
        raise ValueError(f"Importer {importer.kind!r} registered twice")
    IMPORTERS[importer.kind] = importer
    return importer


@dataclass(frozen=True)
class TodoKind:
    """A kind of work waiting for someone, registered by the module that owns the records.

    ``items(viewer)`` returns the records waiting for this viewer (scoped by the module's
    policy, so nothing leaks across the tree), in the order to do them; ``title``,
    ``url`` and ``due`` describe one of them. ``why`` says why such an item is on the
    list ("submitted for sign-off: verify and close it out"). The workbench module reads
    these, the way statistics reads metrics; no module imports the workbench.
    """

    name: str
    label: Label
    permission: str
    items: Callable[[Any], QuerySet[Any]]
    title: Callable[[Any], str]
    url: Callable[[Any], str]
    why: Label
    due: Callable[[Any], Any] | None = None
    order: int = 100


TODOS: dict[str, TodoKind] = {}


def register_todo(kind: TodoKind) -> TodoKind:
    if kind.name in TODOS and TODOS[kind.name] is not kind:
        raise ValueError(f"To-do kind {kind.name!r} registered twice")
    TODOS[kind.name] = kind
    return kind


# Reported figures (填报任务): functions ``fn(metric_name, org, start, end)`` answering
# what a unit itself reported for a metric over a period in accepted reporting answers
# (a ``Decimal``), or ``None``. Statistics may show them next to the records' figure.
REPORTED_SOURCES: list[Callable[..., Any]] = []


def register_reported_source(fn: Callable[..., Any]) -> Callable[..., Any]:
    if fn not in REPORTED_SOURCES:
        REPORTED_SOURCES.append(fn)
    return fn


# Reported figures with no ledger metric behind them (a task's 党建活动经费): functions
# ``fn(org, start, end)`` answering the unit's own accepted figures for exactly that
# period as ``[{"key", "label", "value", "text", "task"}]`` (``key`` stable for a figure,
# ``value`` a decimal as text, ``text`` the figure with its unit). A briefing prints them
# in a section of their own, marked as reported.
REPORTED_ITEMS: list[Callable[..., list[dict[str, str]]]] = []


def register_reported_items(
    fn: Callable[..., list[dict[str, str]]],
) -> Callable[..., list[dict[str, str]]]:
    if fn not in REPORTED_ITEMS:
        REPORTED_ITEMS.append(fn)
    return fn


# Audit review (三员分立): the actions the audit administrator is asked to read, as
# patterns on the action name ("grant.*" for a prefix, "*.reveal" for a suffix), each
# registered by the module that writes them. Refused and failed actions are always on
# the list (``core.audit_review``).
AUDIT_REVIEW: dict[str, Label] = {}
# Labels of whole actions (``"statistics.briefing_generate"``) for the readable audit
# trail, where "object type + verb" would not read well (``core/audit_display.py``).
AUDIT_ACTIONS: dict[str, Label] = {}


def register_audit_action(action: str, label: Label) -> None:
    AUDIT_ACTIONS[action] = label


# Labels of change keys that are not fields of the object's model (a bulk write's
# ``count``, a task's ``answers``), by key for every object type ("count") or for one
# ("reporting.assignment:answers"); model fields are named by their verbose names.
AUDIT_FIELDS: dict[str, Label] = {}


def register_audit_fields(labels: Mapping[str, Label], *, object_type: str = "") -> None:
    for key, label in labels.items():
        AUDIT_FIELDS[f"{object_type}:{key}" if object_type else key] = label


def register_audit_review(pattern: str, label: Label) -> None:
    if not (pattern.endswith(".*") or pattern.startswith("*.")):
        raise ValueError(f"Audit review pattern {pattern!r} must be 'prefix.*' or '*.suffix'")
    AUDIT_REVIEW[pattern] = label


@dataclass(frozen=True)
class PersonSource:
    """The persons a form's person field may name, for the searchable person picker
    (``people/widgets.py``): ``candidates(viewer)`` is the same scoped queryset the
    form validates against, and the picker answers only a viewer holding
    ``permission``. A module registers its sources from its manifest."""

    name: str
    permission: str
    candidates: Callable[[Any], QuerySet[Any]]


PERSON_SOURCES: dict[str, PersonSource] = {}


def register_person_source(source: PersonSource) -> PersonSource:
    PERSON_SOURCES[source.name] = source
    return source


@dataclass(frozen=True)
class OrgSource(PersonSource):
    """The organizations a form's organization field may name, for the organization
    picker (``organizations/widgets.py``), where the choice is a module's own set (a
    problem's co-units may be any unit of the district) rather than the units where the
    viewer holds a function."""


ORG_SOURCES: dict[str, OrgSource] = {}


def register_org_source(source: OrgSource) -> OrgSource:
    ORG_SOURCES[source.name] = source
    return source


@dataclass(frozen=True)
class AuditOrgHook:
    """How the audit trail knows organizations without core importing them (issue 18):
    ``of(obj)`` is the id of the unit a written object belongs to, stored on its event;
    ``field()`` makes the trail filter's organization field (a picker that needs the
    viewer); ``subtree(org)`` is a queryset of the ids of ``org`` and every unit below
    it. The organizations module registers the one hook."""

    of: Callable[[Any], int | None]
    field: Callable[[], Any]
    subtree: Callable[[Any], QuerySet[Any]]


AUDIT_ORG: dict[str, AuditOrgHook] = {}


def register_audit_org(hook: AuditOrgHook) -> AuditOrgHook:
    AUDIT_ORG["hook"] = hook
    return hook
