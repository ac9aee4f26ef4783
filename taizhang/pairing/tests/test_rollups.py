"""The monthly figures of pairing stay equal to the records after every service
(ADR 0044): pairs, confirmed and corrected village figures, partnerships and
ambassadors are reported by the services that write them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.pairing import services
from taizhang.pairing.models import Indicator
from taizhang.pairing.tests.factories import FIRST_YEAR, make_organ, make_pair
from taizhang.people.tests.factories import make_person
from taizhang.statistics import rollups
from taizhang.statistics.models import MonthlyFigure

pytestmark = pytest.mark.django_db


def _total(metric: str, org) -> Decimal:
    rows = MonthlyFigure.objects.filter(metric=metric, org=org)
    return rows.aggregate(v=Sum("value"))["v"] or Decimal(0)


def _last(action: str) -> None:
    assert AuditEvent.objects.order_by("-pk").first().action == action


def test_figures_and_audit_follow_every_service(tree, personas):
    organ = make_organ(tree)
    make_pair(organ, tree.community_b)
    rollups.refresh_all()
    assert rollups.check() == []
    pairs = _total("pairing.pairs", tree.district)
    recorder, confirmer = personas.street_a, personas.district

    services.pair_create(
        helper=organ,
        village=tree.community_a,
        starts_on=dt.date(FIRST_YEAR, 1, 1),
        ends_on=dt.date(FIRST_YEAR + 2, 12, 31),
        acting_user=recorder,
    )
    _last("pair.create")
    assert _total("pairing.pairs", tree.district) == pairs + 1
    row = services.indicator_record(
        village=tree.community_a,
        indicator=Indicator.COLLECTIVE_INCOME,
        year=FIRST_YEAR,
        value=480_000,
        acting_user=recorder,
    )
    _last("indicator.record")
    assert _total("pairing.collective_income", tree.district) == 0  # a draft is not counted
    services.indicator_confirm(value=row, acting_user=confirmer)
    _last("indicator.confirm")
    assert _total("pairing.collective_income", tree.district) == 480_000
    services.indicator_correct(
        value=row, new_value=520_000, reason="漏计租金收入", acting_user=confirmer
    )
    _last("indicator.correct")
    assert _total("pairing.collective_income", tree.street_a) == 520_000
    partnership = services.partnership_create(
        org=tree.street_a,
        kind="agreement",
        partner="某大学",
        title="校地合作",
        signed_on=dt.date(FIRST_YEAR, 3, 1),
        acting_user=recorder,
    )
    _last("partnership.create")
    assert _total("pairing.agreements", tree.district) == 1
    ambassador = services.ambassador_appoint(
        partnership=partnership,
        person=make_person(tree.community_a, "大使"),
        role="talent",
        appointed_on=dt.date(FIRST_YEAR, 4, 1),
        acting_user=recorder,
    )
    _last("ambassador.appoint")
    assert _total("pairing.ambassadors", tree.district) == 1
    services.ambassador_end(
        ambassador=ambassador, ends_on=dt.date(FIRST_YEAR, 12, 31), acting_user=recorder
    )
    _last("ambassador.end")
    assert rollups.check() == []


def test_a_missing_report_would_be_caught(tree):
    """The check is not vacuous: a figure confirmed behind the services' back shows."""
    make_pair(make_organ(tree), tree.community_a)
    row = services.indicator_record(
        village=tree.community_a,
        indicator=Indicator.COLLECTIVE_INCOME,
        year=FIRST_YEAR,
        value=600_000,
        acting_user=SYSTEM,
    )
    rollups.refresh_all()
    type(row).objects.filter(pk=row.pk).update(status="confirmed")
    assert rollups.check() != []
