"""Every statistics service records its audit event by name, refuses a missing actor,
and briefings need a person as author."""

from __future__ import annotations

from decimal import Decimal

import pytest

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.statistics import services
from taizhang.statistics.periods import Period
from taizhang.statistics.tests.factories import make_indicator, make_manual_indicator

YEAR = Period.year(2026)


def _latest():
    return AuditEvent.objects.latest("pk")


@pytest.mark.django_db
def test_every_service_records_its_audit_action(tree, personas):
    user = personas.district
    indicator = make_manual_indicator(user, tree.district)
    calls = [
        ("statistics.indicator_create", lambda: make_indicator(user, tree.district, name="新")),
        (
            "statistics.indicator_update",
            lambda: services.indicator_update(acting_user=user, indicator=indicator, unit="个"),
        ),
        (
            "statistics.target_set",
            lambda: services.target_set(
                acting_user=user,
                indicator=indicator,
                org=tree.street_a,
                period=YEAR,
                target=Decimal(5),
            ),
        ),
        (
            "statistics.actual_enter",
            lambda: services.actual_enter(
                acting_user=user,
                indicator=indicator,
                org=tree.street_a,
                period=YEAR,
                value=Decimal(4),
                cases=2,
                evidence="台账",
            ),
        ),
        (
            "statistics.briefing_generate",
            lambda: services.briefing_generate(
                acting_user=user, org=tree.street_a, period=Period.month(2026, 3)
            ),
        ),
    ]
    for action, call in calls:
        before = AuditEvent.objects.count()
        row = call()
        event = _latest()
        assert AuditEvent.objects.count() == before + 1, action
        assert (event.action, event.object_id) == (action, str(row.pk)), action
        assert event.actor_id == user.pk, action


@pytest.mark.django_db
def test_the_system_actor_is_audited_without_a_user(tree):
    indicator = make_indicator(SYSTEM, tree.district)
    event = _latest()
    assert (event.action, event.actor_id) == ("statistics.indicator_create", None)
    assert indicator.owner == tree.district


@pytest.mark.django_db
def test_a_missing_actor_is_refused(tree, personas):
    indicator = make_indicator(personas.district, tree.district)
    with pytest.raises(TypeError):
        services.indicator_update(acting_user=None, indicator=indicator, unit="x")
    with pytest.raises(TypeError):
        services.target_set(
            acting_user=None, indicator=indicator, org=tree.street_a, period=YEAR, target=1
        )
    with pytest.raises(TypeError):
        services.briefing_generate(acting_user=None, org=tree.street_a, period=YEAR)


@pytest.mark.django_db
def test_a_briefing_needs_a_person_as_author(tree):
    with pytest.raises(TypeError):
        services.briefing_generate(acting_user=SYSTEM, org=tree.street_a, period=YEAR)
