"""Demo: a district year of activities, a 百场宣讲 campaign and 双报到 service.

Every community and organ holds group study (集中学习) most months, themed Party days
and quarterly Party lectures; about two thirds of those keep an attendance list, the
rest only a headcount. The district runs 百场宣讲 with eight teams reaching enterprises,
organs, campuses, communities and the network; 临溪 runs its own smaller campaign.
Leaders' survey visits raise a few problems. Members of the organs serve in
communities (双报到). The 宣传部's lecturers give a talk series recorded as one entry of
seven sessions (先后7次宣讲) with an external speaker and co-hosts inside and outside the
tree; a few activities carry their photos, sign-in sheets and minutes. Everything is
invented and goes through the services.
"""

from __future__ import annotations

import datetime as dt
import random
import struct
import zlib
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from taizhang.activities import services
from taizhang.activities.models import ActivityKind, AttendanceMode, VenueCategory
from taizhang.activities.services import ActivityIn, ServiceIn
from taizhang.core.actors import SYSTEM
from taizhang.people.models import PartyMembership, Person, Position, PositionTitle

SEED = 20260501

STUDY_TOPICS = [
    "学习贯彻党的二十届四中全会精神",
    "学习《习近平谈治国理政》第五卷",
    "深入学习贯彻习近平新时代中国特色社会主义思想",
    "学习《中国共产党纪律处分条例》",
    "学习中央八项规定精神",
    "学习基层治理现代化相关论述",
    "学习全国两会精神",
    "学习新修订的《中国共产党支部工作条例》",
]
LECTURE_TOPICS = [
    "书记讲党课：践行初心使命 争做为民先锋",
    "以高质量党建引领基层治理",
    "弘扬伟大建党精神 在岗位上建功立业",
    "廉洁自律从我做起",
    "发扬斗争精神 增强斗争本领",
]
DAY_TOPICS = [
    "主题党日：重温入党誓词",
    "主题党日：走进红色教育基地",
    "主题党日：社区环境清洁行动",
    "主题党日：关爱独居老人上门走访",
    "主题党日：垃圾分类宣传",
]
TALK_TOPICS = [
    "党的创新理论进万家",
    "新时代文明实践宣讲",
    "法治护航营商环境",
    "共建美丽家园",
    "惠民政策面对面",
    "红色故事分享会",
]
SURVEY_TOPICS = [
    ("老旧小区改造进展调研", "部分楼栋雨污管网改造滞后，居民反映强烈"),
    ("重点企业用工情况调研", "企业技术工人招聘难，需加强校企对接"),
    ("农村集体经济发展调研", "村集体经营性收入来源单一"),
    ("养老服务设施建设调研", "长者食堂覆盖不足，部分社区缺少场地"),
    ("背街小巷环境整治调研", "夜间路灯照明不足"),
]
SERVICE_CONTENT = [
    "楼道清洁与环境整治",
    "文明交通劝导",
    "独居老人上门探访",
    "垃圾分类指导",
    "社区核酸与健康宣传",
    "周末儿童课堂辅导",
    "反诈宣传入户",
    "小区消防安全巡查",
]
TEAMS = [
    "区委宣讲团",
    "理论骨干宣讲队",
    "百姓名嘴宣讲队",
    "青年干部宣讲队",
    "老干部宣讲队",
    "巾帼宣讲队",
    "企业家宣讲队",
    "网络宣讲队",
]


def _day(rng: random.Random, year: int, month: int, today: dt.date) -> dt.date | None:
    day = dt.date(year, month, rng.randint(1, 28))
    return day if day <= today else None


def _times(rng: random.Random) -> tuple[dt.time, dt.time]:
    hour = rng.choice([9, 10, 14, 15, 19])
    return dt.time(hour, 0), dt.time(hour + rng.choice([1, 2]), rng.choice([0, 30]))


