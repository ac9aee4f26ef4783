from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.accounts.forms import GrantForm, LoginForm, PasswordChangeForm
from taizhang.accounts.models import User
from taizhang.accounts.permissions import GRANT, MANAGE_GRANTS
from taizhang.accounts.services import (
    LoginRefused,
    grant_create,
    grant_revoke,
    user_authenticate,
    user_change_password,
    user_unlock,
)
from taizhang.core.access import login_required, public, requires
from taizhang.core.actors import Actor
from taizhang.core.forms import submit


@public
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_authenticate(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                channel="form",
            )
        except LoginRefused as refused:
            form.add_error(None, refused.reason)
        else:
            login(request, user, backend="taizhang.accounts.backends.LockoutAwareBackend")
            target = request.POST.get("next") or request.GET.get("next") or ""
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                target = ""
            return redirect(target or "core:home")
    return render(
        request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")}
    )


@public
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = PasswordChangeForm(request.POST or None)
    done = submit(
        request,
        form,
        lambda: user_change_password(
            user=user,
            old_password=form.cleaned_data["old_password"],
            new_password=form.cleaned_data["new_password"],
            acting_user=user,
        ),
        success=_("Your password has been changed."),
    )
    if done.ok:
        update_session_auth_hash(request, user)
        return redirect("core:home")
    return render(request, "accounts/password_change.html", {"form": form})


def _manageable_user(viewer: Actor, pk: int) -> User:
    """A user the security administrator may manage: not themselves (no self-grants)."""
    user = get_object_or_404(User.objects.prefetch_related("grants__organization"), pk=pk)
    if user.pk == viewer.pk:
        raise Http404
    return user


@requires(MANAGE_GRANTS)
def user_list(request: HttpRequest) -> HttpResponse:
    """Accounts with their grants and lock state, for the security administrator."""
    users = User.objects.prefetch_related("grants__organization").order_by("username")
    return render(request, "accounts/user_list.html", {"users": users})


@requires(MANAGE_GRANTS)
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One account's grants, and the form that adds one. The organization is looked up
    among those the security administrator manages; ``grant_create`` checks it again."""
    viewer: Actor = request.user  # type: ignore[assignment]
    user = _manageable_user(viewer, pk)
    form = GrantForm(request.POST or None, viewer=viewer)
    done = submit(
        request,
        form,
        lambda: grant_create(
            user=user,
            role=form.cleaned_data["role"],
            scope_kind=form.cleaned_data["scope_kind"],
            organization=form.cleaned_data["organization_code"],
            acting_user=viewer,
        ),
        success=_("The grant has been added."),
    )
    if done.ok:
        return redirect("accounts:user_detail", pk=user.pk)
    grants = [g for g in user.grants.all() if g.is_active]
    for grant in grants:
        grant.can_revoke = GRANT.can_manage(viewer, grant)  # type: ignore[attr-defined]
    return render(
        request, "accounts/user_detail.html", {"account": user, "grants": grants, "form": form}
    )


@requires(MANAGE_GRANTS)
@require_POST
def user_unlock_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer: Actor = request.user  # type: ignore[assignment]
    user = _manageable_user(viewer, pk)
    user_unlock(user=user, acting_user=viewer)
    messages.success(request, _("The account has been unlocked."))
    return redirect("accounts:user_detail", pk=user.pk)


@requires(MANAGE_GRANTS)
@require_POST
def grant_revoke_view(request: HttpRequest, pk: int, grant_id: int) -> HttpResponse:
    """Revoke one active grant: a grant outside the viewer's part of the tree is a 404
    here, and ``grant_revoke`` refuses it whoever calls."""
    viewer: Actor = request.user  # type: ignore[assignment]
    user = _manageable_user(viewer, pk)
    grant = GRANT.get(viewer, grant_id, base=user.grants.filter(is_active=True))
    grant_revoke(grant=grant, acting_user=viewer)
    messages.success(request, _("The grant has been revoked."))
    return redirect("accounts:user_detail", pk=user.pk)
