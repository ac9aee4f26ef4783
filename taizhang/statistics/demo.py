"""Demo: build the monthly figures of everything the other modules loaded (statistics is
the last module), then the district's indicators with this year's targets and the
year's 争先晋位 composite score weighing them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from taizhang.statistics import rollups, services
from taizhang.statistics.composites import composite_create, composite_weights_set
from taizhang.statistics.periods import Period

INDICATORS = [
    ("集中学习场次", "场", "metric", "activities.group_study", 5, (115, 150)),
    ("诉求办结件数", "件", "metric", "demands.closed", 3, (35, 50)),
    ("问题销号数", "个", "metric", "problems.closed", 3, (12, 18)),
]


def load(ctx: Any) -> None:
    rollups.refresh_all()
    clerk = ctx.users.get("district")
    if clerk is None or ctx.district is None:
        return
    year = Period.year(timezone.localdate().year)
    made = []
    for name, unit, source, metric, min_cases, (low, high) in INDICATORS:
        indicator = services.indicator_create(
            acting_user=clerk,
            owner=ctx.district,
            name=name,
            unit=unit,
            direction="higher",
            source=source,
            metric=metric,
            min_cases=min_cases,
            description="区委年度争先晋位指标，按街道排名。",
        )
        made.append(indicator)
        for subdistrict in ctx.subdistricts:
            services.target_set(
                acting_user=clerk,
                indicator=indicator,
                org=subdistrict,
                period=year,
                target=Decimal(ctx.rng.randint(low, high)),
            )
    manual = services.indicator_create(
        acting_user=clerk,
        owner=ctx.district,
        name="党员志愿服务覆盖率",
        unit="%",
        direction="higher",
        source="manual",
        metric="",
        min_cases=1,
        description="各街道填报，附双报到登记表为佐证。",
    )
    for subdistrict in ctx.subdistricts[:-1]:
        services.target_set(
            acting_user=clerk, indicator=manual, org=subdistrict, period=year, target=Decimal(85)
        )
        services.actual_enter(
            acting_user=clerk,
            indicator=manual,
            org=subdistrict,
            period=year,
            value=Decimal(ctx.rng.randint(70, 98)),
            cases=ctx.rng.randint(200, 900),
            evidence="双报到登记表及社区签到汇总（街道党工委盖章）",
        )
    # The year's 争先晋位 composite: the district weighs its four indicators (ADR 0059).
    composite = composite_create(
        acting_user=clerk,
        owner=ctx.district,
        name="街道党工委争先晋位综合考评",
        year=year.start.year,
        description="按区委年度争先晋位指标加权计分，各项得分按完成率计算（最高100分）。",
    )
    composite_weights_set(
        acting_user=clerk,
        composite=composite,
        weights=dict(
            zip([*made, manual], [Decimal(30), Decimal(25), Decimal(25), Decimal(20)], strict=True)
        ),
    )
