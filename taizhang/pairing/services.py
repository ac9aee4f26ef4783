"""Writes for pairs, village indicators and partnerships. Atomic, one audit event each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.actors import Actor, user_of
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.changes import rows_changing, rows_written
from taizhang.core.versions import require_version
from taizhang.organizations.models import Organization, OrgKind
from taizhang.pairing.models import (
    DEFAULT_TARGET,
    Ambassador,
    AssistanceProject,
    IndicatorCorrection,
    IndicatorValue,
    Pair,
    Partnership,
    ProjectState,
    ValueStatus,
)
from taizhang.pairing.permissions import (
    PAIR,
    PARTNERSHIP,
    PROJECT,
    VALUE,
    recorded_it,
    self_confirm_message,
)
from taizhang.people.permissions import PERSON

CONFIRM = "pairing.confirm"
VILLAGE_KINDS = {OrgKind.VILLAGE, OrgKind.COMMUNITY, OrgKind.COMMITTEE}
PAIR_FIELDS = ["helper", "village", "starts_on", "ends_on", "target_income", "target_year", "note"]


def _today() -> dt.date:
    return timezone.localdate()


@transaction.atomic
def pair_create(
    *,
    helper: Organization,
    village: Organization,
    starts_on: dt.date,
    ends_on: dt.date,
    target_income: int = DEFAULT_TARGET,
    target_year: int | None = None,
    note: str = "",
    acting_user: Actor,
) -> Pair:
    """Pair a helping organization with a village (or community) for a period.

    The target year defaults to the last year of the period ("by the end of year 3").
    """
    PAIR.require_org(acting_user, village)
    if village.kind not in VILLAGE_KINDS:
        raise ValidationError({"village": _("Pair a village or a community.")})
    if helper.pk == village.pk:
        raise ValidationError({"helper": _("An organization does not help itself.")})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The period ends before it starts.")})
    target_year = target_year or ends_on.year
    if not starts_on.year <= target_year <= ends_on.year:
        raise ValidationError({"target_year": _("The target year lies within the period.")})
    overlapping = Pair.objects.filter(
        helper=helper, village=village, starts_on__lte=ends_on, ends_on__gte=starts_on
    )
    if overlapping.exists():
        raise ValidationError(_("These two are already paired in that period."))
    pair = Pair(
        helper=helper,
        village=village,
        starts_on=starts_on,
        ends_on=ends_on,
        target_income=target_income,
        target_year=target_year,
        note=note,
    )
    pair.full_clean()
    pair.save()
    rows_written(Pair, [pair])
    audit_record(
        actor=acting_user,
        action="pair.create",
        obj=pair,
        changes=diff({}, snapshot(pair, PAIR_FIELDS)),
    )
    return pair


PROJECT_FIELDS = ["name", "helper", "funds", "state", "starts_on", "completed_on", "note"]
# Funds beyond this are a typing slip, not an assistance project (1000亿元).
MAX_FUNDS = 100_000_000_000


def _check_project(project: AssistanceProject) -> None:
    """The rules of a project's state and dates (谋划 → 实施中 → 已完成)."""
    if project.state not in ProjectState.values:
        raise ValidationError({"state": _("Unknown state.")})
    if not project.name.strip():
        raise ValidationError({"name": _("Name the project.")})
    if project.funds < 0:
        raise ValidationError({"funds": _("The funds cannot be negative.")})
    if project.funds > MAX_FUNDS:
        raise ValidationError({"funds": _("The funds are beyond any real assistance project.")})
    if project.state == ProjectState.DONE and project.completed_on is None:
        raise ValidationError({"completed_on": _("Give the date the project was completed.")})
    if project.state != ProjectState.DONE and project.completed_on is not None:
        raise ValidationError(
            {"completed_on": _("Only a completed project has a completion date.")}
        )
    if project.completed_on is not None:
        if project.completed_on < project.starts_on:
            raise ValidationError(
                {"completed_on": _("A project is not completed before it starts.")}
            )
        if project.completed_on > _today():
            raise ValidationError({"completed_on": _("The date cannot be in the future.")})
    if project.state != ProjectState.PLANNING and project.starts_on > _today():
        raise ValidationError(
            {"starts_on": _("A project under way or completed has started already.")}
        )


