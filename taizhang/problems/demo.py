"""Demo: a district year of problem lists (~150 items) through the services.

Every item is invented. Items are raised across the year, started, evidenced, signed
off, some sent back or reopened; some run past their deadline and are escalated. About
a third are linked to the demo login ``leader``, overdue ones among them. When the
projects module has key projects, a few items are raised on them as blockers.
"""

from __future__ import annotations

import datetime as dt
import random
import struct
import zlib
from typing import Any

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.core.demo import working_moment
from taizhang.people.models import Position, PositionTitle
from taizhang.people.selectors import leader_candidates
from taizhang.problems import services
from taizhang.problems.models import ProblemKind

SEED = 20260401
COUNT = 135
BLOCKERS = [
    ("征地拆迁进度滞后，影响施工进场", "tackling", "meeting"),
    ("施工临时用电接入审批周期长", "problem", "survey"),
    ("周边交通组织方案尚未批复", "problem", "meeting"),
    ("配套资金拨付滞后", "tackling", "inspection"),
    ("施工用水管网接驳需协调", "problem", "survey"),
    ("环评批复补充材料反复退回", "tackling", "survey"),
]

# (title pattern, category, source, kind code, measures, evidence)
TOPICS: list[tuple[str, str, str, str, str, str]] = [
    (
        "{unit}老旧小区雨污管网混接",
        "infrastructure",
        "survey",
        "problem",
        "排查混接点位，分批实施雨污分流改造",
        "完成雨污分流改造1.2公里，经住建部门现场核查合格，附改造前后对比照片",
    ),
    (
        "{unit}背街小巷路灯缺失、夜间照明不足",
        "infrastructure",
        "demand",
        "problem",
        "协调供电所补装路灯，纳入日常巡查",
        "补装路灯36盏，居民夜间出行照明问题已解决，附现场照片",
    ),
    (
        "{unit}电动自行车集中充电设施不足",
        "safety",
        "self_check",
        "practical_matter",
        "新建集中充电棚，清理楼道飞线充电",
        "新建充电棚4处、充电端口160个，楼道飞线充电清零，附验收单",
    ),
    (
        "{unit}消防通道被占用",
        "safety",
        "inspection",
        "problem",
        "施划禁停标线，联合物业常态化劝导",
        "施划标线420米，设置警示牌12块，连续两周巡查无占用，附巡查记录",
    ),
    (
        "{unit}农贸市场周边占道经营",
        "governance",
        "patrol",
        "problem",
        "设置临时疏导点，联合执法中队整治",
        "设置疏导摊位28个，占道经营现象明显减少，附执法记录",
    ),
    (
        "{unit}长者助餐点覆盖不足",
        "livelihood",
        "survey",
        "practical_matter",
        "依托党群服务中心新增助餐点",
        "新增长者食堂1处，日均就餐老人80余人次，附运营台账",
    ),
    (
        "{unit}适老化改造进度滞后",
        "livelihood",
        "meeting",
        "practical_matter",
        "细化改造清单，每周调度进度",
        "完成适老化改造户120户，加装扶手和防滑设施，附验收表",
    ),
    (
        "{unit}小区物业服务不规范、居民投诉多",
        "governance",
        "demand",
        "problem",
        "召开业委会、物业、社区三方协调会，建立红黑榜",
        "物业整改承诺书已签订，满意度回访由62%提升至91%，附回访记录",
    ),
    (
        "{unit}垃圾分类投放点设置不合理",
        "environment",
        "demand",
        "problem",
        "重新布点并设置定时定点督导",
        "调整投放点9处，配备督导员，周边异味投诉清零，附照片",
    ),
    (
        "{unit}河道沿岸违建未拆除",
        "environment",
        "inspection",
        "tackling",
        "联合执法拆除，恢复绿化",
        "拆除违建约860平方米，完成复绿，附拆除前后照片",
    ),
    (
        "{unit}党群服务中心功能不完善",
        "party",
        "self_check",
        "secretary_led",
        "整合阵地资源，增设议事厅和自习室",
        "完成功能区改造，开放议事厅、共享自习室，附开放安排",
    ),
    (
        "{unit}新就业群体服务阵地不足",
        "party",
        "survey",
        "secretary_led",
        "建设骑手暖心驿站，配齐饮水、充电设施",
        "建成暖心驿站3处，服务外卖快递小哥每月2000余人次，附照片",
    ),
    (
        "{unit}停车位紧张、乱停放",
        "infrastructure",
        "demand",
        "problem",
        "挖潜闲置地块增设停车泊位，推行错时共享",
        "新增停车泊位210个，与周边单位签订错时共享协议，附协议",
    ),
    (
        "{unit}企业用电增容审批周期长",
        "business",
        "survey",
        "tackling",
        "协调供电公司开辟绿色通道",
        "增容审批由25个工作日压缩至8个工作日，企业已通电投产，附回执",
    ),
    (
        "{unit}企业招工难、技能人才缺口大",
        "business",
        "meeting",
        "tackling",
        "开展专场招聘会，对接职业院校订单培养",
        "举办专场招聘会2场，达成就业意向430人，附签约名单",
    ),
    (
        "{unit}村集体经济增收渠道单一",
        "governance",
        "survey",
        "problem",
        "盘活闲置厂房，发展物业经济",
        "闲置厂房已出租，村集体年增收约45万元，附租赁合同",
    ),
    (
        "{unit}学校周边上下学时段交通拥堵",
        "safety",
        "demand",
        "problem",
        "增设护学岗，优化接送车辆停靠",
        "设置护学岗和即停即走车位，高峰通行时间缩短一半，附照片",
    ),
    (
        "{unit}燃气管道老化存在安全隐患",
        "safety",
        "inspection",
        "tackling",
        "委托燃气公司排查更换老化管线",
        "更换老化立管及表前阀门380户，附燃气公司验收单",
    ),
    (
        "{unit}公共厕所设施陈旧",
        "livelihood",
        "self_check",
        "practical_matter",
        "按标准提升改造，落实保洁责任",
        "完成公厕提升改造2座，增设无障碍设施，附验收照片",
    ),
    (
        "{unit}企业融资需求对接不畅",
        "business",
        "demand",
        "problem",
        "组织银企对接会，建立融资需求清单",
        "召开银企对接会1场，授信1.3亿元，附对接清单",
    ),
]
REOPEN_REASONS = ["回访发现问题反弹，居民再次反映", "督查组复查发现整改不彻底"]
SEND_BACK_REASONS = ["佐证材料不完整，缺少整改后照片", "整改成效未经居民代表确认"]


