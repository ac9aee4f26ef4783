"""Areas, masses and capacities in Chinese units."""

from __future__ import annotations

from decimal import Decimal

from taizhang.extraction.quantities import find_quantities


def test_ten_thousand_square_metres_become_square_metres():
    (found,) = find_quantities("总建筑面积18.22万平方米。")
    assert (found.value, found.unit, found.kind) == (Decimal("182200"), "平方米", "area")


def test_a_capacity_keeps_its_period():
    (found,) = find_quantities("建成后形成3万吨/年的产能。")
    assert (found.value, found.unit, found.is_capacity) == (Decimal("30000"), "吨/年", True)


def test_mu_and_approximation():
    (found,) = find_quantities("规划用地约700亩。")
    assert (found.value, found.unit, found.approximate) == (Decimal("700"), "亩", True)
