"""The demand list as Excel. Requesters' contact data is always masked in the file."""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from taizhang.demands.models import Demand


def headers() -> list[str]:
    return [
        _("Demand no."),
        _("Received on"),
        _("Intake channel"),
        _("Demand category"),
        _("Demand summary"),
        _("Requester"),
        _("Contact mobile"),
        _("Receiving organization"),
        _("Handling organization"),
        _("Due on"),
        _("Demand state"),
        _("Satisfaction"),
        _("Concluded on"),
    ]


def demands_workbook(demands: Iterable[Demand]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Demands")[:31]
    sheet.append(headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for d in demands:
        requesters = list(d.requesters.all())
        sheet.append(
            [
                d.number,
                d.received_on,
                d.get_channel_display(),
                d.category.name,
                d.title,
                "、".join(r.name for r in requesters),
                "、".join(r.masked_mobile for r in requesters if r.mobile),
                d.org.short_name,
                d.handling_org.short_name if d.handling_org else "",
                d.due_on,
                d.get_state_display(),
                d.get_satisfaction_display() if d.satisfaction else "",
                d.closed_on,
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
