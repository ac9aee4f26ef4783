"""Writes to the working-day calendar: the system administrator's overrides."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from taizhang.core.access import require
from taizhang.core.actors import Actor, is_system, require_actor
from taizhang.core.audit import audit_record
from taizhang.core.models import WorkdayOverride

CONFIGURE_CALENDAR = "core.configure_calendar"


def _require_configure(acting_user: Actor) -> None:
    require_actor(acting_user)
    if not is_system(acting_user):
        require(acting_user.has_function(CONFIGURE_CALENDAR))


@transaction.atomic
def workday_override_create(
    *, date: dt.date, is_workday: bool, name: str = "", note: str = "", acting_user: Actor
) -> WorkdayOverride:
    """Declare ``date`` a working day or a rest day, whatever the published schedule says.

    Deadlines already computed keep their due day; demands received from now on use the
    new calendar.
    """
    _require_configure(acting_user)
    if WorkdayOverride.objects.filter(date=date).exists():
        raise ValidationError({"date": _("This day already has an override: remove it first.")})
    override = WorkdayOverride(date=date, is_workday=is_workday, name=name, note=note)
    override.full_clean()
    override.save()
    audit_record(
        actor=acting_user,
        action="workday_override.create",
        obj=override,
        changes={
            "date": [None, date.isoformat()],
            "is_workday": [None, is_workday],
            "name": [None, name],
            "note": [None, note],
        },
    )
    return override


@transaction.atomic
def workday_override_delete(*, override: WorkdayOverride, acting_user: Actor) -> None:
    """Remove an override: the day falls back to the published schedule or the weekend rule."""
    _require_configure(acting_user)
    audit_record(
        actor=acting_user,
        action="workday_override.delete",
        obj=override,
        changes={
            "date": [override.date.isoformat(), None],
            "is_workday": [override.is_workday, None],
            "name": [override.name, None],
        },
    )
    override.delete()
