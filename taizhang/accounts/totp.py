"""A second factor for the three administrators (issue 19, 等保 level 3 双因素认证).

An account holding the system, security or audit administrator role signs in with its
password and then a six-digit code from an authenticator app (TOTP, RFC 6238). The first
time, it is sent to enrol: the page shows the secret and its QR code, and a code from the
app confirms it. A code is good for its 30-second step and the one either side (clock
drift), once. Five wrong codes end the attempt; the password is asked again.

The three administrators watch each other (三员分立), so nobody resets another's device
on a page: ``taizhang totp_reset USERNAME`` on the server's console does, audited like
the console's password reset. ``TAIZHANG_TOTP_FOR_ADMINS = False`` turns the second
factor off (a test bench, never production).
"""

from __future__ import annotations

import time
from typing import Any

import pyotp
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from taizhang.accounts.models import Grant, TotpDevice, User
from taizhang.core.actors import Actor
from taizhang.core.audit import audit_record
from taizhang.core.models import AuditOutcome

ISSUER = "taizhang"
STEP = 30
MAX_CODE_FAILURES = 5


def totp_required(user: User) -> bool:
    """Whether the account must give a second factor: it holds an administrator role."""
    if not getattr(settings, "TAIZHANG_TOTP_FOR_ADMINS", True):
        return False
    return any(g.admin_kind for g in Grant.objects.filter(user=user, is_active=True))


def confirmed_device(user: User) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


@transaction.atomic
def totp_begin(*, user: User) -> TotpDevice:
    """A fresh secret to enrol (replacing one never confirmed); a confirmed device stays."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        return device
    if device is None:
        return TotpDevice.objects.create(user=user, secret=pyotp.random_base32(32))
    return device


def provisioning_uri(device: TotpDevice) -> str:
    return pyotp.TOTP(device.secret, interval=STEP).provisioning_uri(
        name=device.user.username, issuer_name=ISSUER
    )


def _step_of(device: TotpDevice, code: str) -> int | None:
    """The time step ``code`` belongs to (now, or one either side), if any."""
    code = "".join(ch for ch in str(code) if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(device.secret, interval=STEP)
    now = int(time.time())
    for drift in (0, -1, 1):
        moment = now + drift * STEP
        if totp.verify(code, for_time=moment, valid_window=0):
            return moment // STEP
    return None


@transaction.atomic
def totp_check(*, user: User, code: str, purpose: str = "login") -> bool:
    """Accept ``code`` once for ``user``'s device; each try is audited."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    step = _step_of(device, code) if device is not None else None
    ok = device is not None and step is not None and step > device.last_step
    if ok:
        assert device is not None and step is not None
        device.last_step = step
        fields = ["last_step"]
        if device.confirmed_at is None:
            device.confirmed_at = timezone.now()
            fields.append("confirmed_at")
        device.save(update_fields=fields)
    audit_record(
        actor=user,
        action=f"totp.{purpose}",
        object_type="accounts.user",
        object_id=str(user.pk),
        object_repr=user.username,
        outcome=AuditOutcome.SUCCESS if ok else AuditOutcome.FAILURE,
    )
    return ok


@transaction.atomic
def totp_reset(*, user: User, acting_user: Actor) -> bool:
    """Remove an account's device (the console's ``totp_reset``): it enrols again."""
    removed, _rows = TotpDevice.objects.filter(user=user).delete()
    audit_record(
        actor=acting_user,
        action="totp.reset",
        object_type="accounts.user",
        object_id=str(user.pk),
        object_repr=user.username,
        changes={"removed": bool(removed)},
    )
    return bool(removed)


def qr_svg(uri: str) -> str:
    """The provisioning URI as an inline SVG data URI (no image is fetched)."""
    import segno

    return str(segno.make(uri, error="m").svg_data_uri(scale=4, border=2))


def pending(session: Any) -> dict[str, Any] | None:
    """The password-checked sign-in waiting for its code, if still fresh (5 minutes)."""
    data = session.get("totp_pending")
    if not isinstance(data, dict) or time.time() - float(data.get("at", 0)) > 300:
        return None
    return data
