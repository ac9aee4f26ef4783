"""Demo: a year of invented investment work in 青岚区.

Leads (some without an intended amount yet) with their follow-up logs, three events
with signings, a resident-team competition and subsidy payments.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.core.demo import working_moment
from taizhang.investment.models import EventKind, FollowUpKind, Lead, LeadStage, Source
from taizhang.investment.services import (
    competition_create,
    event_create,
    follow_up_add,
    lead_advance,
    lead_convert_to_project,
    lead_create,
    lead_mark_lost,
    lead_update,
    subsidy_create,
    subsidy_policy_create,
    team_create,
)
from taizhang.people.models import Person
from taizhang.projects.models import Category

SECTORS = [
    "新能源",
    "新材料",
    "生物医药",
    "智能制造",
    "电子信息",
    "现代物流",
    "海洋经济",
    "数字经济",
]
WORDS = [
    "鼎泰",
    "瀚海",
    "启明",
    "恒远",
    "星澜",
    "卓越",
    "华芯",
    "云帆",
    "中和",
    "博锐",
    "信达",
    "海川",
    "天成",
    "汇丰源",
    "晟图",
    "凯捷",
    "润禾",
    "宏基",
    "泽宇",
    "锦程",
    "安捷",
    "拓维",
    "聚能",
    "远景",
]
SUFFIX = [
    "科技有限公司",
    "集团有限公司",
    "新能源股份有限公司",
    "生物科技有限公司",
    "智能装备有限公司",
]
PREFIX = ["", "青岚", "海峡", "华南", "东方"]
PROJECTS = {
    "新能源": ["储能电池生产基地", "光伏组件项目", "氢能装备产业园"],
    "新材料": ["高性能复合材料项目", "电子级化学品项目", "特种薄膜项目"],
    "生物医药": ["创新药研发中心", "医疗器械生产基地", "细胞治疗产业化项目"],
    "智能制造": ["工业机器人生产线", "高端数控机床项目", "智能装备总部"],
    "电子信息": ["集成电路设计中心", "显示模组生产线", "传感器研发制造项目"],
    "现代物流": ["供应链总部基地", "智慧冷链仓储项目", "跨境电商物流园"],
    "海洋经济": ["海洋装备研发中心", "远洋渔业精深加工项目", "海工配套产业园"],
    "数字经济": ["区域数据中心", "工业互联网平台", "数字内容产业园"],
}
TEAMS = [
    ("驻深圳招商组", "深圳"),
    ("驻上海招商组", "上海"),
    ("驻北京招商组", "北京"),
    ("驻成都招商组", "成都"),
    ("驻杭州招商组", "杭州"),
    ("驻香港招商组", "香港"),
]
POLICIES = [
    ("工业企业技术改造补助", 200_000, 3_000_000),
    ("高新技术企业认定奖励", 100_000, 300_000),
    ("稳岗扩岗补贴", 20_000, 200_000),
    ("外贸企业出口信保补助", 30_000, 500_000),
    ("商贸企业上规奖励", 50_000, 200_000),
    ("研发费用投入补助", 100_000, 2_000_000),
    ("首次入规工业企业奖励", 100_000, 500_000),
    ("人才安居补贴", 20_000, 150_000),
]


def _amount(rng: Any, low: int, high: int) -> int:
    amount: int = rng.randint(low // 100_000, high // 100_000) * 100_000
    return amount


def _enterprise(rng: Any, used: set[str]) -> str:
    while True:
        name: str = rng.choice(PREFIX) + rng.choice(WORDS) + rng.choice(SUFFIX)
        if name not in used:
            used.add(name)
            return name


def _signed_amount(rng: Any) -> int:
    low, high = rng.choices(
        [(30_000_000, 300_000_000), (300_000_000, 800_000_000), (1_000_000_000, 2_000_000_000)],
        weights=[57, 35, 8],
    )[0]
    return _amount(rng, low, high)


# What a follow-up says, by kind: (content, next step).
FOLLOW_UPS: dict[str, list[tuple[str, str]]] = {
    FollowUpKind.CONTACT: [
        ("电话联系企业投资部，了解项目选址进展", "寄送园区招商手册"),
        ("与企业联络人电话沟通用地和用能需求", "组织企业来区实地考察"),
    ],
    FollowUpKind.VISIT: [
        ("赴企业总部走访，介绍青岚区产业配套和扶持政策", "提交项目落地条件清单"),
        ("陪同企业考察青岚高新区标准厂房", "协调园区报送厂房租金方案"),
        ("登门走访企业负责人，听取对营商环境的意见", "梳理企业诉求并交办相关部门"),
    ],
    FollowUpKind.TALK: [
        ("就投资协议条款和分期投资计划进行洽谈", "修改完善投资协议文本"),
        ("围绕设备补贴、人才公寓等政策兑现开展专题洽谈", "报区政府研究扶持政策"),
        ("与企业董事会成员洽谈一期用地规模", "开展项目用地预审"),
    ],
    FollowUpKind.PROMOTION: [
        ("邀请企业参加专场推介会并座谈", "推介会后一周内回访"),
    ],
}


def _follow_ups(rng: random.Random, today: dt.date) -> None:
    """One to four follow-ups on most open leads, the newest naming a next step (some
    due in the coming days, a few overdue), and no amount yet on a third of the leads
    still at first contact."""
    leads = Lead.objects.filter(is_lost=False).select_related("team").order_by("pk")
    for lead in leads.prefetch_related("team__members"):
        if lead.stage == LeadStage.CONTACT and rng.random() < 0.35:
            lead_update(lead=lead, amount=None, acting_user=SYSTEM)
        if rng.random() < 0.15:
            continue
        start = lead.changes.order_by("changed_on", "pk").values_list("changed_on", flat=True)[0]
        span = max(1, (today - start).days)
        days = sorted(rng.sample(range(span + 1), min(span + 1, rng.randint(1, 4))))
        members = list(lead.team.members.all()) if lead.team else []
        for index, offset in enumerate(days):
            on = start + dt.timedelta(days=offset)
            if lead.stage >= LeadStage.NEGOTIATING and offset > span // 3:
                kind = FollowUpKind.TALK
            else:
                kind = rng.choice([FollowUpKind.CONTACT, FollowUpKind.VISIT])
            content, step = rng.choice(FOLLOW_UPS[kind])
            newest = index == len(days) - 1
            next_on = None
            if newest and lead.stage < LeadStage.STARTED:
                next_on = max(on, today + dt.timedelta(days=rng.randint(-6, 25)))
            follow_up_add(
                lead=lead,
                on=on,
                kind=kind,
                content=content,
                our_people=rng.sample(members, min(len(members), 2)),
                our_side="" if members else rng.choice(["区商务局招商科", "街道经济发展办"]),
                their_side=rng.choice(["企业董事长", "企业总经理", "投资部负责人", "项目负责人"]),
                next_step=step if newest or rng.random() < 0.5 else "",
                next_step_on=next_on,
                acting_user=SYSTEM,
            )


def load(ctx: Any) -> None:
    rng = ctx.rng
    today = timezone.localdate()
    year = today.year
    district = ctx.district
    organs = {o.short_name: o for o in ctx.organs}
    commerce = organs.get("区商务局", district)
    finance = organs.get("区财政局", district)
    staff = list(
        Person.objects.filter(organization__in=ctx.organs, positions__isnull=False)
        .distinct()
        .order_by("pk")
    )
    rng.shuffle(staff)
    used: set[str] = set()

    competition = competition_create(
        org=district,
        name=f"{year}年度驻点招商竞赛",
        starts_on=dt.date(year, 1, 1),
        ends_on=dt.date(year, 12, 31),
        min_cases=5,
        acting_user=SYSTEM,
    )
    teams = []
    for index, (name, base) in enumerate(TEAMS):
        members = staff[index * 4 : index * 4 + 4]
        teams.append(
            team_create(
                competition=competition,
                name=name,
                base=base,
                leader=members[0] if members else None,
                members=members,
                acting_user=SYSTEM,
            )
        )

    events = [
        event_create(
            org=district,
            kind=EventKind.PROMOTION,
            name=f"青岚区{year}年重点产业招商推介会",
            held_on=dt.date(year, 3, 26),
            place="青岚国际会展中心",
            organizer="区委、区政府",
            acting_user=SYSTEM,
        ),
        event_create(
            org=district,
            kind=EventKind.PROMOTION,
            name="青岚区生物医药与新材料产业推介会（深圳）",
            held_on=dt.date(year, 6, 18),
            place="深圳福田会展中心",
            organizer="区商务局",
            acting_user=SYSTEM,
        ),
        event_create(
            org=district,
            kind=EventKind.FAIR,
            name=f"第{year - 1997}届海峡投资贸易洽谈会青岚专场",
            held_on=dt.date(year, 9, 8),
            place="国际会展中心三号馆",
            organizer="区商务局",
            acting_user=SYSTEM,
        ),
    ]
    event_sizes = [26, 12, 22]

    def new_lead(source: str, team: Any, org: Any, contacted: dt.date) -> Any:
        sector = rng.choice(SECTORS)
        return lead_create(
            org=org,
            enterprise=_enterprise(rng, used),
            project_name=f"{rng.choice(WORDS)}{rng.choice(PROJECTS[sector])}",
            sector=sector,
            source=source,
            amount=_signed_amount(rng),
            team=team,
            contacted_on=contacted,
            acting_user=SYSTEM,
        )

    def walk(lead: Any, depth: int, start: dt.date, signed_on: dt.date | None, event: Any) -> None:
        day = start
        for stage in [s for s in LeadStage if s > LeadStage.CONTACT][:depth]:
            if stage == LeadStage.SIGNED and signed_on is not None:
                day = signed_on
            elif stage < LeadStage.SIGNED and signed_on is not None:
                day = start + (signed_on - start) / 2
            else:
                day = day + dt.timedelta(days=rng.randint(15, 70))
            if day > today:
                return
            lead_advance(
                lead=lead,
                to_stage=stage,
                on=day,
                signed_amount=lead.amount if stage == LeadStage.SIGNED else None,
                event=event if stage == LeadStage.SIGNED else None,
                acting_user=SYSTEM,
            )

    # Signings at the events: contacted a few months before, signed on the day.
    for event, size in zip(events, event_sizes, strict=True):
        if event.held_on > today:
            continue
        for _ in range(size):
            team = rng.choice(teams) if rng.random() < 0.6 else None
            contacted = event.held_on - dt.timedelta(days=rng.randint(40, 160))
            org = commerce if team else rng.choice(ctx.subdistricts)
            source = Source.FAIR if event.kind == EventKind.FAIR else Source.PROMOTION
            lead = new_lead(source, team, org, contacted)
            depth = rng.choices([2, 3, 4], weights=[50, 30, 20])[0]
            walk(lead, depth, contacted, event.held_on, event)

    # Everyday leads from resident teams, referrals and visits.
    sources = [Source.RESIDENT, Source.REFERRAL, Source.VISIT, Source.ONLINE, Source.OTHER]
    for _ in range(120):
        source = rng.choices(sources, weights=[45, 20, 20, 10, 5])[0]
        team = rng.choice(teams) if source == Source.RESIDENT or rng.random() < 0.3 else None
        org = commerce if team else rng.choice(ctx.subdistricts)
        contacted = today - dt.timedelta(days=rng.randint(20, 400))
        lead = new_lead(source, team, org, contacted)
        depth = rng.choices([0, 1, 2, 3, 4], weights=[25, 30, 22, 15, 8])[0]
        walk(lead, depth, contacted, None, None)
        lead.refresh_from_db()
        if lead.stage < LeadStage.SIGNED and rng.random() < 0.18:
            lost_on = max(lead.stage_since, today - dt.timedelta(days=rng.randint(1, 60)))
            lead_mark_lost(
                lead=lead,
                reason=rng.choice(
                    [
                        "企业投资计划调整，暂缓布局",
                        "选址落户外省园区",
                        "用地指标无法满足",
                        "企业资金链紧张",
                    ]
                ),
                on=lost_on,
                acting_user=SYSTEM,
            )

    # A team formed late in the year with one lucky big signing: listed, not yet ranked.
    late = team_create(
        competition=competition,
        name="驻广州招商组",
        base="广州",
        leader=staff[30] if len(staff) > 30 else None,
        members=staff[30:33],
        acting_user=SYSTEM,
    )
    big = new_lead(Source.RESIDENT, late, commerce, today - dt.timedelta(days=70))
    for stage, days in ((LeadStage.NEGOTIATING, 50), (LeadStage.SIGNED, 20)):
        lead_advance(
            lead=big,
            to_stage=stage,
            on=today - dt.timedelta(days=days),
            signed_amount=1_500_000_000,
            acting_user=SYSTEM,
        )
    new_lead(Source.RESIDENT, late, commerce, today - dt.timedelta(days=15))

    # Landed leads put on the key-project ledger, keeping the link.
    from taizhang.investment.models import Lead

    leader_user = ctx.users.get("leader")
    landed = Lead.objects.filter(stage__gte=LeadStage.LANDED, is_lost=False).order_by("pk")[:8]
    for index, lead in enumerate(landed):
        lead_convert_to_project(
            lead=lead,
            category=Category.INDUSTRY,
            lead_unit=commerce,
            linked_leader=leader_user.person if leader_user and index % 2 == 0 else None,
            when=working_moment(lead.stage_since, rng),
            acting_user=SYSTEM,
        )

    # Enterprise-support money paid out during the year (惠企政策兑现).
    payers = [finance, commerce, *organs.values(), *ctx.subdistricts]
    firms = [_enterprise(rng, used) for _ in range(220)]
    start = dt.date(year, 1, 10)
    span = max(1, (today - start).days)
    policies = {
        name: subsidy_policy_create(name=name, sort_order=i * 10, acting_user=SYSTEM)
        for i, (name, _low, _high) in enumerate(POLICIES, start=1)
    }
    for _ in range(460):
        policy, low, high = rng.choice(POLICIES)
        subsidy_create(
            org=rng.choice(payers[:2]) if rng.random() < 0.6 else rng.choice(payers),
            policy=policies[policy],
            enterprise=rng.choice(firms),
            amount=rng.randint(low // 1000, high // 1000) * 1000,
            paid_on=start + dt.timedelta(days=rng.randint(0, span)),
            acting_user=SYSTEM,
        )

    _follow_ups(random.Random(20261208), today)