def load(ctx: Any) -> None:
    rng = random.Random(SEED)
    today = timezone.localdate()
    year = today.year
    kinds = {k.code: k for k in ActivityKind.objects.all()}
    venues = {v.code: v for v in VenueCategory.objects.all()}

    members_under: dict[int, list[Person]] = defaultdict(list)
    memberships = PartyMembership.objects.select_related("person", "person__organization")
    all_members = [m.person for m in memberships]
    units = [*ctx.communities, *ctx.organs, *ctx.enterprises]
    by_path = {u.path: u.pk for u in units}
    for person in all_members:
        path = person.organization.path
        for cut in range(6, len(path) + 1, 6):
            if path[:cut] in by_path:
                members_under[by_path[path[:cut]]].append(person)
                break
    secretaries = {
        p.organization_id: p.person
        for p in Position.objects.filter(title=PositionTitle.SECRETARY).select_related("person")
    }

    def routine(unit: Any) -> list[ActivityIn]:
        rows: list[ActivityIn] = []
        members = members_under.get(unit.pk, [])
        for month in range(1, 13):
            plan: list[tuple[str, str]] = [("group_study", rng.choice(STUDY_TOPICS))]
            if rng.random() < 0.6:
                plan.append(("party_day", rng.choice(DAY_TOPICS)))
            if month % 3 == 0:
                plan.append(("party_lecture", rng.choice(LECTURE_TOPICS)))
            for code, topic in plan:
                held = _day(rng, year, month, today)
                if held is None:
                    continue
                start, end = _times(rng)
                listed = bool(members) and rng.random() < 0.65
                attendees = (
                    rng.sample(members, max(1, int(len(members) * rng.uniform(0.55, 0.95))))
                    if listed
                    else []
                )
                rows.append(
                    ActivityIn(
                        org=unit,
                        kind=kinds[code],
                        title=topic,
                        held_on=held,
                        start_time=start,
                        end_time=end,
                        mode="online" if rng.random() < 0.12 else "offline",
                        venue=f"{unit.short_name}党群服务中心",
                        venue_category=venues[
                            {
                                "organ": "organ",
                                "enterprise": "enterprise",
                                "village": "village",
                            }.get(unit.kind, "community")
                        ],
                        speaker=secretaries.get(unit.pk) if code == "party_lecture" else None,
                        materials="学习材料汇编、会议记录" if code == "group_study" else "",
                        attendance_mode=AttendanceMode.LIST if listed else AttendanceMode.HEADCOUNT,
                        attendees=attendees,
                        headcount=0 if listed else rng.randint(12, 45),
                    )
                )
        return rows

    for street in ctx.subdistricts:
        lower, upper = street.subtree_bounds
        rows = [r for u in units if lower <= u.path < upper for r in routine(u)]
        services.activity_import(
            rows=rows, source=f"{street.short_name}活动台账", acting_user=SYSTEM
        )
    services.activity_import(
        rows=[r for organ in ctx.organs for r in routine(organ)],
        source="区直机关活动台账",
        acting_user=SYSTEM,
    )

    # 百场宣讲: eight teams across the district.
    district = ctx.district
    start = dt.date(year, 3, 1)
    campaign = services.campaign_create(
        org=district,
        title=f"{year}年“百场宣讲进万家”专项行动",
        kind=kinds["outreach_talk"],
        target_count=100,
        start_date=start,
        end_date=dt.date(year, 12, 31),
        venue_categories=[
            venues[c] for c in ("enterprise", "organ", "campus", "community", "online")
        ],
        description="组建8支宣讲队，深入企业、机关、校园、社区和网络开展对象化、分众化宣讲。",
        acting_user=SYSTEM,
    )
    team_orgs = [ctx.organs[0], ctx.organs[2], *ctx.subdistricts[:6]]
    teams: list[Any] = []
    for name, org in zip(TEAMS, team_orgs, strict=False):
        pool = members_under.get(org.pk) or [
            p for p in all_members if p.organization.path.startswith(org.path)
        ]
        crew: list[Any] = rng.sample(pool, min(len(pool), rng.randint(5, 9)))
        teams.append(
            services.campaign_team_create(
                campaign=campaign,
                name=name,
                org=org,
                quota=12 if len(teams) < 4 else 13,
                leader=crew[0] if crew else None,
                members=crew,
                acting_user=SYSTEM,
            )
        )
    talk_venues = ["enterprise", "organ", "campus", "community", "online", "village"]
    rows = []
    span = max((today - start).days, 1)
    for team in teams:
        crew = list(team.members.all())
        for _ in range(rng.randint(8, 15)):
            held = start + dt.timedelta(days=rng.randrange(span))
            venue = rng.choices(talk_venues, weights=[5, 3, 2, 6, 2, 1])[0]
            rows.append(
                ActivityIn(
                    org=team.org,
                    kind=kinds["outreach_talk"],
                    title=f"{rng.choice(TALK_TOPICS)}·{team.name}",
                    held_on=held,
                    mode="online" if venue == "online" else "offline",
                    venue_category=venues[venue],
                    venue={
                        "enterprise": "企业职工之家",
                        "organ": "机关会议室",
                        "campus": "学校报告厅",
                        "community": "社区新时代文明实践站",
                        "online": "“青岚发布”直播间",
                        "village": "村文化礼堂",
                    }[venue],
                    speaker=rng.choice(crew) if crew else None,
                    campaign=campaign,
                    team=team,
                    attendance_mode=AttendanceMode.HEADCOUNT,
                    headcount=rng.randint(30, 400) if venue == "online" else rng.randint(20, 120),
                )
            )
    services.activity_import(rows=rows, source=campaign.title, acting_user=SYSTEM)

    # A subdistrict's own campaign, for the street clerk to follow.
    street = ctx.subdistricts[0]
    local = services.campaign_create(
        org=street,
        title=f"{street.short_name[:2]}街道“理论宣讲进小区”",
        kind=kinds["outreach_talk"],
        target_count=30,
        start_date=dt.date(year, 4, 1),
        end_date=dt.date(year, 11, 30),
        venue_categories=[venues["community"], venues["enterprise"]],
        acting_user=SYSTEM,
    )
    local_units = [u for u in ctx.communities if u.parent_id == street.pk][:3]
    local_teams = [
        services.campaign_team_create(
            campaign=local,
            name=f"{u.short_name}宣讲小分队",
            org=u,
            quota=10,
            members=members_under.get(u.pk, [])[:4],
            acting_user=SYSTEM,
        )
        for u in local_units
    ]
    rows = []
    for team in local_teams:
        members = members_under.get(team.org_id, [])
        for _ in range(rng.randint(5, 9)):
            held = dt.date(year, 4, 1) + dt.timedelta(days=rng.randrange(200))
            if held > today:
                continue
            listed = bool(members) and rng.random() < 0.5
            rows.append(
                ActivityIn(
                    org=team.org,
                    kind=kinds["outreach_talk"],
                    title=rng.choice(TALK_TOPICS),
                    held_on=held,
                    venue_category=venues[rng.choice(["community", "community", "enterprise"])],
                    venue="小区议事厅",
                    campaign=local,
                    team=team,
                    attendance_mode=AttendanceMode.LIST if listed else AttendanceMode.HEADCOUNT,
                    attendees=rng.sample(members, min(len(members), 15)) if listed else [],
                    headcount=0 if listed else rng.randint(15, 60),
                )
            )
    services.activity_import(rows=rows, source=local.title, acting_user=SYSTEM)

    # Leaders' survey visits; a few raise problems.
    leaders = list(
        Person.objects.filter(organization=district, positions__title=PositionTitle.LEADER)
    )
    survey_rows = []
    for i in range(24):
        title, _finding = SURVEY_TOPICS[i % len(SURVEY_TOPICS)]
        unit = rng.choice(ctx.communities + ctx.enterprises)
        held = _day(rng, year, rng.randint(1, today.month), today) or today
        survey_rows.append(
            ActivityIn(
                org=district,
                kind=kinds["survey"],
                title=f"{title}（{unit.short_name}）",
                held_on=held,
                venue=unit.name,
                venue_category=venues["enterprise" if unit.kind == "enterprise" else "community"],
                speaker=rng.choice(leaders) if leaders else None,
                summary=_finding,
                attendance_mode=AttendanceMode.HEADCOUNT,
                headcount=rng.randint(4, 12),
            )
        )
    surveys = services.activity_import(rows=survey_rows, source="区领导调研", acting_user=SYSTEM)
    for visit in surveys[:3]:
        services.activity_raise_problem(
            activity=visit,
            title=visit.summary,
            deadline=min(visit.held_on + dt.timedelta(days=60), dt.date(year, 12, 31)),
            acting_user=SYSTEM,
        )

    # 双报到: organ members serve in communities.
    # 双报到 covers members of organs and of enterprises (在职党员到社区报到).
    organ_members = [
        p for o in [*ctx.organs, *ctx.enterprises] for p in members_under.get(o.pk, [])
    ]
    communities = [c for c in ctx.communities if c.kind != "village"] or ctx.communities
    paired = {p.pk: rng.choice(communities) for p in organ_members}
    service_rows = []
    for person in organ_members:
        for _ in range(rng.randint(3, 14)):
            served = _day(rng, year, rng.randint(1, 12), today)
            if served is None:
                continue
            service_rows.append(
                ServiceIn(
                    org=paired[person.pk],
                    person=person,
                    served_on=served,
                    hours=Decimal(rng.choice(["1", "1.5", "2", "2", "3", "4"])),
                    content=rng.choice(SERVICE_CONTENT),
                )
            )
    services.volunteer_service_import(
        rows=service_rows, source="机关党员到社区报到服务记录", acting_user=SYSTEM
    )
    load_evidence(ctx)


