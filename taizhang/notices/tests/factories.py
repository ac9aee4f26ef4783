"""Helpers to build notices through the services, as real use would."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.notices import services
from taizhang.notices.models import (
    Audience,
    Notice,
    NoticeAttachment,
    NoticeReceipt,
    NoticeTarget,
)
from taizhang.organizations.models import Organization
from tests.files import pdf_bytes
from tests.support import make_user

PDF = pdf_bytes()


def pdf(name: str = "通知.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def make_notice(
    org: Organization,
    *,
    title: str = "关于做好年终台账整理工作的通知",
    body: str = "各单位：\n\n请于月底前完成本年度台账整理。\n\n特此通知。",
    acting_user: Any = SYSTEM,
    **kwargs: Any,
) -> Notice:
    return services.notice_create(
        org=org, title=title, body=body, acting_user=acting_user, **kwargs
    )


def published(
    org: Organization,
    *,
    units: list[Organization] | None = None,
    requires_ack: bool = True,
    ack_deadline: dt.date | None = None,
    acting_user: Any = SYSTEM,
    **kwargs: Any,
) -> Notice:
    """A notice of ``org`` published to ``units`` (chosen), or to the units below."""
    if units is not None:
        kwargs.update(audience=Audience.CHOSEN, chosen_units=units)
    notice = make_notice(
        org,
        requires_ack=requires_ack,
        ack_deadline=ack_deadline,
        acting_user=acting_user,
        **kwargs,
    )
    return services.notice_publish(notice=notice, acting_user=acting_user)


def staff(
    username: str, org: Organization, role: str = "clerk", kind: str = ScopeKind.SUBTREE
) -> Any:
    """A person account at ``org`` (a grant on the unit itself)."""
    return make_user(username, (role, kind, org))


def policy_samples() -> dict[str, Callable[[Organization], Any]]:
    """A row booked on ``org`` for each policy (the conformance test): drafts, so no
    other unit sees them through the targets rule."""

    def target(org: Organization) -> NoticeTarget:
        notice = make_notice(org)
        return NoticeTarget.objects.create(notice=notice, org=org)

    def attachment(org: Organization) -> NoticeAttachment:
        # A row only: the conformance test must not write files under var/media.
        return NoticeAttachment.objects.create(
            notice=make_notice(org), file="notices/sample.pdf", original_name="附件.pdf", size=9
        )

    def receipt(org: Organization) -> NoticeReceipt:
        notice = make_notice(org)
        user = make_user(f"r{org.pk}-{notice.pk}")
        return NoticeReceipt.objects.create(notice=notice, user=user, org=org)

    return {
        "notices.notice": lambda org: make_notice(org),
        "notices.attachment": attachment,
        "notices.target": target,
        "notices.receipt": receipt,
    }
