"""Demo: three training classes of the demo district year, through the services.

* 第22期 branch secretaries' class of the 组织部: 138 trainees over four days, eleven
  sessions of every type, check-ins, reflections (most read), completed with graduates;
* the first class of young cadres trained in Zhejiang, 第1期 of the department's series
  年轻干部能力提升专题培训班 (two classes planned): five days, completed;
* 临溪's series 网格员业务能力培训班 (four classes, 120 person-times planned): 第1期 and
  第2期 completed, 第3期 still open for the subdistrict clerk to run.
Everything is invented.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.people.models import Person
from taizhang.trainings import services

SEED = 20260601

SECRETARY_CURRICULUM = [
    # day offset, kind, title, start hour, lecturer's affiliation
    (0, "lecture", "开班动员暨学习贯彻党的二十届四中全会精神", 9, "区委组织部"),
    (0, "lecture", "新时代党支部标准化规范化建设", 14, "市委党校教授"),
    (1, "site", "现场教学：海韵社区党群服务中心", 9, "海韵社区党委"),
    (1, "site", "现场教学：老干部活动中心党建阵地", 14, "区委老干部局"),
    (1, "discussion", "分组讨论：离退休干部党支部如何发挥作用", 19, ""),
    (2, "lecture", "发挥离退休干部政治优势 助力基层治理", 9, "省委党校副教授"),
    (2, "site", "现场教学：红色教育基地", 14, "区委党史研究室"),
    (2, "exchange", "交流发言：支部工作经验分享", 19, ""),
    (3, "lecture", "党员教育管理工作实务", 9, "区委组织部"),
    (3, "writing", "撰写学习体会", 14, ""),
    (3, "discussion", "结业座谈", 17, ""),
]
CADRE_CURRICULUM = [
    (0, "lecture", "“八八战略”的实践与启示", 9, "浙江省委党校教授"),
    (0, "site", "现场教学：未来社区建设", 14, "杭州市某街道"),
    (1, "site", "现场教学：“千万工程”示范村", 9, "湖州市某村"),
    (1, "discussion", "分组讨论：基层治理的浙江经验", 19, ""),
    (2, "lecture", "数字化改革与整体智治", 9, "浙江大学教授"),
    (2, "site", "现场教学：县域数字治理中心", 14, "嘉兴市某县"),
    (3, "lecture", "营商环境优化的实践路径", 9, "浙江省发展规划研究院"),
    (3, "exchange", "交流发言：学员代表谈收获", 19, ""),
    (4, "writing", "撰写学习体会", 9, ""),
]
GRID_CURRICULUM = [
    (0, "lecture", "网格化服务管理工作规范", 9, "街道党工委"),
    (0, "site", "现场教学：海韵第1网格党群驿站", 14, "海韵社区党委"),
    (1, "discussion", "分组讨论：如何用好民情日志", 9, ""),
    (1, "writing", "撰写学习体会", 14, ""),
]
REFLECTIONS = [
    "通过这次培训，我对新时代党支部建设有了更系统的认识。回去后要把学到的方法用到支部工作中，"
    "坚持每月开展主题党日，让老党员在社区治理中继续发挥作用。",
    "现场教学让我印象最深，党群服务中心把服务做到了居民家门口。我们支部也要结合实际，"
    "组织党员认领服务岗位，带头参与楼道整治和邻里互助。",
    "几天的学习既有理论又有实践，分组讨论中大家交流了很多好做法。"
    "我将把这些经验带回支部，认真落实“三会一课”，把支部建成坚强战斗堡垒。",
]


def _run(
    rng: random.Random,
    *,
    org: Any,
    number: int,
    title: str,
    start: dt.date,
    days: int,
    venue: str,
    capacity: int,
    curriculum: list[tuple[int, str, str, int, str]],
    trainees: list[Person],
    quotas: list[tuple[Any, int]],
    attend: float,
    complete: bool,
    today: dt.date,
    series: Any = None,
) -> None:
    klass = services.training_class_create(
        org=org,
        series=series,
        number=number,
        title=title,
        start_date=start,
        end_date=start + dt.timedelta(days=days - 1),
        venue=venue,
        capacity=capacity,
        acting_user=SYSTEM,
    )
    for quota_org, places in quotas:
        services.class_quota_set(
            training_class=klass, org=quota_org, quota=places, acting_user=SYSTEM
        )
    for offset, kind, session_title, hour, note in curriculum:
        services.training_session_create(
            training_class=klass,
            kind=kind,
            title=session_title,
            day=start + dt.timedelta(days=offset),
            start_time=dt.time(hour, 0),
            end_time=dt.time(hour + 2, 30 if hour < 19 else 0),
            speaker_note=note,
            location=venue if kind != "site" else "",
            acting_user=SYSTEM,
        )
    enrolled = services.enrollment_create(
        training_class=klass,
        persons=trainees,
        enrolled_on=start - dt.timedelta(days=7),
        acting_user=SYSTEM,
    )
    if start > today:
        return
    for session in klass.sessions.all():
        if session.day > today:
            break
        present = [e for e in enrolled if rng.random() < attend]
        services.session_check_in(
            session=session,
            enrollments=present,
            checked_at=timezone.make_aware(dt.datetime.combine(session.day, session.start_time)),
            acting_user=SYSTEM,
        )
    last = start + dt.timedelta(days=days - 1)
    if last > today:
        return
    for enrollment in enrolled:
        if rng.random() < 0.95:
            reflection = services.reflection_submit(
                enrollment=enrollment,
                title=rng.choice(["学习体会", "培训心得", "参训收获与思考"]),
                text=rng.choice(REFLECTIONS),
                submitted_on=last,
                acting_user=SYSTEM,
            )
            if rng.random() < 0.8:
                services.reflection_read(reflection=reflection, comment="已阅", acting_user=SYSTEM)
    if complete:
        services.training_class_complete(
            training_class=klass, completed_on=last, acting_user=SYSTEM
        )


def load(ctx: Any) -> None:
    rng = random.Random(SEED)
    today = timezone.localdate()
    year = today.year
    department = next((o for o in ctx.organs if o.short_name == "区委组织部"), ctx.organs[0])
    members = list(
        Person.objects.filter(membership__isnull=False)
        .select_related("organization")
        .order_by("pk")
    )

    def under(org: Any) -> list[Person]:
        return [p for p in members if p.organization.path.startswith(org.path)]

    organ_root = ctx.organs[0].parent
    pools = [(street, under(street)) for street in ctx.subdistricts] + [
        (organ_root, under(organ_root))
    ]
    trainees: list[Person] = []
    quotas: list[tuple[Any, int]] = []
    for org, pool in pools:
        quotas.append((org, 20))
        trainees += rng.sample(pool, min(len(pool), 20 if org is not organ_root else 18))
    _run(
        rng,
        org=department,
        number=22,
        title="离退休干部党支部书记培训班",
        start=min(dt.date(year, 9, 15), today - dt.timedelta(days=30)),
        days=4,
        venue="区委党校",
        capacity=140,
        curriculum=SECRETARY_CURRICULUM,
        trainees=trainees,
        quotas=quotas,
        attend=0.93,
        complete=True,
        today=today,
    )
    cadres = rng.sample(under(organ_root) + under(ctx.subdistricts[0]), 60)
    # A series numbers its own classes: the department's 第22期 (its own numbering) and
    # the 第1期 of its young cadres' series stand side by side.
    young = services.training_series_create(
        org=department,
        title="年轻干部能力提升专题培训班",
        planned_classes=2,
        planned_trainees=120,
        description="分两期赴外地高校开展异地培训，每期60人。",
        acting_user=SYSTEM,
    )
    _run(
        rng,
        org=department,
        series=young,
        number=1,
        title="年轻干部能力提升专题培训班（浙江）",
        start=min(dt.date(year, 6, 9), today - dt.timedelta(days=90)),
        days=5,
        venue="浙江大学继续教育学院",
        capacity=60,
        curriculum=CADRE_CURRICULUM,
        trainees=cadres,
        quotas=[],
        attend=0.96,
        complete=True,
        today=today,
    )
    street = ctx.subdistricts[0]
    grid_workers = [p for p in under(street) if p.organization.kind == "general_branch"][:30]
    grid = services.training_series_create(
        org=street,
        title="网格员业务能力培训班",
        planned_classes=4,
        planned_trainees=120,
        description="全年分四期轮训全街道网格员，每期两天。",
        acting_user=SYSTEM,
    )
    for number, start in (
        (1, min(dt.date(year, 3, 18), today - dt.timedelta(days=150))),
        (2, min(dt.date(year, 7, 15), today - dt.timedelta(days=60))),
    ):
        _run(
            rng,
            org=street,
            series=grid,
            number=number,
            title="网格员业务能力培训班",
            start=start,
            days=2,
            venue=f"{street.short_name}党群服务中心",
            capacity=40,
            curriculum=GRID_CURRICULUM,
            trainees=grid_workers,
            quotas=[],
            attend=0.9,
            complete=True,
            today=today,
        )
    _run(
        rng,
        org=street,
        series=grid,
        number=3,
        title="网格员业务能力培训班",
        start=today - dt.timedelta(days=1),
        days=2,
        venue=f"{street.short_name}党群服务中心",
        capacity=40,
        curriculum=GRID_CURRICULUM,
        trainees=grid_workers,
        quotas=[],
        attend=0.9,
        complete=False,
        today=today,
    )
