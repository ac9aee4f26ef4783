"""Money in Chinese units becomes yuan, with its approximation markers and ranges."""

from __future__ import annotations

import pytest

from taizhang.extraction.money import find_money


@pytest.mark.parametrize(
    ("sentence", "yuan", "approximate"),
    [
        ("签约项目18个，总投资逾260亿元。", 26_000_000_000, True),
        ("总造价约21.45亿元。", 2_145_000_000, True),
        ("兑付补助资金640余万元。", 6_400_000, True),
        ("发放惠民消费券35万元。", 350_000, False),
        ("营业收入超千亿元的企业。", 100_000_000_000, True),
        ("投入资金三百万元。", 3_000_000, False),
        ("奖励资金1,500元。", 1_500, False),
    ],
)
def test_amounts_are_read_in_yuan(sentence, yuan, approximate):
    (found,) = find_money(sentence)
    assert (found.yuan, found.approximate) == (yuan, approximate)


def test_a_range_keeps_both_ends():
    (found,) = find_money("单个项目投资3至5亿元。")
    assert (found.low_yuan, found.yuan) == (300_000_000, 500_000_000)


def test_words_with_the_character_yuan_are_not_money():
    assert find_money("与元丰粮油签订合作协议，千元户不多见。") == []


def test_a_verb_before_the_amount_is_not_part_of_its_text():
    (found,) = find_money("全年累计投入6.3亿元。")
    assert found.text == "6.3亿元"


def test_a_numeral_word_before_yuan_is_no_amount():
    assert find_money("三元材料销量增长，再签约亿元以上项目。") == []