@transaction.atomic
def assistance_project_create(
    *,
    pair: Pair,
    name: str,
    starts_on: dt.date,
    helper: Organization | None = None,
    funds: int = 0,
    state: str = ProjectState.PLANNING,
    completed_on: dt.date | None = None,
    note: str = "",
    acting_user: Actor,
) -> AssistanceProject:
    """Add a named assistance project (帮扶项目) under a pair, on the village or the
    helping organization the acting user keeps pairing work for; the helping unit is
    the pair's helper unless another is named (a unit helping alongside)."""
    pair = Pair.objects.select_related("helper", "village").get(pk=pair.pk)
    PAIR.require(acting_user, pair)
    project = AssistanceProject(
        pair=pair,
        name=name.strip(),
        helper=helper or pair.helper,
        funds=funds,
        state=state,
        starts_on=starts_on,
        completed_on=completed_on,
        note=note.strip(),
    )
    _check_project(project)
    project.full_clean()
    project.save()
    rows_written(AssistanceProject, [project])
    audit_record(
        actor=acting_user,
        action="assistance_project.create",
        obj=project,
        changes={**diff({}, snapshot(project, PROJECT_FIELDS)), "pair": [None, pair.pk]},
    )
    return project


@transaction.atomic
def assistance_project_update(
    *,
    project: AssistanceProject,
    acting_user: Actor,
    version: int | None = None,
    **fields: Any,
) -> AssistanceProject:
    """Change a project's details, state or dates (one audit event with the changes);
    ``version`` is the one the editor saw (``core.versions``)."""
    unknown = set(fields) - set(PROJECT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown project fields: {sorted(unknown)}")
    project = (
        AssistanceProject.objects.select_for_update()
        .select_related("pair__village", "pair__helper")
        .get(pk=project.pk)
    )
    PROJECT.require(acting_user, project)
    require_version(project, version)
    before = snapshot(project, PROJECT_FIELDS)
    for key, value in fields.items():
        setattr(project, key, value.strip() if isinstance(value, str) else value)
    if project.helper_id is None:
        project.helper = project.pair.helper
    _check_project(project)
    project.full_clean()
    project.save()
    rows_written(AssistanceProject, [project])
    changes = diff(before, snapshot(project, PROJECT_FIELDS))
    if changes:
        audit_record(
            actor=acting_user, action="assistance_project.update", obj=project, changes=changes
        )
    return project


def _check_value(indicator: str, year: int, value: int) -> None:
    if value < 0:
        raise ValidationError({"value": _("A value is not negative.")})
    if year > _today().year:
        raise ValidationError({"year": _("A year that has not begun has no value yet.")})


def _late(year: int, late_reason: str) -> str:
    """The 补录 reason kept on a value: only a past year's value is entered late."""
    return late_reason.strip()[:200] if year < _today().year else ""


def _late_entry(year: int, reason: str) -> dict[str, Any]:
    if not reason:
        return {}
    return {"late_entry": {"year": year, "reason": reason, "entered_on": _today()}}


@transaction.atomic
def indicator_record(
    *,
    village: Organization,
    indicator: str,
    year: int,
    value: int,
    on: dt.date | None = None,
    late_reason: str = "",
    acting_user: Actor,
) -> IndicatorValue:
    """Record (or revise) a village's value for a year, until it is confirmed.

    ``late_reason`` marks a past year's value entered afterwards (补录: a ledger kept
    elsewhere); the value keeps the reason and the audit event the year and the day of
    entry.
    """
    VALUE.require_org(acting_user, village)
    _check_value(indicator, year, value)
    late = _late(year, late_reason)
    row = (
        IndicatorValue.objects.select_for_update()
        .filter(village=village, indicator=indicator, year=year)
        .first()
    )
    if row is not None and row.is_locked:
        raise ValidationError(
            _("The %(year)s value is confirmed and locked; record a correction with its reason.")
            % {"year": year}
        )
    before = snapshot(row, ["value"]) if row else {}
    if row is None:
        row = IndicatorValue(
            village=village,
            indicator=indicator,
            year=year,
            year_end=dt.date(year, 12, 31),
            value=value,
            recorded_on=on or _today(),
            recorded_by=user_of(acting_user),
            late_reason=late,
        )
    else:
        row.value = value
        row.recorded_on = on or _today()
        row.recorded_by = user_of(acting_user)
        row.late_reason = late or row.late_reason
    row.full_clean()
    row.save()
    rows_written(IndicatorValue, [row])
    audit_record(
        actor=acting_user,
        action="indicator.record",
        obj=row,
        object_repr=f"{village.short_name} {row.get_indicator_display()} {year}",
        changes={
            "indicator": indicator,
            "year": year,
            **diff(before, snapshot(row, ["value"])),
            **_late_entry(year, late),
        },
    )
    return row


@dataclass(frozen=True)
class ValueIn:
    """One village figure to record: the input of ``indicator_import``."""

    village: Organization
    indicator: str
    year: int
    value: int


@transaction.atomic
def indicator_import(
    *, rows: Sequence[ValueIn], source: str, late_reason: str = "", acting_user: Actor
) -> list[IndicatorValue]:
    """Record many village figures at once (a ledger brought in): one audit event.

    Every row is checked as ``indicator_record`` checks it before anything is written; a
    figure already recorded for the village, indicator and year is refused here (it is
    revised through ``indicator_record``). Past years' figures keep ``late_reason`` (补录).
    """
    for village in {row.village.pk: row.village for row in rows}.values():
        VALUE.require_org(acting_user, village)
    for row in rows:
        _check_value(row.indicator, row.year, row.value)
    keys = {(row.village.pk, row.indicator, row.year) for row in rows}
    if len(keys) != len(rows):
        raise ValidationError(_("The same figure appears twice."))
    if keys:
        recorded = IndicatorValue.objects.filter(
            village_id__in={k[0] for k in keys},
            indicator__in={k[1] for k in keys},
            year__in={k[2] for k in keys},
        ).values_list("village_id", "indicator", "year")
        if any(tuple(k) in keys for k in recorded):
            raise ValidationError(_("A figure of these is already recorded; revise it instead."))
    today, recorder = _today(), user_of(acting_user)
    built = [
        IndicatorValue(
            village=row.village,
            indicator=row.indicator,
            year=row.year,
            year_end=dt.date(row.year, 12, 31),
            value=row.value,
            recorded_on=today,
            recorded_by=recorder,
            late_reason=_late(row.year, late_reason),
        )
        for row in rows
    ]
    IndicatorValue.objects.bulk_create(built, batch_size=1000)
    if not all(v.pk for v in built):  # SQLite < 3.35 cannot return ids from bulk inserts
        raise RuntimeError("The database did not return the new ids")
    # Bulk inserts send no signal: the roll-ups learn of the rows from this report.
    rows_written(IndicatorValue, built)
    late_years = sorted({v.year for v in built if v.late_reason})
    changes: dict[str, Any] = {"count": len(built), "source": source}
    if built:
        changes["ids"] = [built[0].pk, built[-1].pk]
    if late_years:
        changes["late_entry"] = {"years": late_years, "reason": late_reason, "entered_on": today}
    audit_record(
        actor=acting_user,
        action="indicator.import",
        object_type=IndicatorValue._meta.label_lower,
        object_repr=source[:200],
        changes=changes,
    )
    return built


@transaction.atomic
def indicator_import_undo(*, ids: Sequence[int], source: str, acting_user: Actor) -> int:
    """Remove the figures an import recorded (its batch is being undone): one audit event.

    A figure confirmed since, or corrected, stays: it is no longer the import's alone.
    """
    values = list(
        IndicatorValue.objects.select_for_update(of=("self",))
        .select_related("village")
        .filter(pk__in=ids)
    )
    for village in {v.village_id: v.village for v in values}.values():
        VALUE.require_org(acting_user, village)
    if any(v.is_locked for v in values):
        raise ValidationError(_("A figure of this import has been confirmed since."))
    with rows_changing(IndicatorValue, values):
        IndicatorValue.objects.filter(pk__in=[v.pk for v in values]).delete()
    audit_record(
        actor=acting_user,
        action="indicator.import_undo",
        object_type=IndicatorValue._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(values), "source": source},
    )
    return len(values)


