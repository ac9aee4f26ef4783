"""Demo: a district year of demands (~300) through the services.

Categories with default handlers and time limits, routing rules that send some matters
to the subdistricts, the services delegated to each subdistrict, and demands from every
channel in every state: replied late, followed up (mostly satisfied, some not, which
reopens them), duplicates merged, a few raised on the problem list. Names, numbers and
addresses are invented (mobile numbers use the unassigned 199-00 block).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from taizhang.accounts.models import ScopeKind
from taizhang.accounts.services import grant_create, user_create
from taizhang.core.actors import SYSTEM
from taizhang.core.calendar import add_workdays
from taizhang.core.demo import DEMO_PASSWORD, working_moment
from taizhang.demands import services
from taizhang.demands.models import Channel, RequesterKind, Satisfaction
from taizhang.demands.services import RequesterIn
from taizhang.people.models import Person

SEED = 20260402
COUNT = 300

# code, name, default organ (short name), working days, enterprise matter, routed to subdistrict
CATEGORIES = [
    ("property", "物业管理", "区住建局", 10, False, True),
    ("municipal", "市政设施", "区住建局", 7, False, False),
    ("sanitation", "环境卫生", "区住建局", 5, False, True),
    ("elderly", "养老助餐", "区民政局", 10, False, False),
    ("social_security", "就业社保", "区人社局", 10, False, False),
    ("dispute", "邻里纠纷", "区信访局", 7, False, True),
    ("licensing", "企业开办与审批", "区行政服务中心", 5, True, False),
    ("hiring", "企业用工", "区人社局", 7, True, False),
    ("policy", "惠企政策兑现", "区发改局", 10, True, False),
    ("other", "其他", "区政府办", 15, False, False),
]
TOPICS = {
    "property": ["小区电梯频繁故障", "物业费上涨未公示", "楼道杂物长期堆放", "小区门禁损坏"],
    "municipal": ["人行道地砖松动", "雨水井盖缺失", "路灯不亮", "公交站台破损"],
    "sanitation": ["垃圾清运不及时", "绿化带杂草丛生", "餐饮油烟扰民", "公厕保洁不到位"],
    "elderly": ["希望增设长者助餐点", "独居老人申请上门探访", "适老化改造申请", "高龄津贴发放咨询"],
    "social_security": ["灵活就业参保咨询", "失业登记办理", "医保转移接续", "技能培训报名"],
    "dispute": ["楼上漏水协调", "宠物扰民", "占用公共车位", "装修噪音扰民"],
    "licensing": [
        "营业执照变更进度慢",
        "施工许可材料反复补正",
        "消防验收预约难",
        "食品经营许可延续",
    ],
    "hiring": ["急需招聘技术工人", "员工子女入学咨询", "人才公寓申请", "用工备案办理"],
    "policy": ["技改补助兑现进度", "研发费用奖补申报", "稳岗补贴申领", "租金减免政策咨询"],
    "other": ["建议增设社区图书角", "公共充电桩建设建议", "咨询社区活动场地预约", "反映噪声扰民"],
}
REPLIES = [
    "已联系相关单位现场处理，问题已解决，并向诉求人电话反馈。",
    "经核实，已协调责任单位限期整改，整改情况已告知诉求人。",
    "已安排工作人员上门对接，现场解释政策并协助办理。",
    "已纳入近期工作计划，预计本月内完成，已向诉求人说明。",
]
DELEGATED = [
    ("个体工商户设立登记", "licensing"),
    ("食品经营许可（小餐饮）", "licensing"),
    ("城乡居民养老保险参保登记", "social_security"),
    ("就业困难人员认定", "social_security"),
    ("高龄津贴申领", "elderly"),
    ("居家养老服务补贴申请", "elderly"),
    ("最低生活保障初审", "elderly"),
    ("临时救助审批", "elderly"),
    ("残疾人两项补贴初审", "elderly"),
    ("门前三包责任落实", "sanitation"),
    ("占道经营临时许可", "sanitation"),
    ("户外广告设置备案", "municipal"),
    ("老旧小区改造意见征集", "property"),
    ("物业服务投诉调处", "property"),
    ("人民调解", "dispute"),
    ("灵活就业人员社保登记", "social_security"),
    ("生育登记服务", "other"),
    ("流动人口居住登记", "other"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国文辉"
CHANNEL_WEIGHTS = [
    (Channel.GRID_REPORT, 30),
    (Channel.HOTLINE, 25),
    (Channel.ONLINE, 15),
    (Channel.RECEPTION_DAY, 12),
    (Channel.LETTER_VISIT, 8),
    (Channel.ENTERPRISE_CENTER, 10),
]


def _name(rng: Any) -> str:
    name: str = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
    return name


def _grid_login(ctx: Any) -> Any:
    """A grid worker's login (网格员) on the first grid of the first community."""
    community = ctx.communities[0]
    grid = next((g for g in ctx.grids if g.parent_id == community.pk), None)
    if grid is None:
        return None
    person = Person.objects.filter(organization=grid, positions__title="grid_worker").first()
    user = user_create(
        username="gridworker",
        password=DEMO_PASSWORD,
        person=person,
        must_change_password=False,
        acting_user=SYSTEM,
    )
    grant_create(
        user=user,
        role="grid_worker",
        scope_kind=ScopeKind.SUBTREE,
        organization=community,
        acting_user=SYSTEM,
    )
    ctx.users["gridworker"] = user
    ctx.logins.append(
        ("gridworker", f"{grid.short_name}网格员，登记本社区诉求（回访办结由街道办理）")
    )
    return user


