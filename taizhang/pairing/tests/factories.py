"""Build pairs, values and partnerships through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.core.testing import make_org
from taizhang.organizations.models import OrgKind
from taizhang.pairing.models import Indicator, IndicatorValue, Pair
from taizhang.pairing.services import indicator_confirm, indicator_record, pair_create

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
