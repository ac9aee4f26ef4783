"""Demo: the invented 青岚区 with its subdistricts, communities, villages, grids and units."""

from __future__ import annotations

from typing import Any

from taizhang.core.actors import SYSTEM
from taizhang.organizations.models import OrgKind
from taizhang.organizations.services import grouping_create, organization_create

SUBDISTRICTS = ["临溪", "望澜", "柏川", "新桥", "石湾", "枫岭"]
COMMUNITY_WORDS = [
    "海韵",
    "翠湖",
    "锦绣",
    "明珠",
    "书香",
    "春晖",
    "和畅",
    "兴旺",
    "嘉禾",
    "青枫",
    "云杉",
    "清源",
    "瑞景",
    "安澜",
    "丰泽",
    "凤鸣",
    "榕荫",
    "星河",
    "鹭岛",
    "金桂",
    "文昌",
    "绿洲",
    "长乐",
    "东屿",
    "西苑",
    "南湖",
    "北岸",
    "朝阳",
    "紫荆",
    "白鹭",
    "芦洲",
    "梅溪",
    "桃源",
    "竹坑",
    "莲塘",
    "樟林",
    "石门",
    "渔港",
    "山后",
    "溪头",
]
ORGANS = [
    "区委办",
    "区政府办",
    "区委组织部",
    "区委宣传部",
    "区发改局",
    "区商务局",
    "区住建局",
    "区民政局",
    "区财政局",
    "区人社局",
    "区信访局",
    "区行政服务中心",
]
ENTERPRISE_WORDS = ["新能", "锂科", "智造", "海工", "生物", "芯材", "物流", "精密", "光电", "食品"]


def _create(ctx: Any, parent: Any, kind: str, code: str, name: str, short: str, order: int) -> Any:
    org = organization_create(
        parent=parent,
        kind=kind,
        code=code,
        name=name,
        short_name=short,
        sort_order=order,
        acting_user=SYSTEM,
    )
    ctx.orgs[code] = org
    return org


def load(ctx: Any) -> None:
    rng = ctx.rng
    district = _create(
        ctx, None, OrgKind.DISTRICT_COMMITTEE, "QL", "中共青岚区委员会", "青岚区委", 0
    )
    ctx.district = district
    organ_root = _create(
        ctx,
        district,
        OrgKind.WORKING_COMMITTEE,
        "QL-JG",
        "中共青岚区直属机关工作委员会",
        "区直机关工委",
        90,
    )
    for i, name in enumerate(ORGANS, start=1):
        ctx.organs.append(
            _create(ctx, organ_root, OrgKind.ORGAN, f"QL-JG-{i:02d}", f"青岚区{name[1:]}", name, i)
        )
    words = iter(COMMUNITY_WORDS)
    for s_index, sub in enumerate(SUBDISTRICTS, start=1):
        s_code = f"QL-{s_index:02d}"
        street = _create(
            ctx,
            district,
            OrgKind.WORKING_COMMITTEE,
            s_code,
            f"中共青岚区{sub}街道工作委员会",
            f"{sub}街道党工委",
            s_index,
        )
        ctx.subdistricts.append(street)
        n_units = 7 if s_index <= 4 else 6
        for c_index in range(1, n_units + 1):
            word = next(words)
            is_village = s_index >= 5 and c_index > 3
            c_code = f"{s_code}-{c_index:02d}"
            if is_village:
                unit = _create(
                    ctx,
                    street,
                    OrgKind.VILLAGE,
                    c_code,
                    f"中共{word}村委员会",
                    f"{word}村",
                    c_index,
                )
            else:
                unit = _create(
                    ctx,
                    street,
                    OrgKind.COMMITTEE,
                    c_code,
                    f"中共{word}社区委员会",
                    f"{word}社区",
                    c_index,
                )
            ctx.communities.append(unit)
            for g_index in range(1, rng.randint(3, 5) + 1):
                g_code = f"{c_code}-{g_index:02d}"
                grid = _create(
                    ctx,
                    unit,
                    OrgKind.GENERAL_BRANCH,
                    g_code,
                    f"{word}{'村' if is_village else '社区'}第{g_index}网格党总支",
                    f"{word}第{g_index}网格",
                    g_index,
                )
                ctx.grids.append(grid)
                for b_index in range(1, rng.randint(2, 3) + 1):
                    _create(
                        ctx,
                        grid,
                        OrgKind.BRANCH,
                        f"{g_code}-{b_index:02d}",
                        f"{word}第{g_index}网格{b_index}号楼栋党支部",
                        f"{word}{g_index}-{b_index}楼栋",
                        b_index,
                    )
        for e_index in range(1, 6):
            word = ENTERPRISE_WORDS[(s_index * 3 + e_index) % len(ENTERPRISE_WORDS)]
            ctx.enterprises.append(
                _create(
                    ctx,
                    street,
                    OrgKind.ENTERPRISE,
                    f"{s_code}-E{e_index}",
                    f"青岚{sub}{word}有限公司党支部",
                    f"{sub}{word}",
                    50 + e_index,
                )
            )
    members = (
        rng.sample(ctx.communities, 5) + rng.sample(ctx.organs, 2) + rng.sample(ctx.enterprises, 2)
    )
    grouping_create(
        name="临海片区党建联创协作组",
        kind="党建联创协作组",
        owner=district,
        members=members,
        description="九个单位跨街道联建共治",
        acting_user=SYSTEM,
    )
