from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.accounts import totp
from taizhang.accounts.forms import (
    AccountForm,
    GrantForm,
    LoginForm,
    PasswordChangeForm,
    ServiceTokenForm,
)
from taizhang.accounts.middleware import TOTP_ENROL
from taizhang.accounts.models import AccountKind, ApiToken, User
from taizhang.accounts.passwords import password_expired, password_max_age_days
from taizhang.accounts.permissions import (
    GRANT,
    MANAGE_ACCOUNTS,
    MANAGE_GRANTS,
    accounts_managed,
    get_account,
)
from taizhang.accounts.services import (
    LoginRefused,
    generate_password,
    grant_approve,
    grant_create,
    grant_revoke,
    live_tokens,
    password_expired_at_login,
    service_token_create,
    session_rekeyed,
    token_revoke,
    tokens_revoke_all,
    user_authenticate,
    user_change_password,
    user_create,
    user_logout,
    user_reset_password,
    user_set_active,
    user_unlock,
)
from taizhang.core.access import login_required, public, requires
from taizhang.core.actors import Actor, viewer_of
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
            target = request.POST.get("next") or request.GET.get("next") or ""
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                target = ""
            if totp.totp_required(user):
                if totp.confirmed_device(user) is not None:
                    # The password was right; the session signs in after the code.
                    request.session["totp_pending"] = {
                        "user": user.pk,
                        "at": time.time(),
                        "next": target,
                        "failures": 0,
                    }
                    return redirect("accounts:login_totp")
                _sign_in(request, user)
                request.session[TOTP_ENROL] = True
                return redirect("accounts:totp_setup")
            _sign_in(request, user)
            return redirect(target or "core:home")
    return render(
        request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")}
    )


def _sign_in(request: HttpRequest, user: User) -> None:
    login(request, user, backend="taizhang.accounts.backends.LockoutAwareBackend")
    # An expired password is audited here; the middleware then keeps her on the
    # password change page until she changes it.
    password_expired_at_login(user=user, channel="form")


@public
def login_totp_view(request: HttpRequest) -> HttpResponse:
    """The second step of an administrator's sign-in: the code from the app."""
    waiting = totp.pending(request.session)
    if waiting is None:
        request.session.pop("totp_pending", None)
        return redirect("accounts:login")
    user = User.objects.filter(pk=waiting["user"], is_active=True).first()
    if user is None:
        request.session.pop("totp_pending", None)
        return redirect("accounts:login")
    error = ""
    if request.method == "POST":
        if totp.totp_check(user=user, code=request.POST.get("code", "")):
            request.session.pop("totp_pending", None)
            _sign_in(request, user)
            return redirect(waiting.get("next") or "core:home")
        waiting["failures"] = int(waiting.get("failures", 0)) + 1
        if waiting["failures"] >= totp.MAX_CODE_FAILURES:
            request.session.pop("totp_pending", None)
            messages.error(request, _("Too many wrong codes: sign in again."))
            return redirect("accounts:login")
        request.session["totp_pending"] = waiting
        error = _("That code is not right, or was used already. Enter the code the app shows now.")
    return render(request, "accounts/login_totp.html", {"error": error})


@login_required
def totp_setup_view(request: HttpRequest) -> HttpResponse:
    """Enrol the administrator's authenticator app; a confirmed device is not shown again."""
    user: Any = request.user
    if totp.confirmed_device(user) is not None:
        request.session.pop(TOTP_ENROL, None)
        return redirect("core:home")
    device = totp.totp_begin(user=user)
    error = ""
    if request.method == "POST":
        if totp.totp_check(user=user, code=request.POST.get("code", ""), purpose="enrol"):
            request.session.pop(TOTP_ENROL, None)
            messages.success(request, _("The second factor is set up: use it at every sign-in."))
            return redirect("core:home")
        error = _("That code is not right. Enter the code the app shows now.")
    uri = totp.provisioning_uri(device)
    context = {"secret": device.secret, "qr": totp.qr_svg(uri), "error": error}
    return render(request, "accounts/totp_setup.html", context)


