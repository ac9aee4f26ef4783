"""The Word (.docx) version of a briefing, from its snapshot, rendered with docxtpl from
the default GB/T 9704 template (``briefing_template.py``): masthead, 第X期, 编发单位 and
date, the text as printed, the distribution block, and an appendix that lists every
figure with its definition, record count and digest (left out of the leader copy)."""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from docxtpl import DocxTemplate

from taizhang.core.formatting import chinese_date
from taizhang.statistics.briefing_template import DEFAULT_PATH
from taizhang.statistics.briefings import numeral, paragraph_text, sections_of
from taizhang.statistics.models import Briefing


def briefing_context(briefing: Briefing, *, appendix: bool = True) -> dict[str, Any]:
    """What a briefing template is rendered with (the tags it may use)."""
    org = briefing.org
    parent = org.parent
    made = timezone.localtime(briefing.created_at)
    figures = [
        {
            "no": number,
            "label": entry["label"],
            "text": entry["text"]
            + (
                "\n" + _("Reported by the unit: %(figure)s") % {"figure": entry["reported"]["text"]}
                if entry.get("reported")
                else ""
            ),
            "definition": entry["definition"] or "—",
            "rows": entry["trace"]["rows"],
            "digest": entry["trace"]["digest"][:10],
        }
        for number, entry in enumerate(briefing.figures, start=1)
    ]
    return {
        "masthead": _("%(org)s work briefing") % {"org": org.short_name or org.name},
        "number_label": briefing.number_label,
        "issuer": _("%(org)s office") % {"org": org.short_name or org.name},
        "date_text": briefing.date_text,
        "title": briefing.title,
        "lead": _("The figures of this briefing cover %(period)s.")
        % {"period": briefing.period_text},
        "sections": [
            {"heading": f"{numeral(index)}、{part.title}", "text": paragraph_text(part)}
            for index, part in enumerate(sections_of(briefing))
        ],
        "bao": parent.name if parent else "",
        "song": "",
        "fa": _("the units under %(org)s") % {"org": org.name},
        "appendix": appendix,
        "figures": figures,
        "labels": {
            "appendix": _("Appendix: where each figure comes from"),
            "note": _(
                "Every figure was computed from the ledger records on %(day)s. The digest "
                "fingerprints the records behind a figure; the briefing's check page "
                "recomputes it."
            )
            % {"day": f"{chinese_date(made.date())} {made:%H:%M}"},
            "no": _("No."),
            "figure": _("Figure"),
            "printed": _("As printed"),
            "definition": _("Definition"),
            "records": _("Records"),
            "digest": _("Digest"),
            "digest_line": _("Briefing digest: %(digest)s") % {"digest": briefing.digest},
        },
    }


def briefing_docx(briefing: Briefing, *, appendix: bool = True) -> bytes:
    """The briefing as a .docx; ``appendix=False`` is the leader copy."""
    template = DocxTemplate(str(DEFAULT_PATH))
    template.render(briefing_context(briefing, appendix=appendix), autoescape=True)
    buffer = io.BytesIO()
    template.save(buffer)
    return buffer.getvalue()
