"""Demo: build the monthly figures of everything the other modules loaded (statistics is
the last module), then the district's indicators with this year's targets and the
year's 争先晋位 composite score weighing them, and last month's briefings of the district
and of the community persona, written and issued."""

from __future__ import annotations

import datetime as dt
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


# The narrative a clerk writes under a section's figures (invented for the demo).
NARRATIVE: dict[str, dict[str, str]] = {
    "projects": {
        "progress": (
            "坚持“项目为王”，实行区级领导挂钩联系重点项目制度，每月召开项目推进调度会，"
            "对节点滞后项目逐一会商，明确责任单位和完成时限。"
        ),
        "practices": (
            "推行“拿地即开工”审批服务，由区行政审批局牵头提前介入施工图审查和施工许可，"
            "项目从供地到开工平均用时压缩至30个工作日以内。"
        ),
        "shortcomings": "部分项目前期手续办理周期偏长，个别产业项目投资进度低于序时进度。",
        "next_steps": (
            "聚焦年度目标，对投资进度滞后的项目实行“一项目一专班”，确保全年投资任务如期完成。"
        ),
    },
    "problems": {
        "progress": (
            "坚持问题清单、责任清单、整改清单“三单”管理，对挂账问题实行销号管理，"
            "逾期未销号的问题升级由挂钩领导督办。"
        ),
        "next_steps": "对跨部门问题建立联席会商机制，推动一批群众反映集中的问题在年底前销号。",
    },
    "demands": {
        "progress": "诉求按“接诉即办”要求分派承办，办结后全部电话回访，不满意的退回重新办理。",
        "shortcomings": "物业管理、停车等类别诉求重复反映较多，源头治理仍需加强。",
    },
    "activities": {
        "progress": (
            "各级党组织结合“三会一课”开展集中学习和主题党日活动，组织宣讲团深入社区、"
            "企业开展对象化、分众化宣讲。"
        ),
        "practices": "依托新时代文明实践站点，推行“点单式”宣讲，群众点题、宣讲员接单。",
    },
}
COMMUNITY_NARRATIVE: dict[str, dict[str, str]] = {
    "problems": {
        "progress": "社区“两委”班子成员分片包干，网格员每日巡查，发现问题当日登记、限时整改。",
        "next_steps": "对老旧小区管网改造等需街道协调的问题，及时提请街道党工委研究解决。",
    },
    "demands": {
        "progress": "居民诉求由网格员第一时间上门核实，能当场解决的当场解决。",
    },
}


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
    _briefings(ctx)


def _briefings(ctx: Any) -> None:
    """Last month's briefings, drafted, written and issued as the clerks would."""
    today = timezone.localdate()
    last = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    period = Period.month(last.year, last.month)
    writers = [("district", ctx.district, NARRATIVE)]
    community_user = ctx.users.get("community")
    if community_user is not None and ctx.communities:
        writers.append(("community", ctx.communities[0], COMMUNITY_NARRATIVE))
    for username, org, narrative in writers:
        clerk = ctx.users.get(username)
        if clerk is None or org is None:
            continue
        draft = services.briefing_generate(acting_user=clerk, org=org, period=period)
        modules = set(draft.sections.values_list("module", flat=True))
        texts = {module: slots for module, slots in narrative.items() if module in modules}
        if texts:
            services.briefing_draft_edit(acting_user=clerk, briefing=draft, sections=texts)
        services.briefing_issue(acting_user=clerk, briefing=draft)
