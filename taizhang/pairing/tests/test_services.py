"""Services of pairing: pairs, locked values, corrections that keep the old value."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.pairing.models import IndicatorCorrection, ValueStatus
from taizhang.pairing.services import (
    ambassador_appoint,
    ambassador_end,
    indicator_confirm,
    indicator_correct,
    indicator_record,
    pair_create,
    partnership_create,
)
from taizhang.pairing.tests.factories import (
    FIRST_YEAR,
    THIS_YEAR,
    make_income,
    make_organ,
    make_pair,
)
from taizhang.people.services import person_create

pytestmark = pytest.mark.django_db


def test_pair_defaults_its_target_to_the_last_year(tree):
    """A pair's target year is the last year of its period unless given; 50万元 by default."""
    pair = make_pair(make_organ(tree), tree.community_a)
    assert pair.target_year == THIS_YEAR
    assert pair.target_income == 500_000
    assert pair.years == [FIRST_YEAR, FIRST_YEAR + 1, THIS_YEAR]
    assert AuditEvent.objects.filter(action="pair.create").count() == 1


def test_pair_rules(tree, personas):
    """Only villages or communities are paired; periods must make sense; scope is checked."""
    organ = make_organ(tree)
    with pytest.raises(ValidationError):
        make_pair(organ, organ)
    with pytest.raises(ValidationError):
        make_pair(organ, tree.community_a, ends_on=dt.date(FIRST_YEAR - 1, 1, 1))
    with pytest.raises(ValidationError):
        make_pair(organ, tree.community_a, target_year=THIS_YEAR + 3)
    with pytest.raises(PermissionDenied):
        pair_create(
            helper=organ,
            village=tree.community_b,
            starts_on=dt.date(FIRST_YEAR, 1, 1),
            ends_on=dt.date(THIS_YEAR, 12, 31),
            acting_user=personas.street_a,
        )
    make_pair(organ, tree.community_a)
    with pytest.raises(ValidationError):
        make_pair(organ, tree.community_a)  # overlapping the same pair


def test_value_can_be_revised_until_confirmed_then_is_locked(tree, personas):
    """A draft value is revised in place; a confirmed one refuses any new value."""
    row = indicator_record(
        village=tree.community_a,
        indicator="collective_income",
        year=FIRST_YEAR,
        value=320_000,
        acting_user=personas.street_a,
    )
    row = indicator_record(
        village=tree.community_a,
        indicator="collective_income",
        year=FIRST_YEAR,
        value=330_000,
        acting_user=personas.street_a,
    )
    assert row.value == 330_000 and row.status == ValueStatus.DRAFT
    # Whoever recorded the draft does not confirm it: the district clerk does.
    confirmed = indicator_confirm(value=row, acting_user=personas.district)
    assert confirmed.status == ValueStatus.CONFIRMED and confirmed.confirmed_by == personas.district
    with pytest.raises(ValidationError, match="correct|更正"):
        indicator_record(
            village=tree.community_a,
            indicator="collective_income",
            year=FIRST_YEAR,
            value=999_999,
            acting_user=personas.street_a,
        )
    confirmed.refresh_from_db()
    assert confirmed.value == 330_000
    with pytest.raises(ValidationError):
        indicator_confirm(value=confirmed, acting_user=personas.street_a)


def test_future_year_and_negative_values_are_refused(tree):
    """A year not begun yet has no value; values are not negative."""
    for year, value in ((THIS_YEAR + 1, 1), (FIRST_YEAR, -5)):
        with pytest.raises(ValidationError):
            indicator_record(
                village=tree.community_a,
                indicator="collective_income",
                year=year,
                value=value,
                acting_user=SYSTEM,
            )


def test_correction_keeps_the_old_value_and_is_audited(tree, personas):
    """Correcting needs a reason; the old value stays in the history and the audit."""
    row = make_income(tree.community_a, FIRST_YEAR, 480_000)
    with pytest.raises(ValidationError):
        indicator_correct(value=row, new_value=520_000, reason=" ", acting_user=personas.street_a)
    with pytest.raises(ValidationError):
        indicator_correct(
            value=row, new_value=480_000, reason="同值", acting_user=personas.street_a
        )
    correction = indicator_correct(
        value=row,
        new_value=520_000,
        reason="漏计光伏发电收益",
        acting_user=personas.street_a,
    )
    row.refresh_from_db()
    assert row.value == 520_000 and row.status == ValueStatus.CONFIRMED
    assert (correction.old_value, correction.new_value) == (480_000, 520_000)
    indicator_correct(value=row, new_value=515_000, reason="审计调整", acting_user=SYSTEM)
    history = list(IndicatorCorrection.objects.values_list("old_value", "new_value"))
    assert history == [(480_000, 520_000), (520_000, 515_000)]
    event = AuditEvent.objects.filter(action="indicator.correct").order_by("pk").first()
    assert event.changes["value"] == [480_000, 520_000]
    assert event.changes["reason"] == "漏计光伏发电收益"


def test_draft_values_are_revised_not_corrected(tree):
    """A correction applies only to confirmed values."""
    row = make_income(tree.community_a, FIRST_YEAR, 100_000, confirm=False)
    with pytest.raises(ValidationError):
        indicator_correct(value=row, new_value=1, reason="x", acting_user=SYSTEM)


def test_confirming_needs_the_confirm_function_on_the_village(tree, personas):
    """B's clerk cannot confirm or correct A's values."""
    row = make_income(tree.community_a, FIRST_YEAR, 100_000, confirm=False)
    with pytest.raises(PermissionDenied):
        indicator_confirm(value=row, acting_user=personas.street_b)
    row = indicator_confirm(value=row, acting_user=personas.street_a)
    with pytest.raises(PermissionDenied):
        indicator_correct(value=row, new_value=1, reason="x", acting_user=personas.street_b)


def test_partnership_and_ambassadors_are_dated(tree, personas):
    """An ambassador is appointed after the agreement is signed and ends on a date."""
    partnership = partnership_create(
        org=tree.street_a,
        kind="talent_station",
        partner="东南大学校友会",
        title="招才引智工作站",
        signed_on=dt.date(FIRST_YEAR, 3, 1),
        acting_user=personas.street_a,
    )
    person = person_create(organization=tree.street_a, name="陈远", gender="M", acting_user=SYSTEM)
    with pytest.raises(ValidationError):
        ambassador_appoint(
            partnership=partnership,
            person=person,
            role="talent",
            appointed_on=dt.date(FIRST_YEAR, 2, 1),
            acting_user=SYSTEM,
        )
    ambassador = ambassador_appoint(
        partnership=partnership,
        person=person,
        role="talent",
        appointed_on=dt.date(FIRST_YEAR, 3, 1),
        acting_user=personas.street_a,
    )
    with pytest.raises(ValidationError):
        ambassador_appoint(
            partnership=partnership,
            person=person,
            role="talent",
            appointed_on=dt.date(FIRST_YEAR, 4, 1),
            acting_user=SYSTEM,
        )
    ended = ambassador_end(
        ambassador=ambassador, ends_on=dt.date(FIRST_YEAR + 1, 3, 1), acting_user=personas.street_a
    )
    assert ended.ends_on == dt.date(FIRST_YEAR + 1, 3, 1)
    with pytest.raises(PermissionDenied):
        partnership_create(
            org=tree.street_b,
            kind="agreement",
            partner="x",
            title="越权",
            signed_on=dt.date(FIRST_YEAR, 1, 1),
            acting_user=personas.street_a,
        )
