"""Money and counts are shown the Chinese way, from exact values."""

from decimal import Decimal

import pytest

from taizhang.core.formatting import approximate, format_wan_yuan, format_yuan, with_unit
from taizhang.core.masking import mask_id_number, mask_mobile


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_377_000_000, "13.77亿元"),
        (340_000_000, "3.4亿元"),
        (9_700_000, "970万元"),
        (79_700_000_000, "797亿元"),
        (850, "850元"),
        (Decimal("12345.678"), "1.23万元"),
        (None, "—"),
    ],
)
def test_format_yuan(value, expected):
    """Amounts use 亿元/万元/元 with at most two decimals and no trailing zeros."""
    assert format_yuan(value) == expected


def test_format_wan_yuan():
    """An amount kept in 万元 is shown like any other amount."""
    assert format_wan_yuan(97_000) == "9.7亿元"


def test_floats_are_refused():
    """Money is never a float."""
    with pytest.raises(TypeError):
        format_yuan(1.5)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (7012, "场", "7000余场"),
        (17342, "人", "1.7万余人"),
        (1300, "", "1300"),
        (496, "个", "496个"),
        (64, "", "64"),
        (20000, "", "2万"),
        (1999, "", "1900余"),
    ],
)
def test_approximate(value, unit, expected):
    """Two significant digits rounded down, 余 when inexact; below 1000 exact."""
    assert approximate(value, unit) == expected


def test_masks():
    """Personal data keeps only the ends visible."""
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_id_number("350203199001011234") == "3502**********1234"
    assert mask_mobile("") == ""


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [("42", "个", "42个"), ("42", "items", "42 items"), ("1,563", "", "1,563"), ("7", "%", "7%")],
)
def test_with_unit_spaces_words_not_characters(text, unit, expected):
    """Chinese units follow the number directly; English words take a space."""
    assert with_unit(text, unit) == expected
