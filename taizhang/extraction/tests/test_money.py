"""Money in Chinese units becomes yuan, with its approximation markers and ranges."""

from __future__ import annotations

import pytest

from taizhang.extraction.money import find_money


@pytest.mark.parametrize(
    ("sentence", "yuan", "approximate"),
    [
        ("签约项目63个，总投资逾420亿元。", 42_000_000_000, True),
        ("总造价约13.77亿元。", 1_377_000_000, True),
        ("兑付扶持资金970余万元。", 9_700_000, True),
        ("发放专场消费券22万元。", 220_000, False),
        ("工业产值超千亿元的街道。", 100_000_000_000, True),
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
    assert find_money("与元初食品签订合作协议，千元户不多见。") == []


def test_a_verb_before_the_amount_is_not_part_of_its_text():
    (found,) = find_money("全年累计投入8.4亿元。")
    assert found.text == "8.4亿元"
