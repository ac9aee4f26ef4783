"""Reported figures: metric, value, the 余 marker, unit."""

from __future__ import annotations

from decimal import Decimal

from taizhang.extraction.figures import find_figures


def figures(sentence: str) -> list[tuple[str, Decimal, str, bool]]:
    return [(f.metric, f.value, f.unit, f.approximate) for f in find_figures(sentence)]


def test_metric_before_the_number():
    assert figures("全年开展集中学习2400余场。") == [("集中学习", Decimal(2400), "场", True)]


def test_an_enumeration_shares_the_verb():
    found = figures("全年组织集中学习2400余场、专题党课560余场，覆盖党员9.8万余人。")
    assert found == [
        ("集中学习", Decimal(2400), "场", True),
        ("专题党课", Decimal(560), "场", True),
        ("党员", Decimal(98000), "人", True),
    ]


def test_number_before_the_metric():
    assert figures("全县确定86个调研课题。") == [("调研课题", Decimal(86), "个", False)]


def test_set_phrases_with_chinese_numerals_are_no_figures():
    assert figures("增强“四个意识”、坚定“四个自信”，组织千人宣讲。") == []


def test_an_ordinal_is_no_figure():
    assert figures("举办第15期培训班。") == []


def test_a_noun_phrase_then_its_number():
    found = figures("其中，城市管理类诉求1530件。")
    assert found == [("城市管理类诉求", Decimal(1530), "件", False)]


def test_a_planned_figure_is_not_reported():
    assert figures("力争下半年再签约亿元以上项目20个。") == []


def test_a_number_inside_a_quoted_name_is_no_figure():
    assert figures("出台“人才新政15条”。") == []
