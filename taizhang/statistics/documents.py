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
from taizhang.organizations.models import Organization
from taizhang.statistics.briefing_template import DEFAULT_PATH
from taizhang.statistics.briefings import narrative_of, numeral, paragraph_text, parts_of
from taizhang.statistics.models import Briefing, BriefingStyle


def style_for(org: Organization) -> BriefingStyle | None:
    """The organization's own style, else its nearest ancestor's, else none."""
    node: Organization | None = org
    while node is not None:
        style = BriefingStyle.objects.filter(org=node).first()
        if style is not None:
            return style
        node = node.parent
    return None


def style_values(org: Organization) -> dict[str, str]:
    """Masthead, 编发单位 and 报/送/发 as the org's briefings print them (the defaults
    come from the organization's short name)."""
    name = org.short_name or org.name
    parent = org.parent
    values = {
        "masthead": _("%(org)s work briefing") % {"org": name},
        "issuer": _("%(org)s office") % {"org": name},
        "bao": (parent.short_name or parent.name) if parent else "",
        "song": "",
        "fa": _("the units under %(org)s") % {"org": name},
    }
    style = style_for(org)
    if style is not None:
        for key in values:
            if getattr(style, key):
                values[key] = getattr(style, key)
    return values


def template_bytes(org: Organization) -> bytes:
    """The Word template the org's briefings use: the nearest uploaded one, else the default."""
    node: Organization | None = org
    while node is not None:
        style = BriefingStyle.objects.filter(org=node).exclude(template="").first()
        if style is not None:
            with style.template.open("rb") as handle:
                return bytes(handle.read())
        node = node.parent
    return DEFAULT_PATH.read_bytes()


LABEL_KEYS = (
    "appendix",
    "note",
    "no",
    "figure",
    "printed",
    "definition",
    "records",
    "digest",
    "digest_line",
    "corrections",
)


def sample_context() -> dict[str, Any]:
    """A context with every tag a briefing template may use, to try an uploaded one."""
    return {
        "masthead": "工作简报",
        "number_label": "第1期",
        "issuer": "办公室",
        "date_text": "2026年12月2日",
        "title": "工作简报",
        "lead": "",
        "sections": [
            {
                "heading": "一、",
                "text": "",
                "narrative": [{"label": "（一）", "paragraphs": [""]}],
            }
        ],
        "bao": "",
        "song": "",
        "fa": "",
        "distribution": [{"lead": "报：", "text": ""}],
        "appendix": True,
        "figures": [{"no": 1, "label": "", "text": "", "definition": "", "rows": 0, "digest": ""}],
        "corrections": [""],
        "labels": dict.fromkeys(LABEL_KEYS, ""),
    }


def render_docx(template: bytes, context: dict[str, Any]) -> bytes:
    document = DocxTemplate(io.BytesIO(template))
    document.render(context, autoescape=True)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def correction_text(correction: Any) -> str:
    """One logged correction as the appendix prints it: when, who, where, what, why."""
    where = f"{correction.section.title}：" if correction.section_id else ""
    return _("%(date)s, %(who)s: %(where)s%(text)s (reason: %(reason)s)") % {
        "date": correction.date_text,
        "who": correction.made_by.display_name,
        "where": where,
        "text": correction.text,
        "reason": correction.reason,
    }


def briefing_context(briefing: Briefing, *, appendix: bool = True) -> dict[str, Any]:
    """What a briefing template is rendered with (the tags it may use)."""
    org = briefing.org
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
    style = style_values(org)
    return {
        "masthead": style["masthead"],
        "number_label": briefing.number_label,
        "issuer": style["issuer"],
        "date_text": briefing.date_text,
        "title": briefing.title,
        "lead": _("The figures of this briefing cover %(period)s.")
        % {"period": briefing.period_text},
        "sections": [
            {
                "heading": f"{numeral(index)}、{part.title}",
                "text": paragraph_text(part),
                "narrative": narrative_of(row),
            }
            for index, (part, row) in enumerate(parts_of(briefing))
        ],
        "bao": style["bao"],
        "song": style["song"],
        "fa": style["fa"],
        # The lines of the 版记 that have text (an office's own template may print
        # bao, song and fa itself).
        "distribution": [
            {"lead": lead, "text": style[key]}
            for key, lead in (("bao", "报："), ("song", "送："), ("fa", "发："))
            if style[key].strip()
        ],
        "appendix": appendix,
        "figures": figures,
        "corrections": [correction_text(c) for c in briefing.corrections.select_related("made_by")],
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
            "corrections": _("Corrections logged after issue"),
        },
    }


def briefing_docx(briefing: Briefing, *, appendix: bool = True) -> bytes:
    """The briefing as a .docx; ``appendix=False`` is the leader copy."""
    context = briefing_context(briefing, appendix=appendix)
    return render_docx(template_bytes(briefing.org), context)
