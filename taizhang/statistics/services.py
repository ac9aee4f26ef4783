"""Writes of statistics: indicators, their targets and manual actuals, briefings.

Each service is ``@transaction.atomic``, takes keyword-only arguments with the
``acting_user`` (``core.actors.Actor``; ``SYSTEM`` for the demo loader), checks the
module's scope policies (``permissions.py``) and records one audit event.

None of these rows is counted by a metric, so nothing here reports changes to the
roll-ups (``core.changes``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.actors import Actor, is_system, require_actor, user_of
from taizhang.core.audit import audit_record
from taizhang.core.registry import METRICS
from taizhang.core.services import update_with_audit
from taizhang.core.versions import require_version
from taizhang.organizations.models import Organization
from taizhang.statistics import briefings
from taizhang.statistics.indicators import FIXED_FIELDS, INDICATOR_FIELDS
from taizhang.statistics.models import (
    Briefing,
    BriefingCorrection,
    BriefingSection,
    BriefingState,
    BriefingStyle,
    Direction,
    Indicator,
    IndicatorEntry,
    IndicatorSource,
    IndicatorTarget,
)
from taizhang.statistics.periods import Period
from taizhang.statistics.permissions import (
    BRIEFING,
    BRIEFING_STYLE,
    INDICATOR,
    INDICATOR_ENTRY,
    INDICATOR_TARGET,
)


def _clean(fields: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if not str(fields.get("name", "")).strip():
        errors["name"] = _("Give the indicator a name.")
    if fields.get("source") == IndicatorSource.METRIC:
        if fields.get("metric") not in METRICS:
            errors["metric"] = _("Choose the metric the indicator is computed from.")
    elif fields.get("source") == IndicatorSource.MANUAL:
        fields["metric"] = ""
    else:
        errors["source"] = _("Choose where the actual values come from.")
    if fields.get("direction") not in Direction.values:
        errors["direction"] = _("Choose whether higher or lower is better.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def indicator_create(*, acting_user: Actor, owner: Organization, **fields: Any) -> Indicator:
    """Set an indicator for ``owner``'s subtree (``statistics.manage`` on ``owner``)."""
    INDICATOR.require_org(acting_user, owner)
    _clean(fields)
    indicator = Indicator(owner=owner, **fields)
    indicator.full_clean()
    indicator.save()
    audit_record(
        actor=acting_user,
        action="statistics.indicator_create",
        obj=indicator,
        changes={
            name: [None, getattr(indicator, name)] for name in ["owner_id", *INDICATOR_FIELDS]
        },
    )
    return indicator


@transaction.atomic
def indicator_update(
    *, acting_user: Actor, indicator: Indicator, version: int | None = None, **fields: Any
) -> Indicator:
    """Reword an indicator or change its ranking rule. What it measures (source and
    metric) stays as set: targets and actuals were given for it. ``version``: the one
    the editor saw; a change since is refused (``StaleEdit``), not overwritten."""
    indicator = Indicator.objects.select_for_update().select_related("owner").get(pk=indicator.pk)
    INDICATOR.require(acting_user, indicator)
    require_version(indicator, version)
    fixed = {
        name: _("What an indicator measures cannot change once it is set; set a new one.")
        for name in FIXED_FIELDS
        if name in fields and fields[name] != getattr(indicator, name)
    }
    if fixed:
        raise ValidationError(fixed)
    merged = {name: fields.get(name, getattr(indicator, name)) for name in INDICATOR_FIELDS}
    _clean(merged)
    update_with_audit(
        indicator,
        changes=merged,
        editable=INDICATOR_FIELDS,
        audited=INDICATOR_FIELDS,
        action="statistics.indicator_update",
        acting_user=acting_user,
    )
    return indicator


def _within_owner(indicator: Indicator, org: Organization) -> None:
    if not org.path.startswith(indicator.owner.path):
        raise ValidationError(
            {
                "org": _("%(org)s is not below %(owner)s, which set this indicator.")
                % {"org": org.name, "owner": indicator.owner.name}
            }
        )


