"""Demo: about 5,000 invented persons with memberships and positions, a few external
persons (lecturers and experts from other units) and 双报到 reports of organ members to
communities."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.organizations.models import Organization, OrgKind
from taizhang.people.models import PositionTitle
from taizhang.people.services import community_report_create, person_create, person_import

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余"
    "于杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
EXTERNAL_UNITS = (
    "市委党校",
    "省农业科学院",
    "市规划设计研究院",
    "临海大学",
    "市律师协会",
    "邻区文化馆",
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国文辉志红春燕玲海东林雪梅晨"
    "阳宇航思远嘉怡欣然子涵浩然雨婷佳琪俊杰晓峰丹丹建平秋菊振华"
)
CHECK = "10X98765432"
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def _id_number(rng: random.Random, birth: dt.date, gender: str) -> str:
    """A well-formed but invented ID number (region 990xxx does not exist)."""
    seq = rng.randint(0, 99) * 10 + (
        rng.choice([1, 3, 5, 7, 9]) if gender == "M" else rng.choice([0, 2, 4, 6, 8])
    )
    body = f"990{rng.randint(100, 999)}{birth:%Y%m%d}{seq:03d}"
    total = sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True))
    return body + CHECK[total % 11]


def _name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))
    return rng.choice(SURNAMES) + given


def _person(rng: random.Random, org: Organization) -> dict[str, Any]:
    gender = rng.choice("MF")
    birth = dt.date(rng.randint(1955, 2002), rng.randint(1, 12), rng.randint(1, 28))
    return {
        "organization": org,
        "name": _name(rng),
        "gender": gender,
        "mobile": f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
        "id_number": _id_number(rng, birth, gender),
        "birth_date": birth,
    }


def load(ctx: Any) -> None:
    rng = ctx.rng
    persons: list[dict[str, Any]] = []
    memberships: list[dict[str, Any]] = []
    positions: list[dict[str, Any]] = []

    def add(
        org: Organization,
        title: str | None = None,
        member_of: Organization | None = None,
        since: dt.date | None = None,
    ) -> int:
        persons.append(_person(rng, org))
        index = len(persons) - 1
        start = since or dt.date(rng.randint(2016, 2024), rng.randint(1, 12), 1)
        if title:
            positions.append(
                {"person": index, "organization": org, "title": title, "start_date": start}
            )
        if member_of is not None:
            memberships.append(
                {
                    "person": index,
                    "branch": member_of,
                    "joined_on": dt.date(rng.randint(1980, 2023), rng.randint(1, 12), 1),
                    "status": "full" if rng.random() > 0.05 else "probationary",
                }
            )
        return index

    district = ctx.district
    for title in [
        PositionTitle.SECRETARY,
        PositionTitle.DEPUTY_SECRETARY,
        PositionTitle.DEPUTY_SECRETARY,
    ]:
        add(district, title, district)
    for _ in range(8):
        add(district, PositionTitle.LEADER, district)
    for organ in ctx.organs:
        add(organ, PositionTitle.DIRECTOR, organ)
        add(organ, PositionTitle.DEPUTY_DIRECTOR, organ)
        for _ in range(rng.randint(8, 14)):
            add(organ, PositionTitle.CLERK if rng.random() < 0.3 else None, organ)
    for street in ctx.subdistricts:
        add(street, PositionTitle.SECRETARY, street)
        add(street, PositionTitle.DEPUTY_SECRETARY, street)
        for _ in range(6):
            add(street, PositionTitle.COMMITTEE_MEMBER, street)
        for _ in range(4):
            add(street, PositionTitle.CLERK, street)
    grids_by_unit: dict[int, list[Organization]] = {}
    for grid in ctx.grids:
        grids_by_unit.setdefault(grid.parent_id or 0, []).append(grid)
    buildings_by_grid: dict[int, list[Organization]] = {}
    for building in Organization.objects.filter(kind=OrgKind.BRANCH, depth__gte=5):
        buildings_by_grid.setdefault(building.parent_id or 0, []).append(building)
    for unit in ctx.communities:
        secretary = add(unit, PositionTitle.SECRETARY, unit)
        # The secretary usually also chairs the residents' committee (一肩挑).
        positions.append(
            {
                "person": secretary,
                "organization": unit,
                "title": PositionTitle.DIRECTOR,
                "start_date": positions[-1]["start_date"],
            }
        )
        add(unit, PositionTitle.DEPUTY_SECRETARY, unit)
        for _ in range(3):
            add(unit, PositionTitle.COMMITTEE_MEMBER, unit)
        for grid in grids_by_unit.get(unit.pk, []):
            add(grid, PositionTitle.GRID_WORKER, grid)
            for building in buildings_by_grid.get(grid.pk, []):
                add(building, PositionTitle.BUILDING_LEADER, building)
                for _ in range(rng.randint(6, 11)):
                    add(building, None, building if rng.random() < 0.45 else None)
    for enterprise in ctx.enterprises:
        add(enterprise, PositionTitle.SECRETARY, enterprise)
        add(enterprise, PositionTitle.MANAGER, None)
        for _ in range(rng.randint(15, 30)):
            add(enterprise, None, enterprise if rng.random() < 0.3 else None)
    ctx.persons = person_import(
        persons=persons,
        memberships=memberships,
        positions=positions,
        source="demo district",
        acting_user=SYSTEM,
    )
    _external_and_reports(ctx)


def _external_and_reports(ctx: Any) -> None:
    # A stream of its own, so the modules loaded after this one draw what they drew
    # before these rows existed.
    rng = random.Random(1211)
    for unit in EXTERNAL_UNITS:
        row = _person(rng, ctx.district)
        person_create(**row, is_external=True, affiliation=unit, acting_user=SYSTEM)
    today = timezone.localdate()
    by_org: dict[int, list[Any]] = {}
    for person in ctx.persons:
        by_org.setdefault(person.organization_id, []).append(person)
    for organ in ctx.organs:
        members = by_org.get(organ.pk, [])
        for person in rng.sample(members, min(3, len(members))):
            community_report_create(
                person=person,
                community=rng.choice(ctx.communities),
                reported_on=today - dt.timedelta(days=rng.randint(30, 700)),
                acting_user=SYSTEM,
            )
