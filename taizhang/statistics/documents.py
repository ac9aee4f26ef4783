"""The Word (.docx) version of a briefing, from its snapshot: the text as printed and an
appendix that lists every figure with its definition, record count and digest."""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from taizhang.core.formatting import chinese_date
from taizhang.statistics.briefings import numeral, paragraph_text, sections_of
from taizhang.statistics.models import Briefing

SERIF = "Noto Serif CJK SC"  # Debian's fonts-noto-cjk; Word falls back to SimSun
SANS = "Noto Sans CJK SC"


def _font(target: Any, name: str, size: float | None = None, bold: bool = False) -> None:
    """Set a run's or a style's font, the East Asian one included (Word reads Chinese
    text with ``w:eastAsia``, not with the Latin font name)."""
    target.font.name = name
    if size:
        target.font.size = Pt(size)
    target.font.bold = bold
    owner = target.element if hasattr(target, "style_id") else target._r
    owner.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def briefing_docx(briefing: Briefing) -> bytes:
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin = section.bottom_margin = Cm(3.7)
    section.left_margin = section.right_margin = Cm(2.7)
    _font(document.styles["Normal"], SERIF, 14)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run(_("Work briefing")), SERIF, 26, bold=True)
    number_line = document.add_paragraph()
    number_line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(number_line.add_run(briefing.number_label), SERIF, 16)
    org_line = document.add_paragraph()
    org_line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(
        org_line.add_run(f"{briefing.title}　{briefing.date_text}"),
        SERIF,
        14,
    )
    lead = document.add_paragraph()
    lead.paragraph_format.first_line_indent = Pt(28)
    _font(
        lead.add_run(
            _("The figures of this briefing cover %(period)s.") % {"period": briefing.period_text}
        ),
        SERIF,
        14,
    )
    for index, part in enumerate(sections_of(briefing)):
        heading = document.add_paragraph()
        _font(heading.add_run(f"{numeral(index)}、{part.title}"), SANS, 16, bold=True)
        body = document.add_paragraph()
        body.paragraph_format.first_line_indent = Pt(28)
        body.paragraph_format.line_spacing = Pt(28)
        _font(body.add_run(paragraph_text(part)), SERIF, 14)

    document.add_page_break()  # type: ignore[no-untyped-call]  # python-docx leaves it unannotated
    appendix = document.add_paragraph()
    _font(appendix.add_run(_("Appendix: where each figure comes from")), SANS, 16, bold=True)
    note = document.add_paragraph()
    _font(
        note.add_run(
            _(
                "Every figure was computed from the ledger records on %(day)s. The digest "
                "fingerprints the records behind a figure; the briefing's check page "
                "recomputes it."
            )
            % {
                "day": chinese_date(timezone.localdate(briefing.created_at))
                + f" {timezone.localtime(briefing.created_at):%H:%M}"
            }
        ),
        SERIF,
        10.5,
    )
    headers = [_("No."), _("Figure"), _("As printed"), _("Definition"), _("Records"), _("Digest")]
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        _font(cell.paragraphs[0].add_run(text), SANS, 9, bold=True)
    for number, entry in enumerate(briefing.figures, start=1):
        cells = table.add_row().cells
        values = [
            str(number),
            entry["label"],
            entry["text"]
            + (
                "\n" + _("Reported by the unit: %(figure)s") % {"figure": entry["reported"]["text"]}
                if entry.get("reported")
                else ""
            ),
            entry["definition"] or "—",
            str(entry["trace"]["rows"]),
            entry["trace"]["digest"][:10],
        ]
        for cell, text in zip(cells, values, strict=True):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(text), SERIF, 9)
    widths = [Cm(1.0), Cm(2.8), Cm(2.2), Cm(6.6), Cm(1.4), Cm(2.6)]
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    footer = document.add_paragraph()
    _font(
        footer.add_run(_("Briefing digest: %(digest)s") % {"digest": briefing.digest}),
        SERIF,
        9,
    )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