def _png() -> bytes:
    """A tiny valid PNG (a grey pixel) standing in for a photo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x99"))
        + chunk(b"IEND", b"")
    )


def load(ctx: Any) -> None:
    # Our own seed: the demo stays the same whatever earlier modules drew from ctx.rng.
    rng = random.Random(SEED)
    today = timezone.localdate()
    now = timezone.now()
    year_start = dt.date(today.year, 1, 5)
    district_user = ctx.users.get("district")
    leader_person = getattr(ctx.users.get("leader"), "person", None)
    leaders = list(leader_candidates())
    kinds = {k.code: k for k in ProblemKind.objects.all()}
    units = ctx.subdistricts + ctx.communities + ctx.enterprises
    organs = ctx.organs
    street_users = {
        ctx.subdistricts[0].pk: ctx.users.get("street_a"),
        ctx.subdistricts[1].pk: ctx.users.get("street_b"),
    }
    holders: dict[int, list[Any]] = {}
    positions = Position.objects.filter(
        organization__in=[*units, *organs],
        title__in=[
            PositionTitle.SECRETARY,
            PositionTitle.DEPUTY_SECRETARY,
            PositionTitle.DIRECTOR,
            PositionTitle.DEPUTY_DIRECTOR,
            PositionTitle.COMMITTEE_MEMBER,
            PositionTitle.MANAGER,
        ],
    ).select_related("person")
    for position in positions:
        holders.setdefault(position.organization_id, []).append(position.person)
    blockers = _project_origins()
    png = _png()

    for _ in range(COUNT):
        title, category, source, kind_code, measures, evidence = rng.choice(TOPICS)
        org = rng.choice(units)
        if org.kind == "enterprise" and category not in {"business", "party"}:
            org = org.parent if rng.random() < 0.5 else rng.choice(ctx.communities)
        lead = org if rng.random() < 0.7 else rng.choice(organs)
        co_units = rng.sample(organs, rng.randint(0, 2))
        co_units = [u for u in co_units if u.pk != lead.pk]
        street_pk = org.pk if org.depth == 2 else (org.parent_id if org.depth == 3 else None)
        actor = street_users.get(street_pk or 0) if lead.pk == org.pk and not co_units else None
        actor = actor or district_user
        # Duties kept apart: who put an item on the ledger does not close it out.
        verifier = district_user if actor is not district_user else ctx.users.get("leader")
        raised = year_start + dt.timedelta(
            days=rng.randint(0, max((today - year_start).days - 3, 1))
        )
        deadline = raised + dt.timedelta(days=rng.choice([30, 45, 60, 90, 120, 150]))
        linked = leader_person if (leader_person and rng.random() < 0.35) else rng.choice(leaders)
        responsible = rng.choice(holders.get(lead.pk) or holders.get(org.pk) or [None])
        if (
            verifier is not None
            and responsible is not None
            and responsible.pk == verifier.person_id
        ):
            responsible = None
        last = [working_moment(raised, rng)]

        def clock(day: dt.date, last: list[dt.datetime] = last) -> dt.datetime:
            moment = min(max(working_moment(day, rng), last[0] + dt.timedelta(minutes=5)), now)
            last[0] = moment
            return moment

        problem = services.problem_create(
            org=org,
            title=title.format(unit=_label(org)),
            description=f"{_label(org)}在{_source_text(source)}中发现此问题，群众反映较为集中，需限期整改。",
            kind=kinds[kind_code],
            source=source,
            category=category,
            lead_unit=lead,
            co_units=co_units,
            linked_leader=linked,
            responsible=responsible,
            deadline=deadline,
            raised_on=raised,
            when=last[0],
            acting_user=actor,
        )
        # How far it got: items past their deadline are mostly closed; some are not.
        roll = rng.random()
        if deadline < today:
            target = (
                "closed"
                if roll < 0.68
                else rng.choice(["open", "in_progress", "in_progress", "pending"])
            )
        else:
            target = (
                "open"
                if roll < 0.22
                else "in_progress"
                if roll < 0.62
                else "pending"
                if roll < 0.8
                else "closed"
            )
        if target == "open":
            continue
        started = min(raised + dt.timedelta(days=rng.randint(1, 8)), today)
        problem = services.problem_start(
            problem=problem, measures=measures, when=clock(started), acting_user=actor
        )
        if target == "in_progress":
            continue
        span = max((min(today, deadline + dt.timedelta(days=10)) - started).days, 1)
        submitted = min(started + dt.timedelta(days=rng.randint(1, span)), today)
        files = [SimpleUploadedFile("整改前后对比照片.png", png, content_type="image/png")]
        problem = services.problem_submit(
            problem=problem,
            evidence_text=evidence,
            files=files,
            when=clock(submitted),
            acting_user=actor,
        )
        if target == "pending":
            continue
        if rng.random() < 0.08:
            back = min(submitted + dt.timedelta(days=1), today)
            problem = services.problem_send_back(
                problem=problem,
                reason=rng.choice(SEND_BACK_REASONS),
                when=clock(back),
                acting_user=verifier,
            )
            submitted = min(back + dt.timedelta(days=rng.randint(1, 6)), today)
            problem = services.problem_submit(
                problem=problem,
                evidence_text=evidence + "；已补充居民代表签字确认",
                files=[SimpleUploadedFile("居民代表确认单.png", png, content_type="image/png")],
                when=clock(submitted),
                acting_user=actor,
            )
        closed = min(submitted + dt.timedelta(days=rng.randint(1, 7)), today)
        when = clock(closed)
        problem = services.problem_verify(
            problem=problem,
            note="经现场核查，整改到位，同意销号。",
            when=when,
            acting_user=verifier,
        )
        if rng.random() < 0.04:
            services.problem_reopen(
                problem=problem,
                reason=rng.choice(REOPEN_REASONS),
                when=clock(today),
                acting_user=verifier,
            )
    _raise_blockers(ctx, blockers, kinds, district_user, rng, today)
    _instructions(ctx, leaders, district_user, rng, today)
    _research_topics(ctx, leaders, district_user, today)
    services.problem_escalate_overdue(today=today, acting_user=SYSTEM)


# 领导交办: (title, the leader's words, days ago, days to complete, result or "").
INSTRUCTIONS = [
    (
        "研究解决老旧小区加装电梯资金缺口",
        "请街道会同区住建局摸清底数，拿出资金筹措方案，月底前报区委。",
        75,
        30,
        "已摸清12个小区加装需求，争取上级补助资金并落实居民分摊办法，首批6部电梯开工。",
    ),
    (
        "尽快解决学校周边上下学时段交通拥堵",
        "请公安交警、教育部门与街道共同研究，开学前拿出错峰和停车方案。",
        50,
        20,
        "实行错峰放学，增设临时停车泊位80个，安排护学岗每日值守。",
    ),
    (
        "督促农贸市场升级改造按期完工",
        "此事群众关注，务必按期完工，每半月报一次进度。",
        40,
        35,
        "",
    ),
    (
        "妥善处置河道沿线违建反映",
        "请依法依规处置，注意做好群众工作，处置结果报我。",
        20,
        45,
        "",
    ),
]


def _instructions(ctx: Any, leaders: list[Any], actor: Any, rng: Any, today: dt.date) -> None:
    """A district leader's instructions to the subdistricts: two completed with their
    result, the others still being handled, each with a problem put on the ledger from it."""
    if actor is None or not leaders or not ctx.subdistricts:
        return
    leader = getattr(ctx.users.get("leader"), "person", None) or leaders[0]
    for index, (title, words, ago, days, result) in enumerate(INSTRUCTIONS):
        org = ctx.subdistricts[index % len(ctx.subdistricts)]
        issued = today - dt.timedelta(days=ago)
        instruction = services.instruction_create(
            org=org,
            leader=leader,
            title=title,
            content=words,
            issued_on=issued,
            deadline=issued + dt.timedelta(days=days),
            acting_user=actor,
        )
        if result:
            services.instruction_complete(
                instruction=instruction,
                result=result,
                done_on=min(today, issued + dt.timedelta(days=days - rng.randint(1, 5))),
                acting_user=actor,
            )
            continue
        services.problem_create(
            org=org,
            title=f"{title}（领导交办）",
            description=words,
            source="instruction",
            linked_leader=leader,
            deadline=instruction.deadline,
            origin=instruction,
            raised_on=issued + dt.timedelta(days=2),
            acting_user=actor,
        )


# 调研课题: (on the district (None) or the n-th subdistrict, title, aims, team, days ago
# chosen, [days after choice of 调研, 报告, 成果转化], report (title, text) or None,
# outcomes [(text, days after the report)], a problem found by it or "").
RESEARCH = [
    (
        None,
        "关于优化营商环境、提升政务服务效能的调研",
        "聚焦企业开办、工程建设项目审批等高频事项，查找堵点难点，提出改进举措。",
        "区委政研室、区发改委、区政务服务中心联合课题组",
        200,
        [15, 95, 130],
        (
            "关于优化营商环境、提升政务服务效能的调研报告",
            "走访企业46家，梳理审批堵点18个，提出“一件事一次办”等改进建议7条。",
        ),
        [
            ("区委办印发《关于推行“一件事一次办”改革的实施方案》", 20),
            ("建立重点企业服务专员制度", 40),
        ],
        "工程建设项目联合验收环节多、时限长",
    ),
    (
        0,
        "关于老旧小区物业管理长效机制的调研",
        "摸清辖区老旧小区物业服务现状，研究党建引领物业治理的路径。",
        "街道党工委、社区党组织书记调研组",
        120,
        [10, 70],
        (
            "关于老旧小区物业管理长效机制的调研报告",
            "调查小区32个，提出“红色物业”、居民议事会等建议5条。",
        ),
        [],
        "",
    ),
    (
        1,
        "关于发展壮大村级集体经济的调研",
        "分析村集体经济收入结构，探索物业经济、乡村旅游等增收路径。",
        "街道农业农村办、经济发展办",
        80,
        [12],
        None,
        [],
        "",
    ),
    (
        2,
        "关于“一老一小”服务供给情况的调研",
        "了解养老托育服务需求与设施缺口，为明年民生实事项目选题提供依据。",
        "",
        30,
        [],
        None,
        [],
        "",
    ),
]


def _research_topics(ctx: Any, leaders: list[Any], actor: Any, today: dt.date) -> None:
    """Research topics of the district and the streets at every stage: two with their
    report, one with outcomes adopted and a problem the survey found."""
    if actor is None or not leaders:
        return
    leader = getattr(ctx.users.get("leader"), "person", None) or leaders[0]
    for where, title, aims, team, ago, moves, report, outcomes, found in RESEARCH:
        subdistricts = list(ctx.subdistricts or [])
        if where is not None and where >= len(subdistricts):
            continue
        org = ctx.district if where is None else subdistricts[where]
        chosen = today - dt.timedelta(days=ago)
        topic = services.research_topic_create(
            org=org,
            title=title,
            description=aims,
            lead_leader=leader if where is None else None,
            team_text=team,
            chosen_on=chosen,
            replay=True,
            acting_user=actor,
        )
        for stage, after in zip(("survey", "report", "outcome"), moves, strict=False):
            if stage == "outcome" and report is not None:
                report_title, text = report
                services.research_report_record(
                    topic=topic,
                    report_title=report_title,
                    report_on=chosen + dt.timedelta(days=after - 5),
                    report_text=text,
                    acting_user=actor,
                )
            topic = services.research_topic_advance(
                topic=topic,
                stage=stage,
                on=chosen + dt.timedelta(days=after),
                replay=True,
                acting_user=actor,
            )
        if report is not None and topic.stage == "report":
            services.research_report_record(
                topic=topic,
                report_title=report[0],
                report_on=min(today, chosen + dt.timedelta(days=moves[-1] + 20)),
                report_text=report[1],
                acting_user=actor,
            )
        report_on = topic.report_on or chosen
        for text, after in outcomes:
            services.research_outcome_add(
                topic=topic,
                text=text,
                adopted_on=min(today, report_on + dt.timedelta(days=after)),
                acting_user=actor,
            )
        if found:
            services.problem_create(
                org=org,
                title=found,
                description=f"{title}中发现：{found}，需牵头单位专题研究解决。",
                source="survey",
                category="business",
                linked_leader=topic.lead_leader,
                deadline=report_on + dt.timedelta(days=90),
                origin=topic,
                raised_on=report_on,
                acting_user=actor,
            )


def _raise_blockers(
    ctx: Any, projects: list[Any], kinds: dict[str, Any], actor: Any, rng: Any, today: dt.date
) -> None:
    """Blockers raised on key projects at 项目推进会: 1-2 per project, some already fixed."""
    for project in projects:
        org = getattr(project, "org", None) or ctx.district
        lead = getattr(project, "lead_unit", None) or org
        leader = getattr(project, "linked_leader", None)
        responsible = getattr(project, "responsible", None)
        for text, kind_code, source in rng.sample(BLOCKERS, rng.randint(1, 2)):
            raised = today - dt.timedelta(days=rng.randint(10, 120))
            moment = working_moment(raised, rng)
            problem = services.problem_create(
                org=org,
                title=f"{project}{text}",
                description=f"项目推进会梳理：{text}，需牵头单位会同配合单位专题协调。",
                kind=kinds[kind_code],
                source=source,
                category="business",
                lead_unit=lead,
                linked_leader=leader,
                responsible=responsible,
                deadline=raised + dt.timedelta(days=rng.choice([30, 45, 60, 90])),
                origin=project,
                raised_on=raised,
                when=moment,
                acting_user=actor,
            )
            if rng.random() < 0.6:
                services.problem_start(
                    problem=problem,
                    measures="召开专题协调会，明确责任分工和时间节点",
                    when=moment + dt.timedelta(days=2),
                    acting_user=actor,
                )


def _label(org: Any) -> str:
    """How people name a unit in a title: 临溪街道, not 临溪街道党工委."""
    label: str = org.short_name.removesuffix("党工委")
    return label


def _source_text(source: str) -> str:
    return {
        "survey": "领导干部下基层调研",
        "inspection": "区委督查室专项督查",
        "patrol": "区委巡察",
        "demand": "群众诉求办理",
        "meeting": "专题会议",
        "self_check": "自查自纠",
    }.get(source, "日常工作")


def _project_origins() -> list[Any]:
    """Key projects, when the projects module made some (looked up by name, not imported)."""
    try:
        model = apps.get_model("projects", "Project")
    except LookupError:
        return []
    if model._meta.db_table not in connection.introspection.table_names():
        return []  # the module is there but its tables are not (yet)
    return list(model._default_manager.order_by("pk")[:12])
