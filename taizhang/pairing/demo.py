"""Demo: 40 villages and communities paired with organs and enterprises over three
years, their collective income (confirmed for past years, drafts for this one, two
corrections), one to three assistance projects per pair, and three partnerships with
their ambassadors.

Everything goes through the services, with its own random seed.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.pairing.models import AmbassadorRole, Indicator, Pair, PartnershipKind, ProjectState
from taizhang.pairing.services import (
    ambassador_appoint,
    ambassador_end,
    assistance_project_create,
    indicator_confirm,
    indicator_correct,
    indicator_record,
    pair_create,
    partnership_create,
)
from taizhang.people.models import Person

NOTES = [
    "发展村集体光伏项目",
    "盘活闲置厂房出租",
    "联办农产品直销点",
    "共建乡村旅游驿站",
    "引入物业服务项目",
    "设立强村公司",
]


def _round(value: float, step: int = 1000) -> int:
    return int(value) // step * step


def _pairs(ctx: Any, rng: random.Random, first: int, year: int, today: dt.date) -> None:
    helpers = list(ctx.organs) + list(ctx.enterprises)
    villages = list(ctx.communities)
    rng.shuffle(helpers)
    corrections = 0
    for index, village in enumerate(villages):
        helper = helpers[index % len(helpers)]
        pair = pair_create(
            helper=helper,
            village=village,
            starts_on=dt.date(first, 1, 1),
            ends_on=dt.date(year, 12, 31),
            target_income=500_000,
            note=rng.choice(NOTES),
            acting_user=SYSTEM,
        )
        income = rng.uniform(180_000, 420_000)
        for y in pair.years:
            if y == year:
                if rng.random() < 0.5:  # this year's figure is still an estimate
                    indicator_record(
                        village=village,
                        indicator=Indicator.COLLECTIVE_INCOME,
                        year=y,
                        value=_round(income * rng.uniform(0.9, 1.05)),
                        on=today,
                        acting_user=SYSTEM,
                    )
                continue
            recorded = dt.date(y + 1, 1, rng.randint(5, 15))
            confirmed = recorded + dt.timedelta(days=rng.randint(5, 20))
            for indicator, value in (
                (Indicator.COLLECTIVE_INCOME, _round(income)),
                (Indicator.OPERATING_INCOME, _round(income * rng.uniform(0.5, 0.8))),
                (Indicator.AID_FUNDS, _round(rng.uniform(50_000, 300_000), 10_000)),
                (Indicator.PROJECTS, rng.randint(1, 5)),
            ):
                row = indicator_record(
                    village=village,
                    indicator=indicator,
                    year=y,
                    value=value,
                    on=recorded,
                    acting_user=SYSTEM,
                )
                row = indicator_confirm(value=row, on=confirmed, acting_user=SYSTEM)
                if indicator == Indicator.COLLECTIVE_INCOME and corrections < 2 and y == first:
                    corrections += 1
                    indicator_correct(
                        value=row,
                        new_value=row.value + 36_000,
                        reason="审计复核补计村集体厂房租金收入",
                        on=confirmed + dt.timedelta(days=60),
                        acting_user=SYSTEM,
                    )
                    income += 36_000
            income *= rng.uniform(1.22, 1.75)


# Assistance projects (帮扶项目): a name and the range of its funds in 万元.
PROJECTS = [
    ("村级光伏电站", 40, 120),
    ("党群服务中心改造", 20, 60),
    ("村口小游园提升改造", 15, 45),
    ("农产品冷链仓储", 30, 90),
    ("标准化厂房", 80, 260),
    ("乡村道路硬化亮化", 25, 80),
    ("特色民宿改造", 30, 100),
    ("农贸市场提档升级", 20, 70),
]


def _projects(rng: random.Random, today: dt.date) -> None:
    """One to three projects per pair: past years' projects mostly completed, this
    year's completed, under way or still being planned."""
    for pair in Pair.objects.select_related("helper", "village").order_by("pk"):
        for name, low, high in rng.sample(PROJECTS, rng.randint(1, 3)):
            year = rng.choice(pair.years)
            starts_on = min(dt.date(year, rng.randint(2, 10), rng.randint(1, 28)), today)
            state = ProjectState.UNDERWAY
            completed_on = None
            finish = starts_on + dt.timedelta(days=rng.randint(60, 240))
            if finish <= today and rng.random() < (0.8 if year < today.year else 0.4):
                state = ProjectState.DONE
                completed_on = finish
            elif year == today.year and rng.random() < 0.25:
                state = ProjectState.PLANNING
            assistance_project_create(
                pair=pair,
                name=f"{pair.village.short_name}{name}",
                funds=rng.randint(low, high) * 10_000,
                state=state,
                starts_on=starts_on,
                completed_on=completed_on,
                acting_user=SYSTEM,
            )


def _partnerships(ctx: Any, rng: random.Random, first: int, year: int) -> None:
    organs = {o.short_name: o for o in ctx.organs}
    people = list(
        Person.objects.filter(organization__in=list(ctx.enterprises) + list(ctx.organs))
        .filter(user__isnull=True)
        .order_by("pk")[:400]
    )
    rng.shuffle(people)
    pool = iter(people)
    specs: list[tuple[Any, ...]] = [
        (
            organs.get("区委组织部", ctx.district),
            PartnershipKind.TALENT_STATION,
            "东南大学青岚校友会",
            "青岚区驻南京招才引智工作站",
            dt.date(first + 1, 4, 18),
            "南京",
            [(AmbassadorRole.TALENT, 0, None), (AmbassadorRole.TALENT, 30, None)],
        ),
        (
            organs.get("区商务局", ctx.district),
            PartnershipKind.INVESTMENT_STATION,
            "深圳市青岚商会",
            "青岚区驻深圳招商工作站",
            dt.date(first + 1, 9, 6),
            "深圳",
            [
                (AmbassadorRole.INVESTMENT, 0, None),
                (AmbassadorRole.INVESTMENT, 0, 300),
                (AmbassadorRole.INVESTMENT, 120, None),
            ],
        ),
        (
            ctx.district,
            PartnershipKind.AGREEMENT,
            "沪青产业合作联盟",
            "沪青产业协作战略合作协议",
            dt.date(year, 3, 20),
            "上海",
            [(AmbassadorRole.INVESTMENT, 0, None), (AmbassadorRole.TALENT, 10, None)],
        ),
    ]
    for org, kind, partner, title, signed_on, place, ambassadors in specs:
        partnership = partnership_create(
            org=org,
            kind=kind,
            partner=partner,
            title=title,
            signed_on=signed_on,
            ends_on=dt.date(signed_on.year + 3, signed_on.month, 1),
            place=place,
            note="双方约定定期互访，共享项目和人才信息。",
            acting_user=SYSTEM,
        )
        for role, offset, ended_after in ambassadors:
            appointed_on = signed_on + dt.timedelta(days=offset)
            ambassador = ambassador_appoint(
                partnership=partnership,
                person=next(pool),
                role=role,
                appointed_on=appointed_on,
                acting_user=SYSTEM,
            )
            if ended_after:
                ambassador_end(
                    ambassador=ambassador,
                    ends_on=appointed_on + dt.timedelta(days=ended_after),
                    acting_user=SYSTEM,
                )


def load(ctx: Any) -> None:
    rng = random.Random(20260502)
    today = timezone.localdate()
    year = today.year
    first = year - 2
    _pairs(ctx, rng, first, year, today)
    _partnerships(ctx, rng, first, year)
    _projects(random.Random(20261207), today)