def _png() -> bytes:
    """A tiny valid PNG (one grey pixel) standing in for a photo."""

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


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def load_evidence(ctx: Any) -> None:
    """Issue 15 §2: repeated sessions in one entry, external speakers, co-hosts inside
    and outside the tree, evidence files. Its own seed, so the rest of the demo year
    stays as it was."""
    rng = random.Random(SEED + 15)
    today = timezone.localdate()
    year = today.year
    kinds = {k.code: k for k in ActivityKind.objects.all()}
    venues = {v.code: v for v in VenueCategory.objects.all()}
    organs = {o.short_name: o for o in ctx.organs}
    publicity = organs.get("区委宣传部") or ctx.organs[0]
    others = [o for o in ctx.organs if o.pk != publicity.pk][:2]

    def day(month: int, dom: int) -> dt.date:
        return min(dt.date(year, month, dom), today)

    rows = [
        ActivityIn(
            org=publicity,
            kind=kinds["outreach_talk"],
            title="党的二十届四中全会精神宣讲（区委宣讲团）",
            held_on=day(11, 6),
            venue="各街道新时代文明实践所",
            venue_category=venues["community"],
            speaker_name="陈立新",
            speaker_title="区委党校副教授、区委宣讲团成员",
            co_orgs=others,
            co_host_names="区融媒体中心",
            sessions=7,
            summary="区委宣讲团深入7个街道先后7次开展宣讲，现场互动答疑30余次。",
            attendance_mode=AttendanceMode.HEADCOUNT,
            headcount=860,
        )
    ]
    for street in ctx.subdistricts[:3]:
        communities = [c for c in ctx.communities if c.parent_id == street.pk][:2]
        for community in communities:
            rows.append(
                ActivityIn(
                    org=community,
                    kind=kinds["volunteer"],
                    title="“一老一小”关爱志愿服务",
                    held_on=day(rng.randint(4, 10), rng.randint(1, 28)),
                    venue=f"{community.short_name}党群服务中心",
                    venue_category=venues["community"],
                    co_host_names="\n".join(
                        rng.sample(
                            ["青岚实验小学", "区人民医院", "仁和社工服务中心", "区检察院"], 2
                        )
                    ),
                    attendance_mode=AttendanceMode.HEADCOUNT,
                    headcount=rng.randint(25, 60),
                )
            )
        rows.append(
            ActivityIn(
                org=street,
                kind=kinds["party_lecture"],
                title="以案为鉴 警钟长鸣——廉政专题党课",
                held_on=day(rng.randint(3, 9), rng.randint(1, 28)),
                venue=f"{street.short_name}党工委会议室",
                speaker_name="周敏",
                speaker_title="区纪委监委第三监督检查室",
                sessions=rng.choice([2, 3]),
                summary="分批次为街道机关和社区党员讲授廉政专题党课。",
                attendance_mode=AttendanceMode.HEADCOUNT,
                headcount=rng.randint(80, 150),
            )
        )
    recorded = services.activity_import(rows=rows, source="宣讲与志愿服务", acting_user=SYSTEM)
    for activity in recorded[:4]:
        services.activity_attachments_add(
            activity=activity,
            kind="photo",
            files=[SimpleUploadedFile("活动照片.png", _png(), content_type="image/png")],
            acting_user=SYSTEM,
        )
        services.activity_attachments_add(
            activity=activity,
            kind="sign_in",
            files=[SimpleUploadedFile("签到表.pdf", PDF, content_type="application/pdf")],
            acting_user=SYSTEM,
        )
    services.activity_attachments_add(
        activity=recorded[0],
        kind="minutes",
        files=[SimpleUploadedFile("宣讲情况记录.pdf", PDF, content_type="application/pdf")],
        acting_user=SYSTEM,
    )
