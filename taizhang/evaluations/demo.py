"""Demo: a 党建品牌展演 with 40 brands, six judges and 15 winners, a 十佳宣讲员 contest
still being scored, and the year's 先进党支部 / 优秀党员 lists.

Everything goes through the services. Own random seed, so other modules' demo data
cannot shift ours.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from taizhang.accounts.models import ScopeKind
from taizhang.accounts.services import grant_create, user_create
from taizhang.core.actors import SYSTEM
from taizhang.core.demo import DEMO_PASSWORD
from taizhang.evaluations.models import Aggregation, AwardKind, EntryKind, Normalization
from taizhang.evaluations.permissions import conflict_reason, judge_org_paths
from taizhang.evaluations.services import (
    award_create,
    award_notice_set,
    award_publish,
    competition_create,
    competition_declare_winners,
    competition_open_scoring,
    competition_publish,
    criterion_add,
    entry_add,
    judge_add,
    nomination_create,
    nomination_review,
    objection_record,
    score_record,
)
from taizhang.organizations.models import Organization, OrgKind
from taizhang.people.models import Person

BRAND_HEADS = [
    "红色引擎",
    "先锋领航",
    "初心驿站",
    "匠心筑梦",
    "连心桥",
    "暖心帮",
    "清风廉韵",
    "奋进号",
    "聚力同心",
    "党群连心",
    "青春先锋",
    "e路领航",
    "书记工作室",
    "红色管家",
    "海韵先锋",
    "榕树下",
    "红帆",
    "先锋微家",
    "金牌服务",
    "红心向党",
]
BRAND_TAILS = ["服务站", "工作法", "行动", "课堂", "联盟", "驿站", "工程", "品牌"]
RUBRIC = [
    ("党建引领", 30),
    ("特色创新", 25),
    ("实际成效", 30),
    ("展示效果", 15),
]
SPEAKER_RUBRIC = [("宣讲内容", 40), ("表达感染力", 35), ("群众反响", 25)]
JUDGES = [
    ("judge1", "organs", 2, "区委组织部评委"),
    ("judge2", "organs", 3, "区委宣传部评委"),
    ("judge3", "subdistricts", 0, "临溪街道评委（本街道品牌须回避）"),
    ("judge4", "subdistricts", 2, "柏川街道评委"),
    ("judge5", "enterprises", 0, "企业党建专家评委"),
    ("judge6", "communities", 5, "社区书记评委"),
]


def _judges(ctx: Any) -> list[Any]:
    users = []
    for username, group, index, description in JUDGES:
        org = getattr(ctx, group)[index]
        person = Person.objects.filter(organization=org, user__isnull=True).order_by("pk").first()
        user = user_create(
            username=username,
            password=DEMO_PASSWORD,
            person=person,
            must_change_password=False,
            acting_user=SYSTEM,
        )
        grant_create(
            user=user, role="viewer", scope_kind=ScopeKind.ORG, organization=org, acting_user=SYSTEM
        )
        ctx.users[username] = user
        ctx.logins.append((username, description))
        users.append(user)
    return users


def _brand_owners(ctx: Any, rng: random.Random) -> list[Organization]:
    owners = list(ctx.organs) + list(ctx.subdistricts)
    owners += rng.sample(ctx.enterprises, 8) + rng.sample(ctx.communities, 14)
    return owners[:40]


def _score(
    competition: Any,
    judges: list[Any],
    rng: random.Random,
    rubric: list[tuple[str, int]],
    *,
    share: float = 1.0,
) -> None:
    criteria = list(competition.criteria.all())
    entries = list(competition.entries.select_related("org"))
    quality = {entry.pk: rng.uniform(0.62, 0.95) for entry in entries}
    for j_index, judge in enumerate(judges):
        bias = [-0.06, 0.0, 0.03, -0.1, 0.05, -0.02][j_index % 6]
        paths = judge_org_paths(judge)
        for entry in entries:
            if conflict_reason(paths, entry) or rng.random() > share:
                continue
            values = {}
            for criterion in criteria:
                level = min(1.0, max(0.3, quality[entry.pk] + bias + rng.uniform(-0.06, 0.06)))
                half_points = round(float(criterion.max_score) * level * 2)
                values[criterion.pk] = Decimal(half_points) / 2
            score_record(entry=entry, judge_user=judge, values=values, acting_user=SYSTEM)


def _competition(ctx: Any, rng: random.Random, judges: list[Any], year: int) -> None:
    competition = competition_create(
        org=ctx.district,
        name=f"{year}年度青岚区机关党建品牌展演",
        held_on=dt.date(year, 6, 26),
        normalization=Normalization.MINMAX,
        winners_count=15,
        description="40个党建品牌同台亮相，评委现场打分，评选出15个年度优秀党建品牌。",
        acting_user=SYSTEM,
    )
    for name, weight in RUBRIC:
        criterion_add(
            competition=competition,
            name=name,
            weight=Decimal(weight),
            max_score=Decimal(weight),
            acting_user=SYSTEM,
        )
    used: set[str] = set()
    for owner in _brand_owners(ctx, rng):
        while True:
            title = f"“{rng.choice(BRAND_HEADS)}”{rng.choice(BRAND_TAILS)}"
            if title not in used:
                used.add(title)
                break
        entry_add(
            competition=competition,
            kind=EntryKind.BRAND,
            title=title,
            org=owner,
            summary=f"{owner.short_name}打造的党建品牌，聚焦服务群众、破解难题。",
            acting_user=SYSTEM,
        )
    for judge in judges:
        judge_add(competition=competition, user=judge, on=dt.date(year, 6, 10), acting_user=SYSTEM)
    competition_open_scoring(competition=competition, on=dt.date(year, 6, 26), acting_user=SYSTEM)
    _score(competition, judges, rng, RUBRIC)
    competition_declare_winners(
        competition=competition, on=dt.date(year, 6, 28), acting_user=SYSTEM
    )
    competition_publish(competition=competition, on=dt.date(year, 7, 1), acting_user=SYSTEM)


def _speakers(ctx: Any, rng: random.Random, judges: list[Any], year: int, today: dt.date) -> None:
    """A contest still being scored: judges log in to finish their sheets."""
    competition = competition_create(
        org=ctx.district,
        name=f"{year}年度“百场宣讲”十佳宣讲员评选",
        held_on=min(today, dt.date(year, 11, 20)),
        normalization=Normalization.NONE,
        aggregation=Aggregation.TRIMMED,
        winners_count=10,
        acting_user=SYSTEM,
    )
    for name, weight in SPEAKER_RUBRIC:
        criterion_add(
            competition=competition,
            name=name,
            weight=Decimal(weight),
            max_score=Decimal(weight),
            acting_user=SYSTEM,
        )
    speakers = list(
        Person.objects.filter(
            membership__isnull=False, organization__in=ctx.subdistricts + ctx.organs
        ).order_by("pk")[:200]
    )
    for person in rng.sample(speakers, 20):
        entry_add(competition=competition, kind=EntryKind.PERSON, person=person, acting_user=SYSTEM)
    for judge in judges:
        judge_add(competition=competition, user=judge, acting_user=SYSTEM)
    competition_open_scoring(competition=competition, acting_user=SYSTEM)
    _score(competition, judges[1:4], rng, SPEAKER_RUBRIC, share=0.6)


def _awards(ctx: Any, rng: random.Random, year: int) -> None:
    branches = list(
        Organization.objects.filter(
            kind__in=[OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.COMMITTEE]
        ).order_by("path")
    )
    award = award_create(
        org=ctx.district,
        kind=AwardKind.ADVANCED_BRANCH,
        name=f"{year}年度青岚区先进党支部",
        year=year,
        quota=70,
        acting_user=SYSTEM,
    )
    deeds = ["红色物业提质增效", "网格化治理成效明显", "双报到志愿服务常态化", "为民办实事落地见效"]
    for index, org in enumerate(rng.sample(branches, 78)):
        nomination = nomination_create(
            award=award,
            org=org,
            deeds=rng.choice(deeds),
            on=dt.date(year, 5, 20),
            acting_user=SYSTEM,
        )
        approve = index < 70
        nomination_review(
            nomination=nomination,
            approve=approve,
            note="" if approve else "事迹材料不够具体",
            on=dt.date(year, 6, 12),
            acting_user=SYSTEM,
        )
    award_notice_set(
        award=award, start=dt.date(year, 6, 16), end=dt.date(year, 6, 22), acting_user=SYSTEM
    )
    objection_record(
        award=award,
        received_on=dt.date(year, 6, 18),
        text="群众来电反映，某社区党支部“三会一课”记录有补写情况。",
        outcome="经区委组织部会同所在街道党工委核实，相关记录为按时召开后补录台账，"
        "不影响推荐，维持原评选结果，已向反映人反馈。",
        acting_user=SYSTEM,
    )
    award_publish(award=award, on=dt.date(year, 6, 30), acting_user=SYSTEM)

    members = list(Person.objects.filter(membership__isnull=False).order_by("pk")[:2000])
    award = award_create(
        org=ctx.district,
        kind=AwardKind.EXCELLENT_MEMBER,
        name=f"{year}年度青岚区优秀共产党员",
        year=year,
        quota=50,
        acting_user=SYSTEM,
    )
    for index, person in enumerate(rng.sample(members, 54)):
        nomination = nomination_create(
            award=award,
            person=person,
            deeds="立足岗位作表率，服务群众有口碑",
            on=dt.date(year, 5, 22),
            acting_user=SYSTEM,
        )
        approve = index < 50
        nomination_review(
            nomination=nomination,
            approve=approve,
            note="" if approve else "名额有限，下次推荐",
            on=dt.date(year, 6, 14),
            acting_user=SYSTEM,
        )
    award_notice_set(
        award=award, start=dt.date(year, 6, 16), end=dt.date(year, 6, 22), acting_user=SYSTEM
    )
    award_publish(award=award, on=dt.date(year, 6, 30), acting_user=SYSTEM)

    award = award_create(
        org=ctx.district,
        kind=AwardKind.TOP_SPEAKER,
        name=f"{year}年度青岚区十佳宣讲员",
        year=year,
        quota=10,
        acting_user=SYSTEM,
    )
    for index, person in enumerate(rng.sample(members, 14)):
        nomination = nomination_create(
            award=award,
            person=person,
            deeds="深入企业、社区、校园开展宣讲",
            on=dt.date(year, 10, 15),
            acting_user=SYSTEM,
        )
        if index < 6:
            nomination_review(
                nomination=nomination, approve=True, on=dt.date(year, 10, 30), acting_user=SYSTEM
            )


def load(ctx: Any) -> None:
    rng = random.Random(20260501)
    today = timezone.localdate()
    year = today.year
    judges = _judges(ctx)
    _competition(ctx, rng, judges, year)
    _speakers(ctx, rng, judges, year, today)
    _awards(ctx, rng, year)