def load(ctx: Any) -> None:
    # Our own seed: the demo stays the same whatever earlier modules drew from ctx.rng.
    rng = random.Random(SEED)
    today = timezone.localdate()
    now = timezone.now()
    organs = {o.short_name: o for o in ctx.organs}
    categories = {}
    for order, (code, name, organ, days, for_enterprises, _routed) in enumerate(CATEGORIES):
        categories[code] = services.demand_category_create(
            code=code,
            name=name,
            default_org=organs[organ],
            time_limit_days=days,
            for_enterprises=for_enterprises,
            sort_order=order,
            acting_user=SYSTEM,
        )
    for street in ctx.subdistricts:
        for code, *_rest, routed in CATEGORIES:
            if routed:
                services.routing_rule_set(
                    category=categories[code], area=street, handling_org=street, acting_user=SYSTEM
                )
    # Two subdistricts with a 企业服务中心 settle licensing themselves.
    for street in ctx.subdistricts[:2]:
        services.routing_rule_set(
            category=categories["licensing"], area=street, handling_org=street, acting_user=SYSTEM
        )
    for street in ctx.subdistricts:
        for name, code in rng.sample(DELEGATED, rng.randint(8, 11)):
            services.delegated_service_create(
                org=street,
                name=name,
                category=categories[code],
                delegated_by=categories[code].default_org.short_name,
                delegated_on=dt.date(today.year, rng.choice([3, 4, 6]), rng.choice([1, 15])),
                acting_user=SYSTEM,
            )
    gridworker = _grid_login(ctx)
    district_user = ctx.users.get("district")
    street_users = {
        ctx.subdistricts[0].pk: ctx.users.get("street_a"),
        ctx.subdistricts[1].pk: ctx.users.get("street_b"),
    }
    grids_by_community: dict[int, list[Any]] = {}
    for grid in ctx.grids:
        grids_by_community.setdefault(grid.parent_id or 0, []).append(grid)
    channels = [c for c, w in CHANNEL_WEIGHTS for _ in range(w)]
    year_start = dt.date(today.year, 1, 3)
    span = (today - year_start).days
    service_centre = organs["区行政服务中心"]
    made: list[Any] = []

    for index in range(COUNT):
        channel = rng.choice(channels)
        community = rng.choice(ctx.communities)
        street = next(s for s in ctx.subdistricts if s.pk == community.parent_id)
        grids = grids_by_community.get(community.pk) or [community]
        location = rng.choice(grids)
        enterprise_matter = channel == Channel.ENTERPRISE_CENTER or rng.random() < 0.12
        if enterprise_matter:
            code = rng.choice(["licensing", "hiring", "policy"])
            enterprise = rng.choice(
                [e for e in ctx.enterprises if e.parent_id == street.pk] or ctx.enterprises
            )
            location = enterprise
            org = service_centre if channel == Channel.ENTERPRISE_CENTER else street
            requester = RequesterIn(
                kind=RequesterKind.ENTERPRISE,
                name=f"{enterprise.short_name}（联系人{_name(rng)}）",
                mobile=f"19900{rng.randint(100000, 999999)}",
                address=f"青岚区{street.short_name[:2]}街道工业园{rng.randint(1, 30)}号",
                enterprise=enterprise,
            )
        else:
            code = rng.choice(
                [
                    "property",
                    "municipal",
                    "sanitation",
                    "elderly",
                    "social_security",
                    "dispute",
                    "other",
                ]
            )
            org = community if channel != Channel.LETTER_VISIT else street
            requester = RequesterIn(
                kind=RequesterKind.PERSON,
                name=_name(rng),
                mobile=f"19900{rng.randint(100000, 999999)}",
                address=f"青岚区{community.short_name}{rng.randint(1, 40)}栋"
                f"{rng.randint(1, 30)}0{rng.randint(1, 4)}室",
            )
        if (
            channel == Channel.GRID_REPORT
            and gridworker is not None
            and community.pk == ctx.communities[0].pk
            and org.pk == community.pk
        ):
            actor = gridworker
        else:
            actor = street_users.get(street.pk) or district_user
        if org.pk == service_centre.pk:
            actor = district_user
        received = year_start + dt.timedelta(days=int(span * (index + rng.random()) / COUNT))
        received = min(received, today)
        clock = [working_moment(received, rng)]

        def at(day: dt.date, clock: list[dt.datetime] = clock) -> dt.datetime:
            moment = min(max(working_moment(day, rng), clock[0] + dt.timedelta(minutes=20)), now)
            clock[0] = moment
            return moment

        topic = rng.choice(TOPICS[code])
        demand = services.demand_create(
            org=org,
            location=location,
            channel=channel,
            category=categories[code],
            title=topic if not enterprise_matter else f"{requester.enterprise.short_name}{topic}",  # type: ignore[union-attr]
            content=f"{requester.name}反映：{topic}，希望尽快协调解决。",
            requesters=[requester],
            when=clock[0],
            acting_user=actor,
        )
        made.append(demand)
        age = (today - received).days
        if index % 37 == 5:
            # A neighbour reports the same thing: merged, both requesters kept.
            neighbour = RequesterIn(
                kind=RequesterKind.PERSON,
                name=_name(rng),
                mobile=f"19900{rng.randint(100000, 999999)}",
                address=requester.address,
            )
            duplicate = services.demand_create(
                org=org,
                location=location,
                channel=Channel.HOTLINE,
                category=categories[code],
                title=demand.title,
                content=f"{neighbour.name}反映：{topic}。",
                requesters=[neighbour],
                when=at(received),
                acting_user=actor,
            )
            services.demand_merge(
                duplicate=duplicate, into=demand, when=at(received), acting_user=actor
            )
        # How far it got: older demands are mostly concluded, some are stuck and late.
        if age > 30:
            target = "closed" if rng.random() < 0.93 else rng.choice(["handling", "replied"])
        else:
            target = rng.choice(
                ["received", "assigned", "handling", "handling", "replied", "closed", "closed"]
            )
        if target == "received":
            continue
        handler = district_user
        demand = services.demand_assign(demand=demand, when=at(received), acting_user=handler)
        if rng.random() < 0.06:
            demand = services.demand_assign(
                demand=demand,
                handling_org=street if demand.handling_org_id != street.pk else community,
                reason="属地管理，转由属地街道社区办理",
                when=at(received + dt.timedelta(days=1)),
                acting_user=handler,
            )
        if target == "assigned":
            continue
        demand = services.demand_start(
            demand=demand, when=at(min(received + dt.timedelta(days=1), today)), acting_user=handler
        )
        if target == "handling":
            continue
        limit = demand.category.time_limit_days
        late = rng.random() < 0.12
        reply_day = min(add_workdays(received, rng.randint(1, limit + (6 if late else 0))), today)
        demand = services.demand_reply(
            demand=demand, reply_text=rng.choice(REPLIES), when=at(reply_day), acting_user=handler
        )
        follow_day = reply_day + dt.timedelta(days=rng.randint(1, 4))
        if target == "replied" or follow_day > today:
            continue
        roll = rng.random()
        satisfaction = (
            Satisfaction.SATISFIED
            if roll < 0.8
            else Satisfaction.BASICALLY
            if roll < 0.95
            else Satisfaction.UNSATISFIED
        )
        # A grid worker records demands but does not conclude them (no demands.follow_up).
        follower = (
            street_users.get(street.pk) or district_user
            if actor is None or actor is gridworker
            else actor
        )
        demand = services.demand_follow_up(
            demand=demand,
            satisfaction=satisfaction,
            note="电话回访"
            if satisfaction != Satisfaction.UNSATISFIED
            else "诉求人认为问题未根本解决",
            when=at(follow_day),
            acting_user=follower,
        )
        if satisfaction == Satisfaction.UNSATISFIED:
            second = follow_day + dt.timedelta(days=rng.randint(2, 6))
            if second <= today:
                demand = services.demand_reply(
                    demand=demand,
                    reply_text="再次组织现场协调，已彻底解决，诉求人认可。",
                    when=at(second),
                    acting_user=handler,
                )
                if second + dt.timedelta(days=2) <= today:
                    services.demand_follow_up(
                        demand=demand,
                        satisfaction=Satisfaction.BASICALLY,
                        note="二次回访",
                        when=at(second + dt.timedelta(days=2)),
                        acting_user=follower,
                    )
        if index % 60 == 7 and district_user is not None:
            services.demand_raise_problem(
                demand=demand,
                deadline=today + dt.timedelta(days=rng.choice([30, 60, 90])),
                title=f"{community.short_name}{topic}（诉求集中反映）",
                acting_user=district_user,
            )