@transaction.atomic
def target_set(
    *,
    acting_user: Actor,
    indicator: Indicator,
    org: Organization,
    period: Period,
    target: Decimal,
    version: int | None = None,
) -> IndicatorTarget:
    """Set (or change) the target of ``org`` for ``period``. A target is decided by the
    organization that set the indicator: ``statistics.manage`` on the indicator's owner,
    never on the ranked unit alone (a unit must not set its own target). ``version`` is
    the target's version the setter saw (0: none was set): a target set by someone else
    since is refused (``StaleEdit``), not overwritten."""
    INDICATOR_TARGET.require(acting_user, IndicatorTarget(indicator=indicator, org=org))
    _within_owner(indicator, org)
    if target is None or Decimal(target) < 0:
        raise ValidationError({"target": _("A target is a number of zero or more.")})
    setter = user_of(acting_user)
    row, created = IndicatorTarget.objects.select_for_update().get_or_create(
        indicator=indicator,
        org=org,
        period_start=period.start,
        period_end=period.end,
        defaults={"target": target, "set_by": setter},
    )
    old = None if created else row.target
    if not created:
        require_version(row, version)
        row.target = target
        row.set_by = setter
        row.save()
    audit_record(
        actor=acting_user,
        action="statistics.target_set",
        obj=row,
        changes={"target": [None if old is None else str(old), str(target)]},
    )
    return row


@transaction.atomic
def actual_enter(
    *,
    acting_user: Actor,
    indicator: Indicator,
    org: Organization,
    period: Period,
    value: Decimal,
    cases: int,
    evidence: str,
    attachment: Any = None,
    version: int | None = None,
) -> IndicatorEntry:
    """Enter the actual value of a manual indicator, with the evidence it rests on: the
    ranked unit's own figure (``statistics.manage`` on ``org``). ``version``: the
    entry's version the page showed (0: none yet); a value entered since is refused."""
    INDICATOR_ENTRY.require(acting_user, IndicatorEntry(indicator=indicator, org=org))
    _within_owner(indicator, org)
    if indicator.source != IndicatorSource.MANUAL:
        raise ValidationError(_("This indicator is computed from the records; nothing to enter."))
    errors = {}
    if value is None or Decimal(value) < 0:
        errors["value"] = _("An actual value is a number of zero or more.")
    if not (evidence or "").strip():
        errors["evidence"] = _("Say what the value rests on: the evidence is required.")
    if cases is None or cases < 0:
        errors["cases"] = _("The number of cases is zero or more.")
    if errors:
        raise ValidationError(errors)
    row = (
        IndicatorEntry.objects.select_for_update()
        .filter(indicator=indicator, org=org, period_start=period.start, period_end=period.end)
        .first()
    )
    if row is not None:
        require_version(row, version)
    before = None if row is None else [str(row.value), row.cases, row.evidence, row.attachment.name]
    if row is None:
        row = IndicatorEntry(
            indicator=indicator, org=org, period_start=period.start, period_end=period.end
        )
    row.value, row.cases, row.evidence = value, cases, evidence.strip()
    row.entered_by = user_of(acting_user)
    if attachment:
        row.attachment = attachment
    row.save()
    audit_record(
        actor=acting_user,
        action="statistics.actual_enter",
        obj=row,
        changes={
            "value": [before and before[0], str(value)],
            "cases": [before and before[1], cases],
            "evidence": [before and before[2], row.evidence],
            **({"attachment": [before and before[3], row.attachment.name]} if attachment else {}),
        },
    )
    return row


@transaction.atomic
def briefing_generate(
    *, acting_user: Actor, org: Organization, period: Period, include_empty: bool = False
) -> Briefing:
    """Compose a draft briefing for ``org`` and ``period`` (``statistics.brief`` on
    ``org``) and keep its figures as a snapshot. Its figures are computed in the author's
    scope, and its check recomputes them in the same scope, so a briefing needs a person
    as author. The draft carries the sections with records (and, with
    ``include_empty``, the level's sections without), each with its figures' sentence
    and empty narrative slots; it is numbered when issued (``briefing_issue``)."""
    require_actor(acting_user)
    if is_system(acting_user):
        raise TypeError("a briefing is computed in its author's scope; SYSTEM is no author")
    BRIEFING.require_org(acting_user, org)
    if period.start > period.end:
        raise ValidationError(_("The period ends before it starts."))
    chosen = briefings.choose(
        org, briefings.compose(acting_user, org, period), include_empty=include_empty
    )
    lines = [
        {
            "section": section.module,
            "section_title": section.title,
            "metric": line.metric,
            "label": line.label,
            "unit": line.unit,
            "definition": line.definition,
            "sentence": line.sentence,
            "text": line.text,
            "trace": line.trace,
            "reported": line.reported,
            "part_of": line.part_of,
        }
        for section in chosen
        for line in section.lines
    ]
    briefing = Briefing.objects.create(
        org=org,
        year=period.start.year,
        number=None,
        state=BriefingState.DRAFT,
        include_empty=include_empty,
        period_kind=period.kind,
        period_start=period.start,
        period_end=period.end,
        title=briefings.title_for(org, period),
        figures=lines,
        digest=briefings.digest_of(lines),
        created_by=user_of(acting_user),
    )
    BriefingSection.objects.bulk_create(
        BriefingSection(
            briefing=briefing,
            module=section.module,
            position=index,
            title=section.title,
            figures_text=briefings.paragraph_text(section),
        )
        for index, section in enumerate(chosen)
    )
    audit_record(
        actor=acting_user,
        action="statistics.briefing_generate",
        obj=briefing,
        changes={
            "org": [None, org.pk],
            "period": [None, f"{period.start}..{period.end}"],
            "state": [None, BriefingState.DRAFT],
            "sections": [None, [section.module for section in chosen]],
            "figures": [None, len(lines)],
            "digest": [None, briefing.digest],
        },
    )
    return briefing