@transaction.atomic
def indicator_confirm(
    *, value: IndicatorValue, on: dt.date | None = None, acting_user: Actor
) -> IndicatorValue:
    """Confirm a recorded value; from then on it is locked."""
    row = (
        IndicatorValue.objects.select_for_update(of=("self",))
        .select_related("village")
        .get(pk=value.pk)
    )
    VALUE.require(acting_user, row, CONFIRM)
    if row.is_locked:
        raise ValidationError(_("This value is already confirmed."))
    if recorded_it(acting_user, row):
        raise PermissionDenied(self_confirm_message())
    row.status = ValueStatus.CONFIRMED
    row.confirmed_on = on or _today()
    row.confirmed_by = user_of(acting_user)
    row.save(update_fields=["status", "confirmed_on", "confirmed_by"])
    rows_written(IndicatorValue, [row])
    audit_record(
        actor=acting_user,
        action="indicator.confirm",
        obj=row,
        object_repr=f"{row.village.short_name} {row.get_indicator_display()} {row.year}",
        changes={
            "status": [ValueStatus.DRAFT, ValueStatus.CONFIRMED],
            "confirmed_on": [None, row.confirmed_on],
            "value": row.value,
        },
    )
    return row


@transaction.atomic
def indicator_correct(
    *,
    value: IndicatorValue,
    new_value: int,
    reason: str,
    on: dt.date | None = None,
    acting_user: Actor,
) -> IndicatorCorrection:
    """Correct a confirmed value. The old value is kept in the correction history."""
    row = (
        IndicatorValue.objects.select_for_update(of=("self",))
        .select_related("village")
        .get(pk=value.pk)
    )
    VALUE.require(acting_user, row, CONFIRM)
    if not row.is_locked:
        raise ValidationError(_("Only a confirmed value is corrected; revise this one instead."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the confirmed value is corrected.")})
    _check_value(row.indicator, row.year, new_value)
    if new_value == row.value:
        raise ValidationError({"new_value": _("The new value equals the current one.")})
    correction = IndicatorCorrection.objects.create(
        value=row,
        old_value=row.value,
        new_value=new_value,
        reason=reason,
        corrected_on=on or _today(),
        corrected_by=user_of(acting_user),
    )
    row.value = new_value
    row.save(update_fields=["value"])
    rows_written(IndicatorValue, [row])
    audit_record(
        actor=acting_user,
        action="indicator.correct",
        obj=row,
        object_repr=f"{row.village.short_name} {row.get_indicator_display()} {row.year}",
        changes={
            "value": [correction.old_value, new_value],
            "reason": reason,
            "correction": correction.pk,
        },
    )
    return correction


@transaction.atomic
def partnership_create(
    *,
    org: Organization,
    kind: str,
    partner: str,
    title: str,
    signed_on: dt.date,
    ends_on: dt.date | None = None,
    place: str = "",
    note: str = "",
    acting_user: Actor,
) -> Partnership:
    """Record a cooperation agreement or a workstation set up with an outside body."""
    PARTNERSHIP.require_org(acting_user, org)
    if ends_on is not None and ends_on < signed_on:
        raise ValidationError({"ends_on": _("The partnership ends before it was signed.")})
    partnership = Partnership(
        org=org,
        kind=kind,
        partner=partner,
        title=title,
        signed_on=signed_on,
        ends_on=ends_on,
        place=place,
        note=note,
    )
    partnership.full_clean()
    partnership.save()
    rows_written(Partnership, [partnership])
    audit_record(
        actor=acting_user,
        action="partnership.create",
        obj=partnership,
        changes=diff(
            {},
            snapshot(
                partnership, ["org", "kind", "partner", "title", "signed_on", "ends_on", "place"]
            ),
        ),
    )
    return partnership


@transaction.atomic
def ambassador_appoint(
    *,
    partnership: Partnership,
    person: Any,
    role: str,
    appointed_on: dt.date,
    ends_on: dt.date | None = None,
    acting_user: Actor,
) -> Ambassador:
    """Appoint a 招商大使 or 招才引智大使 under a partnership, from a date."""
    PARTNERSHIP.require(acting_user, partnership)
    PERSON.require(acting_user, person, PERSON.view)
    if appointed_on < partnership.signed_on:
        raise ValidationError(
            {"appointed_on": _("An ambassador is appointed after the partnership is signed.")}
        )
    if ends_on is not None and ends_on < appointed_on:
        raise ValidationError({"ends_on": _("The appointment ends before it starts.")})
    current = partnership.ambassadors.filter(person=person, role=role).filter(ends_on__isnull=True)
    if current.exists():
        raise ValidationError(_("This person already holds this appointment here."))
    ambassador = Ambassador(
        partnership=partnership,
        person=person,
        role=role,
        appointed_on=appointed_on,
        ends_on=ends_on,
    )
    ambassador.full_clean()
    ambassador.save()
    rows_written(Ambassador, [ambassador])
    audit_record(
        actor=acting_user,
        action="ambassador.appoint",
        obj=ambassador,
        object_repr=f"{person.name} {ambassador.get_role_display()}",
        changes=diff(
            {}, snapshot(ambassador, ["partnership", "person", "role", "appointed_on", "ends_on"])
        ),
    )
    return ambassador


@transaction.atomic
def ambassador_end(*, ambassador: Ambassador, ends_on: dt.date, acting_user: Actor) -> Ambassador:
    """End an appointment on a date; the record stays."""
    ambassador = Ambassador.objects.select_related("partnership__org").get(pk=ambassador.pk)
    PARTNERSHIP.require(acting_user, ambassador.partnership)
    if ambassador.ends_on is not None:
        raise ValidationError(_("This appointment has already ended."))
    if ends_on < ambassador.appointed_on:
        raise ValidationError({"ends_on": _("The appointment ends before it starts.")})
    ambassador.ends_on = ends_on
    ambassador.save(update_fields=["ends_on"])
    audit_record(
        actor=acting_user,
        action="ambassador.end",
        obj=ambassador,
        changes={"ends_on": [None, ends_on]},
    )
    return ambassador