@public
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if getattr(user, "is_authenticated", False):
        user_logout(user=user)
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
        old_key = request.session.session_key
        update_session_auth_hash(request, user)  # a new session key: the index follows
        session_rekeyed(old_key=old_key, new_key=request.session.session_key)
        return redirect("core:home")
    context = {
        "form": form,
        "expired": password_expired(user),
        "max_age_days": password_max_age_days(),
    }
    return render(request, "accounts/password_change.html", context)


def _manageable_user(viewer: Actor, pk: int) -> User:
    """An account the security administrator manages (``permissions.account_q``): never
    her own, and the same 404 for a missing account and one that is not hers."""
    return get_account(viewer, pk)


def _shown_once(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """A page with a secret on it (a password, a token): never cached anywhere."""
    response = render(request, "accounts/secret_shown.html", context)
    response["Cache-Control"] = "no-store"
    return response


@requires(MANAGE_GRANTS)
def user_list(request: HttpRequest) -> HttpResponse:
    """The accounts the security administrator manages, with their grants and state;
    ``q`` searches usernames, display names and linked persons' names."""
    viewer = viewer_of(request)
    query = request.GET.get("q", "").strip()
    users = accounts_managed(viewer).select_related("person")
    if query:
        users = users.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(person__name__icontains=query)
        )
    users = users.prefetch_related("grants__organization").order_by("username")
    return render(
        request,
        "accounts/user_list.html",
        {
            "users": users[:200],
            "query": query,
            "can_create": viewer.has_function(MANAGE_ACCOUNTS),
        },
    )


@requires(MANAGE_ACCOUNTS)
def user_new(request: HttpRequest) -> HttpResponse:
    """Create an account: a person's gets a generated initial password, shown once, to
    change at first login; a service account gets none (issue it a token)."""
    viewer = viewer_of(request)
    form = AccountForm(request.POST or None, viewer=viewer)
    password = generate_password()
    done = submit(
        request,
        form,
        lambda: user_create(
            username=form.cleaned_data["username"],
            display_name=form.cleaned_data["display_name"],
            kind=form.cleaned_data["kind"],
            person=form.cleaned_data["person"],
            password=password,
            acting_user=viewer,
        ),
        success=_("The account has been created."),
    )
    if done.ok:
        user = done.result
        assert user is not None
        if user.is_service:
            return redirect("accounts:user_detail", pk=user.pk)
        return _shown_once(
            request,
            {
                "account": user,
                "title": _("Initial password"),
                "secret": password,
                "explanation": _(
                    "Give this password to the account holder. It is shown this once; "
                    "they must change it at first login."
                ),
            },
        )
    return render(request, "accounts/user_new.html", {"form": form})