def _locked(acting_user: Actor, briefing: Briefing, version: int | None) -> Briefing:
    """The briefing's row, locked, once the writer may write it (``statistics.brief`` on
    its organization) and nobody wrote it since she opened it."""
    require_actor(acting_user)
    locked = Briefing.objects.select_for_update().select_related("org").get(pk=briefing.pk)
    BRIEFING.require(acting_user, locked)
    require_version(locked, version)
    return locked


def _issued_refusal(briefing: Briefing) -> ValidationError:
    return ValidationError(
        _(
            "This briefing was issued as %(number)s and can no longer be edited: log a "
            "correction, or generate a new issue."
        )
        % {"number": briefing.number_label},
        code="issued",
    )


def _plain(text: Any) -> str:
    return str(text or "").replace("\r\n", "\n").strip()


@transaction.atomic
def briefing_draft_edit(
    *,
    acting_user: Actor,
    briefing: Briefing,
    sections: dict[str, dict[str, str]],
    version: int | None = None,
) -> Briefing:
    """Write the narrative of a draft: ``sections`` maps a section's module to its slots
    (``progress``, ``practices``, ``shortcomings``, ``next_steps``); only the slots sent
    change. A section may also send ``figures``, its figures' sentence as shown: it must
    be the computed one, never typed over (refused with the reason). A change someone
    else made since ``version`` is refused (``StaleEdit``), an issued briefing too."""
    briefing = _locked(acting_user, briefing, version)
    if not briefing.is_draft:
        raise _issued_refusal(briefing)
    stored = {section.module: section for section in briefing.sections.select_for_update()}
    errors: dict[str, str] = {}
    changes: dict[str, list[Any]] = {}
    changed: list[BriefingSection] = []
    for module, slots in sections.items():
        section = stored.get(module)
        if section is None:
            raise ValidationError(
                _("This briefing has no section %(section)s.") % {"section": module}
            )
        unknown = set(slots) - {*briefings.SLOTS, "figures"}
        if unknown:
            raise ValidationError(
                _("Not a part of a section: %(names)s.") % {"names": ", ".join(sorted(unknown))}
            )
        if "figures" in slots and _plain(slots["figures"]) != _plain(section.figures_text):
            errors[f"{module}-figures"] = _(
                "The figures of “%(section)s” are computed from the records and cannot be "
                "typed over: write about them in the narrative, or correct the records and "
                "generate a new draft."
            ) % {"section": section.title}
            continue
        touched = False
        for slot in briefings.SLOTS:
            if slot not in slots:
                continue
            value = _plain(slots[slot])
            if len(value) > briefings.SLOT_MAX_LENGTH:
                errors[f"{module}-{slot}"] = _(
                    "At most %(max)d characters (this text has %(length)d)."
                ) % {"max": briefings.SLOT_MAX_LENGTH, "length": len(value)}
                continue
            if value != getattr(section, slot):
                changes[f"{module}.{slot}"] = [getattr(section, slot), value]
                setattr(section, slot, value)
                touched = True
        if touched:
            changed.append(section)
    if errors:
        raise ValidationError(errors)
    if not changes:
        return briefing
    BriefingSection.objects.bulk_update(changed, list(briefings.SLOTS))
    audit_record(
        actor=acting_user, action="statistics.briefing_edit", obj=briefing, changes=changes
    )
    return briefing


