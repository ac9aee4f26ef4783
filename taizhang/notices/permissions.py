"""Who may see a notice and who may publish one: the scope policies (ADR 0043).

A notice is seen with ``notices.view`` on its publishing unit **or** on one of the units
it was sent to (the ``targets`` cross-tree rule: a district's notice to every street is
read at each street, which sees nothing else of the district's). It is written, published,
withdrawn and chased with ``notices.publish`` on its publishing unit only. Attachments,
targets and receipts hang off a notice and follow the same rule, each with its own
policy so every layer asks one place.

"At a unit" (whose reading counts for the unit, who may acknowledge for it, whom the
notice is sent to) follows ``accounts.selectors.users_at``: an active grant on the unit
itself (any scope kind whose organization it is, or a listed grant naming it) carrying
``notices.view`` — a district clerk with a subtree grant is not "at" every street.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from taizhang.core.actors import Actor, is_system
from taizhang.core.registry import ROLES
from taizhang.notices.models import Notice, NoticeAttachment, NoticeReceipt, NoticeTarget
from taizhang.organizations.policy import CrossTreeRule, ScopePolicy
from taizhang.organizations.scope import ScopeKind, grant_facts, scope_for

VIEW = "notices.view"
PUBLISH = "notices.publish"


def _targets_q(viewer: Any, permission: str, prefix: str) -> Q:
    """Rows of notices sent to a unit in the viewer's view scope (reads only)."""
    if permission != VIEW:
        return Q(pk__in=[])
    scope = scope_for(viewer, VIEW)
    if scope.is_empty:
        return Q(pk__in=[])
    notices = NoticeTarget.objects.filter(scope.org_q(prefix="org__")).values("notice_id")
    return Q(**{f"{prefix}pk__in": notices})


def _targets_cover(viewer: Any, notice: Notice | None, permission: str) -> bool:
    if permission != VIEW or notice is None or notice.pk is None:
        return False
    scope = scope_for(viewer, VIEW)
    if scope.is_empty:
        return False
    return NoticeTarget.objects.filter(scope.org_q(prefix="org__"), notice_id=notice.pk).exists()


def _rule(prefix: str, notice_of: Any) -> CrossTreeRule:
    return CrossTreeRule(
        name="notices.sent_to_my_units",
        description=_("The notice was sent to a unit in your data scope."),
        q=lambda viewer, permission: _targets_q(viewer, permission, prefix),
        covers=lambda viewer, obj, permission: _targets_cover(viewer, notice_of(obj), permission),
    )


POLICY: ScopePolicy[Notice] = ScopePolicy(
    name="notices.notice",
    model=Notice,
    view=VIEW,
    manage=PUBLISH,
    org_fields=("org",),
    extra=(_rule("", lambda obj: obj),),
)

ATTACHMENT: ScopePolicy[NoticeAttachment] = ScopePolicy(
    name="notices.attachment",
    model=NoticeAttachment,
    view=VIEW,
    manage=PUBLISH,
    org_fields=("notice__org",),
    extra=(_rule("notice__", lambda obj: obj.notice),),
)

# A target row is seen by the publisher's side and at the receiving unit's side.
TARGET: ScopePolicy[NoticeTarget] = ScopePolicy(
    name="notices.target",
    model=NoticeTarget,
    view=VIEW,
    manage=PUBLISH,
    org_fields=("org", "notice__org"),
    manage_fields=("notice__org",),
)

# A receipt is seen where it was given and by the publisher's side; it is given by
# people at the receiving unit (the services check "at", a stricter rule).
RECEIPT: ScopePolicy[NoticeReceipt] = ScopePolicy(
    name="notices.receipt",
    model=NoticeReceipt,
    view=VIEW,
    manage=VIEW,
    org_fields=("org", "notice__org"),
    manage_fields=("org",),
)


def units_at(viewer: Actor | None, permission: str = VIEW) -> set[int]:
    """The units the viewer is "at" for ``permission`` (see the module docstring),
    read from the grants cached on the user: no query once the scope is known."""
    if viewer is None or is_system(viewer) or not getattr(viewer, "is_authenticated", False):
        return set()
    ids: set[int] = set()
    for fact in grant_facts(viewer):
        role = ROLES.get(fact.role)
        if role is None or permission not in role.permissions:
            continue
        if fact.kind in (ScopeKind.ORG, ScopeKind.SUBTREE) and fact.org_id:
            ids.add(fact.org_id)
        elif fact.kind == ScopeKind.LISTED:
            ids.update(pk for pk, _path, _name in fact.listed)
    return ids


def can(viewer: Actor | None, action: str, notice: Notice) -> bool:
    """``edit``/``publish`` (a draft), ``withdraw``/``remind`` (published): the publish
    function on the publishing unit; ``board``: view on the publishing unit. State
    rules are the services' business."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if action in {"edit", "publish", "withdraw", "remind"}:
        return POLICY.covers(viewer, notice, PUBLISH)
    if action == "board":
        # The receipt board is the publisher's side: seen from the publishing unit
        # (a leader above it may read it), never from a receiving unit.
        return scope_for(viewer, VIEW).covers(notice.org) or POLICY.covers(viewer, notice, PUBLISH)
    return False
