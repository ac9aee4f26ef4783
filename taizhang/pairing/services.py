"""Writes for pairs, village indicators and partnerships. Atomic, one audit event each."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.actors import Actor, user_of
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.changes import rows_written
from taizhang.organizations.models import Organization, OrgKind
from taizhang.pairing.models import (
    DEFAULT_TARGET,
    Ambassador,
    IndicatorCorrection,
    IndicatorValue,
    Pair,
    Partnership,
    ValueStatus,
)
from taizhang.pairing.permissions import (
    PAIR,
    PARTNERSHIP,
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


def _check_value(indicator: str, year: int, value: int) -> None:
    if value < 0:
        raise ValidationError({"value": _("A value is not negative.")})
    if year > _today().year:
        raise ValidationError({"year": _("A year that has not begun has no value yet.")})


@transaction.atomic
def indicator_record(
    *,
    village: Organization,
    indicator: str,
    year: int,
    value: int,
    on: dt.date | None = None,
    acting_user: Actor,
) -> IndicatorValue:
    """Record (or revise) a village's value for a year, until it is confirmed."""
    VALUE.require_org(acting_user, village)
    _check_value(indicator, year, value)
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
        )
    else:
        row.value = value
        row.recorded_on = on or _today()
        row.recorded_by = user_of(acting_user)
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
        },
    )
    return row


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