@transaction.atomic
def briefing_issue(
    *, acting_user: Actor, briefing: Briefing, version: int | None = None
) -> Briefing:
    """Issue a draft: it takes the next 第X期 of its organization and year and is locked
    (figures, digest and narrative as they stand). ``statistics.brief`` on the org."""
    briefing = _locked(acting_user, briefing, version)
    if not briefing.is_draft:
        raise _issued_refusal(briefing)
    # 第X期: the org's row is locked so two clerks issuing at once get 1 and 2.
    Organization.objects.select_for_update().filter(pk=briefing.org_id).first()
    last = (
        Briefing.objects.filter(org_id=briefing.org_id, year=briefing.year)
        .exclude(number=None)
        .order_by("-number")
        .values_list("number", flat=True)
    ).first()
    briefing.number = (last or 0) + 1
    briefing.state = BriefingState.ISSUED
    briefing.issued_at = timezone.now()
    briefing.issued_by = user_of(acting_user)
    briefing.save(update_fields=["number", "state", "issued_at", "issued_by"])
    audit_record(
        actor=acting_user,
        action="statistics.briefing_issue",
        obj=briefing,
        changes={
            "state": [BriefingState.DRAFT, BriefingState.ISSUED],
            "number": [None, f"{briefing.year}-{briefing.number}"],
            "digest": [None, briefing.digest],
        },
    )
    return briefing


@transaction.atomic
def briefing_correct(
    *,
    acting_user: Actor,
    briefing: Briefing,
    text: str,
    reason: str,
    section: str = "",
    version: int | None = None,
) -> BriefingCorrection:
    """Log a correction of an issued briefing (who, when, what it says now, why),
    optionally of one section; the issue itself stays as printed. A draft is edited
    instead."""
    briefing = _locked(acting_user, briefing, version)
    if briefing.is_draft:
        raise ValidationError(_("A draft is not corrected: edit it."), code="draft")
    errors = {}
    if not _plain(text):
        errors["text"] = _("Write what the briefing should say.")
    if not _plain(reason):
        errors["reason"] = _("Say why it is corrected.")
    target = None
    if section:
        target = briefing.sections.filter(module=section).first()
        if target is None:
            errors["section"] = _("This briefing has no section %(section)s.") % {
                "section": section
            }
    if errors:
        raise ValidationError(errors)
    correction = BriefingCorrection.objects.create(
        briefing=briefing,
        section=target,
        text=_plain(text),
        reason=_plain(reason),
        made_by=user_of(acting_user),
    )
    audit_record(
        actor=acting_user,
        action="statistics.briefing_correct",
        obj=briefing,
        changes={
            "correction": [None, correction.text],
            "reason": [None, correction.reason],
            "section": [None, section or None],
        },
    )
    return correction


STYLE_FIELDS = ("masthead", "issuer", "bao", "song", "fa")


def check_template(data: bytes) -> None:
    """An uploaded template must be a .docx that docxtpl renders with a briefing's
    context; anything else is refused with the reason."""
    from taizhang.statistics.documents import render_docx, sample_context

    try:
        render_docx(data, sample_context())
    except Exception as exc:  # noqa: BLE001 - any failure means the file is unusable
        raise ValidationError(
            {
                "template": _(
                    "This file is not a Word template a briefing can be made from: %(why)s"
                )
                % {"why": str(exc)[:200] or type(exc).__name__}
            }
        ) from exc


@transaction.atomic
def briefing_style_save(
    *, acting_user: Actor, org: Organization, template: Any = None, **fields: str
) -> BriefingStyle:
    """Set ``org``'s briefing style (``statistics.brief`` on ``org``); ``template`` is an
    uploaded .docx, checked before anything is stored."""
    require_actor(acting_user)
    BRIEFING_STYLE.require_org(acting_user, org)
    unknown = set(fields) - set(STYLE_FIELDS)
    if unknown:
        raise TypeError(f"not style fields: {sorted(unknown)}")
    if template is not None:
        data = template.read()
        template.seek(0)
        check_template(data)
    style = BriefingStyle.objects.select_for_update().filter(org=org).first()
    created = style is None
    style = style or BriefingStyle(org=org)
    changes: dict[str, list[Any]] = {}
    for key, value in fields.items():
        value = (value or "").strip()
        if getattr(style, key) != value:
            changes[key] = [None if created else getattr(style, key), value]
            setattr(style, key, value)
    if template is not None:
        old = style.template.name or None
        style.template.save(f"org{org.pk}.docx", template, save=False)
        changes["template"] = [old, style.template.name]
    style.save()
    audit_record(
        actor=acting_user,
        action="statistics.briefing_style_create"
        if created
        else "statistics.briefing_style_update",
        obj=style,
        changes=changes,
    )
    return style
