"""Organizations found in sentences and matched to the tree, ambiguity kept."""

from __future__ import annotations

from taizhang.extraction.organizations import OrgIndex, Unit, find_organizations
from taizhang.extraction.tagger import tag


def names(sentence: str, defined: tuple[str, ...] = ()) -> list[tuple[str, bool]]:
    return [(m.name, m.generic) for m in find_organizations(sentence, tag(sentence), defined)]


def test_companies_and_party_bodies_are_found():
    found = names("区委组织部与新华科技有限公司签订协议。")
    assert ("区委组织部", False) in found
    assert ("新华科技有限公司", False) in found


def test_a_place_before_a_branch_is_part_of_its_name():
    assert ("东山区南湖社区第一党支部", False) in names("东山区南湖社区第一党支部书记陈明说。")


def test_generic_references_are_marked():
    assert ("省委", True) in names("按照省委部署，全面推进。")


def test_a_short_name_the_report_defines_is_found():
    found = names("蓝海科技加快扩产。", ("蓝海科技",))
    assert ("蓝海科技", False) in found


INDEX = OrgIndex(
    [
        Unit(1, "东山区委", "区委"),
        Unit(2, "东山区委组织部", "区委组织部"),
        Unit(3, "城东街道党工委", "城东街道"),
        Unit(4, "金桥社区党委", "金桥社区", aliases=("金桥",)),
        Unit(5, "西山区委组织部", "西山组织部"),
    ]
)


def test_match_by_name_short_name_and_alias():
    assert INDEX.match("东山区委组织部").matched_id == 2
    assert INDEX.match("城东街道").matched_id == 3
    assert INDEX.match("金桥").matched_id == 4
    assert INDEX.match("区委组织部").matched_id == 2


def test_a_name_two_units_answer_to_is_ambiguous():
    match = INDEX.match("组织部")
    assert match.matched_id is None
    assert match.ambiguous
    assert match.candidates == (2, 5)


def test_an_unknown_name_matches_nothing():
    match = INDEX.match("南湖村委会")
    assert (match.matched_id, match.candidates, match.ambiguous) == (None, (), False)


def test_a_body_named_relative_to_the_writer_is_generic():
    assert ("街道党工委", True) in names("街道党工委书记王丽主持会议。")


def test_a_quoted_workstation_is_an_organization():
    assert ("乡贤助力工作站", False) in names("“乡贤助力工作站”在南坪村揭牌成立。")


def test_the_trees_names_are_found_where_the_tagger_misses_them():
    from taizhang.extraction.extract import extract

    index = OrgIndex([Unit(7, "晨光助老服务社", "晨光社")])
    result = extract("6月3日，晨光助老服务社组织志愿者上门服务。", index=index)
    assert {"name": "晨光助老服务社", "matched_id": 7}.items() <= result["organizations"][0].items()


def test_a_large_tree_is_searched_quickly():
    import time

    from taizhang.extraction.extract import extract

    units = [Unit(i, f"第{i}号测试社区党委", f"测试{i}社区") for i in range(20_000)]
    index = OrgIndex(units)
    started = time.perf_counter()
    extract("5月9日，第4242号测试社区党委召开会议。" * 20, index=index)
    assert time.perf_counter() - started < 3.0
