"""The scope policy of grants: who may give and take back roles on which part of the tree.

A grant is booked on the organization it names. The security administrator
(``grants.manage``) sees and manages the grants on organizations her own grant's subtree
covers, and may give a new grant only there (``grant_create``) or revoke one there
(``grant_revoke``): a security administrator of one subdistrict cannot hand out roles on
the district. A grant with no organization (an own-records grant given by the system)
is on no part of the tree, so only the system actor touches it. The three
administrators stay apart (三员分立): that rule lives in ``services.grant_create``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from taizhang.accounts.models import Grant, User
from taizhang.core.actors import Actor, is_system, require_actor
from taizhang.organizations.models import Organization
from taizhang.organizations.policy import ScopePolicy
from taizhang.organizations.scope import scope_for

MANAGE_GRANTS = "grants.manage"
MANAGE_ACCOUNTS = "accounts.manage"

GRANT: ScopePolicy[Grant] = ScopePolicy(
    name="accounts.grant",
    model=Grant,
    view=MANAGE_GRANTS,
    manage=MANAGE_GRANTS,
    org_fields=("organization",),
)


# --- accounts: which users a security administrator manages ----------------------------
#
# A user is booked on no single organization, so accounts have no ScopePolicy of their
# own; the rule below plays its part (list, page, every account write). With
# ``accounts.manage`` on part of the tree, an account is hers when it is not her own and
#
# * her scope covers the root organization (she manages every account), or
# * every active grant of the account names an organization in her scope, its linked
#   person (if any) is kept by an organization in her scope, and at least one of these
#   anchors it there: an active grant in her scope, its person in her scope, or she
#   created it.
#
# So a security administrator of subdistrict A never touches an account that also
# works in B (nor the district's administrators), and an account she just created is
# hers until it has a grant. An account with no grant and no person that someone else
# created belongs to whoever covers the root.


def _account_orgs(viewer: Actor) -> tuple[Q | None, QuerySet[Organization] | None]:
    """``(None, None)`` for everything; ``(Q(pk__in=[]), None)`` for nothing; otherwise
    the organizations of her scope."""
    scope = scope_for(viewer, MANAGE_ACCOUNTS)
    if scope.unrestricted:
        return None, None
    if scope.is_empty:
        return Q(pk__in=[]), None
    root = Organization.objects.filter(parent__isnull=True).first()
    if root is not None and scope.covers(root):
        return None, None
    return None, Organization.objects.filter(scope.org_q())


def account_q(viewer: Actor) -> Q:
    """The accounts ``viewer`` manages (see the rule above)."""
    nothing, orgs = _account_orgs(viewer)
    if nothing is not None:
        return nothing
    not_self = ~Q(pk=viewer.pk) if viewer.pk is not None else Q()
    if orgs is None:
        return not_self
    active = Grant.objects.filter(is_active=True)
    outside = active.exclude(organization__in=orgs).values("user_id")
    inside = active.filter(organization__in=orgs).values("user_id")
    person_in = Q(person__organization__in=orgs)
    return (
        not_self
        & ~Q(pk__in=outside)
        & (Q(person__isnull=True) | person_in)
        & (Q(pk__in=inside) | person_in | Q(created_by=viewer.pk))
    )


def accounts_managed(viewer: Actor) -> QuerySet[User]:
    """Where every read of accounts for the security administrator starts."""
    return User.objects.filter(account_q(viewer))


def get_account(viewer: Actor, pk: object) -> User:
    """One managed account, or the same 404 whether it is missing or not hers."""
    try:
        key = int(pk)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise Http404 from None
    user = accounts_managed(viewer).filter(pk=key).first()
    if user is None:
        raise Http404
    return user


def require_account(acting_user: Actor, user: User) -> None:
    """Refuse (PermissionDenied) a write on an account the actor does not manage."""
    require_actor(acting_user)
    if is_system(acting_user):
        return
    if not acting_user.has_function(MANAGE_ACCOUNTS):
        raise PermissionDenied
    if not accounts_managed(acting_user).filter(pk=user.pk).exists():
        raise PermissionDenied
