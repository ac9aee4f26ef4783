"""Build pairs, values and partnerships through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.organizations.models import OrgKind
from taizhang.pairing.models import AssistanceProject, Indicator, IndicatorValue, Pair
from taizhang.pairing.services import indicator_confirm, indicator_record, pair_create
from tests.support import make_org

THIS_YEAR = timezone.localdate().year
FIRST_YEAR = THIS_YEAR - 2


def make_organ(tree: Any, code: str = "JG1") -> Any:
    return make_org(tree.district, code, OrgKind.ORGAN)


def make_pair(helper: Any, village: Any, **kwargs: Any) -> Pair:
    """A three-year pair from 1 January two years ago to the end of this year."""
    defaults: dict[str, Any] = {
        "starts_on": dt.date(FIRST_YEAR, 1, 1),
        "ends_on": dt.date(THIS_YEAR, 12, 31),
    }
    defaults.update(kwargs)
    return pair_create(helper=helper, village=village, acting_user=SYSTEM, **defaults)


def make_income(village: Any, year: int, value: int, *, confirm: bool = True) -> IndicatorValue:
    row = indicator_record(
        village=village,
        indicator=Indicator.COLLECTIVE_INCOME,
        year=year,
        value=value,
        acting_user=SYSTEM,
    )
    return indicator_confirm(value=row, acting_user=SYSTEM) if confirm else row


def policy_samples() -> dict[str, Any]:
    """Rows for the scope-policy conformance test (core/tests/test_policy_conformance):
    each booked on ``org`` through every organization field its policy counts."""
    from taizhang.pairing.services import partnership_create

    def pair(org: Any) -> Pair:
        # Both org fields on one organization: a shape the service refuses (nobody helps
        # itself), written directly because the matrix needs every field on ``org``.
        return Pair.objects.create(
            helper=org,
            village=org,
            starts_on=dt.date(FIRST_YEAR, 1, 1),
            ends_on=dt.date(THIS_YEAR, 12, 31),
            target_year=THIS_YEAR,
        )

    def value(org: Any) -> IndicatorValue:
        return indicator_record(
            village=org,
            indicator=Indicator.COLLECTIVE_INCOME,
            year=FIRST_YEAR,
            value=1,
            acting_user=SYSTEM,
        )

    def partnership(org: Any) -> Any:
        return partnership_create(
            org=org,
            kind="agreement",
            partner="样本伙伴",
            title="样本协议",
            signed_on=dt.date(FIRST_YEAR, 1, 1),
            acting_user=SYSTEM,
        )

    def project(org: Any) -> Any:
        return AssistanceProject.objects.create(
            pair=pair(org), name="样本帮扶项目", helper=org, starts_on=dt.date(FIRST_YEAR, 3, 1)
        )

    return {
        "pairing.assistance_project": project,
        "pairing.pair": pair,
        "pairing.indicator_value": value,
        "pairing.partnership": partnership,
    }