@requires(MANAGE_GRANTS)
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One account's grants, and the form that adds one. The organization is looked up
    among those the security administrator manages; ``grant_create`` checks it again."""
    viewer = viewer_of(request)
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
    grants = [
        g for g in user.grants.select_related("organization") if g.is_active or g.awaiting_approval
    ]
    for grant in grants:
        manages = GRANT.can_manage(viewer, grant)
        grant.can_revoke = (  # type: ignore[attr-defined]
            manages and grant.is_active and grant.admin_kind != "audit"
        )
        # A second administrator approves: not the one who gave the grant.
        grant.can_approve = (  # type: ignore[attr-defined]
            manages and grant.awaiting_approval and viewer.pk != grant.granted_by_id
        )
    context: dict[str, Any] = {
        "account": user,
        "grants": grants,
        "form": form,
        "can_manage_account": viewer.has_function(MANAGE_ACCOUNTS),
    }
    if user.is_service:
        context["tokens"] = user.api_tokens.order_by("-created_at")
        context["token_form"] = ServiceTokenForm()
    else:
        # A person's own tokens from the login endpoint, while they still work.
        context["tokens"] = live_tokens(user).order_by("-created_at")
    context["live_tokens"] = live_tokens(user).count()
    return render(request, "accounts/user_detail.html", context)


@requires(MANAGE_GRANTS)
@require_POST
def user_unlock_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    user = _manageable_user(viewer, pk)
    user_unlock(user=user, acting_user=viewer)
    messages.success(request, _("The account has been unlocked."))
    return redirect("accounts:user_detail", pk=user.pk)


@requires(MANAGE_GRANTS)
@require_POST
def grant_revoke_view(request: HttpRequest, pk: int, grant_id: int) -> HttpResponse:
    """Revoke one active grant: a grant outside the viewer's part of the tree is a 404
    here, and ``grant_revoke`` refuses it whoever calls."""
    viewer = viewer_of(request)
    user = _manageable_user(viewer, pk)
    grant = GRANT.get(viewer, grant_id, base=user.grants.filter(is_active=True))
    grant_revoke(grant=grant, acting_user=viewer)
    messages.success(request, _("The grant has been revoked."))
    return redirect("accounts:user_detail", pk=user.pk)


@requires(MANAGE_ACCOUNTS)
@require_POST
def grant_approve_view(request: HttpRequest, pk: int, grant_id: int) -> HttpResponse:
    """Approve or refuse (``decision=refuse``) a grant awaiting a second administrator."""
    viewer = viewer_of(request)
    user = _manageable_user(viewer, pk)
    grant = GRANT.get(viewer, grant_id, base=user.grants.filter(awaiting_approval=True))
    approve = request.POST.get("decision") != "refuse"
    try:
        grant_approve(grant=grant, approve=approve, acting_user=viewer)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The grant has been approved.") if approve else _("The grant has been refused."),
        )
    return redirect("accounts:user_detail", pk=user.pk)


@requires(MANAGE_ACCOUNTS)
@require_POST
def user_disable_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    user = _manageable_user(viewer, pk)
    try:
        user_set_active(user=user, active=False, acting_user=viewer)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The account has been disabled."))
    return redirect("accounts:user_detail", pk=user.pk)


@requires(MANAGE_ACCOUNTS)
@require_POST
def user_enable_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    user = _manageable_user(viewer, pk)
    try:
        user_set_active(user=user, active=True, acting_user=viewer)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The account has been enabled."))
    return redirect("accounts:user_detail", pk=user.pk)


@requires(MANAGE_ACCOUNTS)
@require_POST
def user_reset_password_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A new generated password, shown once; the holder changes it at next login."""
    viewer = viewer_of(request)
    user = _manageable_user(viewer, pk)
    if user.is_service:
        raise Http404
    try:
        password = user_reset_password(user=user, acting_user=viewer)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("accounts:user_detail", pk=user.pk)
    return _shown_once(
        request,
        {
            "account": user,
            "title": _("New password"),
            "secret": password,
            "explanation": _(
                "Give this password to the account holder. It is shown this once; they "
                "must change it at the next login."
            ),
        },
    )


@requires(MANAGE_ACCOUNTS)
@require_POST
def token_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue a named token to a service account; the token is shown once."""
    viewer = viewer_of(request)
    user = _manageable_user(viewer, pk)
    if user.kind != AccountKind.SERVICE:
        raise Http404
    form = ServiceTokenForm(request.POST)
    done = submit(
        request,
        form,
        lambda: service_token_create(
            user=user,
            name=form.cleaned_data["name"],
            days=form.cleaned_data["days"],
            acting_user=viewer,
        ),
        success=_("The token has been issued."),
    )
    if not done.ok:
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
        return redirect("accounts:user_detail", pk=user.pk)
    assert done.result is not None
    record, token = done.result
    return _shown_once(
        request,
        {
            "account": user,
            "title": _("Token %(name)s") % {"name": record.name},
            "secret": token,
            "explanation": _(
                "Copy this token into the integration now: it is shown this once and "
                "only its fingerprint is kept. Send it as Authorization: Bearer <token>."
            ),
        },
    )


@requires(MANAGE_ACCOUNTS)
@require_POST
def tokens_revoke_all_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    user = _manageable_user(viewer, pk)
    revoked = tokens_revoke_all(user=user, acting_user=viewer)
    messages.success(request, _("%(n)s tokens revoked.") % {"n": revoked})
    return redirect("accounts:user_detail", pk=user.pk)


@requires(MANAGE_ACCOUNTS)
@require_POST
def token_revoke_view(request: HttpRequest, pk: int, token_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    user = _manageable_user(viewer, pk)
    token = get_object_or_404(ApiToken.objects.filter(user=user), pk=token_id)
    token_revoke(token=token, acting_user=viewer)
    messages.success(request, _("The token has been revoked."))
    return redirect("accounts:user_detail", pk=user.pk)
