"""Demo: about 90 invented key projects of 青岚区 through a year, with progress and schedules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.core.demo import working_moment
from taizhang.organizations.models import OrgKind
from taizhang.people.models import Person
from taizhang.people.selectors import leader_candidates
from taizhang.projects.models import Category, Project, Stage, StagePlan
from taizhang.projects.services import (
    batch_add_projects,
    batch_create,
    progress_report_create,
    project_create,
    project_schedule_set,
)

PLACES = [
    "澜湾",
    "溪畔",
    "柏川",
    "望澜",
    "新桥",
    "石湾",
    "枫岭",
    "云杉",
    "榕荫",
    "鹭岛",
    "丰泽",
    "海韵",
]
INDUSTRY = [
    ("年产{n}万吨锂离子电池正极材料项目", "万吨/年", (2, 6)),
    ("{p}智能制造产业园", "", None),
    ("{p}生物医药研发生产基地", "", None),
    ("新能源汽车电驱系统生产线项目（{p}）", "万套/年", (10, 40)),
    ("{p}高端精密模具制造项目", "万套/年", (1, 5)),
    ("光电显示新材料项目（{p}）", "万平方米/年", (50, 300)),
    ("{p}冷链物流中心", "万吨/年", (5, 20)),
    ("半导体封装测试基地（{p}）", "亿颗/年", (5, 30)),
    ("{p}海洋工程装备制造项目", "台套/年", (20, 80)),
    ("{p}食品精深加工产业园", "万吨/年", (3, 12)),
]
OTHER = {
    Category.INFRASTRUCTURE: [
        "{p}大道快速化改造工程",
        "{p}片区市政道路新建工程",
        "{p}综合管廊一期工程",
        "{p}污水处理厂扩建工程",
        "地铁站点接驳道路（{p}段）",
    ],
    Category.LIVELIHOOD: [
        "{p}实验学校新建工程",
        "{p}社区卫生服务中心",
        "{p}保障性租赁住房项目",
        "{p}长者食堂与养老服务中心",
        "{p}公园停车场及充电设施",
    ],
    Category.ECOLOGY: [
        "{p}溪流域综合治理工程",
        "{p}湿地公园提升工程",
        "{p}山体生态修复工程",
    ],
    Category.URBAN_RENEWAL: [
        "{p}片区城市更新项目",
        "{p}老旧小区综合改造",
        "{p}商业综合体",
        "{p}旧厂房改造文创街区",
    ],
    Category.SOCIAL: ["{p}文体中心", "{p}全民健身中心", "{p}图书馆分馆"],
}
STAGE_TEXT = {
    Stage.PRELIMINARY: "完成项目建议书编制，可研报告已报区发改局审查，环评、能评同步推进。",
    Stage.SIGNED: "与投资方正式签订投资协议，明确投资强度和达产时间。",
    Stage.LAND: "完成土地挂牌出让并交地，取得不动产权证书和建设用地规划许可证。",
    Stage.STARTED: "取得施工许可证，举行开工仪式，完成场地平整和临时设施搭建。",
    Stage.CONSTRUCTION: "桩基工程全部完成，主体结构进入地上施工阶段。",
    Stage.COMPLETED: "完成五方责任主体竣工验收，办理竣工验收备案。",
    Stage.OPERATING: "首条生产线建成投产，试运行情况良好，首批产品已交付客户。",
}
YI = 100_000_000
ROUTINE = [
    "主体结构施工至第{n}层，现场施工人员{w}人，本月完成投资{a}万元。",
    "钢结构吊装完成{pct}%，机电安装同步穿插施工。",
    "完成外立面幕墙{pct}%，室内装修样板间通过验收。",
    "设备进场安装调试，完成{pct}%，计划下月联动试车。",
    "挂钩领导现场调研，协调解决临时用电和施工便道问题。",
    "雨季施工措施落实到位，完成月度投资计划的{pct}%。",
]


def _amount(rng: Any, low: int, high: int) -> int:
    """A believable amount in yuan, rounded to 10万元."""
    amount: int = rng.randint(low // 100_000, high // 100_000) * 100_000
    return amount


def _plan(rng: Any, category: str) -> tuple[int, list[int]]:
    """A target stage and the stages the project passes through to reach it."""
    target = rng.choices(
        list(Stage),
        weights=[6, 12, 8, 10, 14, 22, 10, 18]
        if category == Category.INDUSTRY
        else [8, 16, 0, 12, 16, 28, 12, 8],
    )[0]
    path = [s.value for s in Stage if Stage.PLANNING < s <= target]
    if category != Category.INDUSTRY and Stage.SIGNED in path:
        path.remove(Stage.SIGNED)  # public works are not signed with an investor
    return target.value, path


def load(ctx: Any) -> None:
    rng = ctx.rng
    today = timezone.localdate()
    year = today.year
    district = ctx.district
    leader_user = ctx.users.get("leader")
    leader = leader_user.person if leader_user is not None else None
    leaders = [p for p in leader_candidates() if leader is None or p.pk != leader.pk]
    organs = {o.short_name: o for o in ctx.organs}
    by_org: dict[int, list[Person]] = {}
    for person in Person.objects.filter(positions__isnull=False).distinct():
        by_org.setdefault(person.organization_id, []).append(person)
    industry_units = [organs[n] for n in ("区发改局", "区商务局") if n in organs] or [district]
    public_units = [organs[n] for n in ("区住建局", "区发改局", "区民政局") if n in organs] or [
        district
    ]
    units = [o for o in ctx.organs if o.kind == OrgKind.ORGAN]
    names_used: set[str] = set()
    count = 0
    attempts = 0
    while count < 96 and attempts < 1000:
        attempts += 1
        category = rng.choices(list(Category), weights=[40, 18, 14, 8, 12, 8])[0]
        place = rng.choice(PLACES)
        capacity = capacity_unit = None
        if category == Category.INDUSTRY:
            pattern, unit, span = rng.choice(INDUSTRY)
            n = rng.randint(*span) if span else 0
            name = (
                "青岚" + pattern.format(p=place, n=n)
                if "{p}" not in pattern
                else pattern.format(p=place, n=n)
            )
            if span:
                capacity, capacity_unit = Decimal(n), unit
            low, high = rng.choices(
                [
                    (200_000_000, 1_000_000_000),
                    (1_000_000_000, 3_000_000_000),
                    (3_000_000_000, 6_000_000_000),
                ],
                weights=[60, 32, 8],
            )[0]
            total = _amount(rng, low, high)
            lead_unit = rng.choice(industry_units)
        else:
            name = rng.choice(OTHER[category]).format(p=place)
            total = _amount(
                rng,
                20_000_000,
                1_500_000_000 if category == Category.INFRASTRUCTURE else 500_000_000,
            )
            lead_unit = rng.choice(public_units)
        if name in names_used:
            continue
        names_used.add(name)
        count += 1
        street = rng.choice(ctx.subdistricts)
        org = district if total >= 1_000_000_000 or rng.random() < 0.25 else street
        co_units = rng.sample([u for u in units if u != lead_unit], 2) + (
            [street] if org == district else []
        )
        target, path = _plan(rng, category)
        linked = leader if leader is not None and rng.random() < 0.26 else rng.choice(leaders)
        pool: list[Person | None] = [*by_org.get(lead_unit.pk, []), *by_org.get(org.pk, [])]
        responsible_pool = pool or [None]
        start = today - dt.timedelta(days=rng.randint(300, 640))
        project = project_create(
            org=org,
            name=name,
            category=category,
            lead_unit=lead_unit,
            co_units=co_units,
            linked_leader=linked,
            responsible=rng.choice(responsible_pool),
            location=f"青岚区{street.short_name.replace('街道党工委', '')}街道{place}片区",
            total_investment=total,
            plan_year=year,
            annual_planned_investment=(total * rng.randint(15, 40) // 100) // 100_000 * 100_000,
            building_area=Decimal(rng.randint(8, 400) * 500) if rng.random() < 0.8 else None,
            land_area=Decimal(rng.randint(20, 600)) if rng.random() < 0.8 else None,
            capacity=capacity,
            capacity_unit=capacity_unit or "",
            expected_jobs=rng.randint(50, 1500) if category == Category.INDUSTRY else None,
            stage_since=start,
            when=working_moment(start, rng),
            acting_user=SYSTEM,
        )
        # Stage moves spread between the start and today, as progress reports.
        day = start
        span = (today - start).days
        steps = len(path) + 1
        for stage in path:
            day = min(today, day + dt.timedelta(days=rng.randint(10, max(11, span // steps))))
            built = stage >= Stage.STARTED
            progress_report_create(
                project=project,
                reported_on=day,
                text=STAGE_TEXT[Stage(stage)],
                reporter=project.responsible,
                completed_investment=_amount(rng, total // 50, total // 12) if built else 0,
                to_stage=stage,
                acting_user=SYSTEM,
            )
        if Stage.STARTED <= target < Stage.OPERATING:
            # Monthly reports in this year while building.
            month_day = max(day, dt.date(year, 1, 15))
            while month_day < today - dt.timedelta(days=20):
                month_day += dt.timedelta(days=rng.randint(25, 40))
                if month_day > today:
                    break
                amount = _amount(rng, total // 80, total // 25)
                text = rng.choice(ROUTINE).format(
                    n=rng.randint(3, 24),
                    w=rng.randint(80, 600),
                    a=amount // 10_000,
                    pct=rng.randint(30, 95),
                )
                progress_report_create(
                    project=project,
                    reported_on=month_day,
                    text=text,
                    reporter=project.responsible,
                    completed_investment=amount,
                    acting_user=SYSTEM,
                )
        # Planned dates for the stages ahead; about one project in six has slipped.
        planned: dict[int, dt.date | None] = {}
        ahead = [s.value for s in Stage if s.value > target]
        slipped = rng.random() < 0.18
        nxt = today + dt.timedelta(days=rng.randint(-75, -10) if slipped else rng.randint(20, 120))
        for stage in ahead:
            planned[stage] = nxt
            nxt += dt.timedelta(days=rng.randint(60, 240))
        if planned:
            project_schedule_set(project=project, planned=planned, acting_user=SYSTEM)
    _batches(ctx, today)


def _batches(ctx: Any, today: dt.date) -> None:
    """集中开工: the district holds a groundbreaking ceremony each quarter for the
    projects that broke ground in it (the ceremony on the latest of their days)."""
    started = (
        StagePlan.objects.filter(
            stage=Stage.STARTED, actual_on__year=today.year, actual_on__lte=today
        )
        .select_related("project")
        .order_by("actual_on", "project_id")
    )
    quarters: dict[int, list[tuple[dt.date, Project]]] = {}
    for plan in started:
        assert plan.actual_on is not None
        quarters.setdefault((plan.actual_on.month - 1) // 3, []).append(
            (plan.actual_on, plan.project)
        )
    for number, quarter in enumerate(sorted(quarters), start=1):
        group = quarters[quarter]
        if len(group) < 2:
            continue
        batch = batch_create(
            org=ctx.district,
            name=f"{today.year}年第{number}批重大项目集中开工",
            held_on=max(day for day, _project in group),
            place=f"青岚区{ctx.rng.choice(PLACES)}片区主会场",
            acting_user=SYSTEM,
        )
        batch_add_projects(
            batch=batch, projects=[project for _day, project in group], acting_user=SYSTEM
        )
