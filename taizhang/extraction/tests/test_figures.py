"""Reported figures: metric, value, the 余 marker, unit."""

from __future__ import annotations

from decimal import Decimal

from taizhang.extraction.figures import find_figures


def figures(sentence: str) -> list[tuple[str, Decimal, str, bool]]:
    return [(f.metric, f.value, f.unit, f.approximate) for f in find_figures(sentence)]


def test_metric_before_the_number():
    assert figures("累计开展集中学习7000余场。") == [("集中学习", Decimal(7000), "场", True)]


def test_an_enumeration_shares_the_verb():
    found = figures("累计开展线上线下集中学习7000余场、主题党课1300余场，覆盖党员1.7万余人。")
    assert found == [
        ("集中学习", Decimal(7000), "场", True),
        ("主题党课", Decimal(1300), "场", True),
        ("党员", Decimal(17000), "人", True),
    ]


def test_number_before_the_metric():
    assert figures("全区确定177个调研课题。") == [("调研课题", Decimal(177), "个", False)]


def test_set_phrases_with_chinese_numerals_are_no_figures():
    assert figures("增强“四个意识”、坚定“四个自信”，开展百场宣讲。") == []


def test_an_ordinal_is_no_figure():
    assert figures("举办第22期培训班。") == []
