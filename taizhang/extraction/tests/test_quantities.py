"""Areas, masses and capacities in Chinese units."""

from __future__ import annotations

from decimal import Decimal

from taizhang.extraction.quantities import find_quantities


def test_ten_thousand_square_metres_become_square_metres():
    (found,) = find_quantities("总建筑面积9.36万平方米。")
    assert (found.value, found.unit, found.kind) == (Decimal("93600"), "平方米", "area")


def test_a_capacity_keeps_its_period():
    (found,) = find_quantities("建成后形成5万吨/年的产能。")
    assert (found.value, found.unit, found.is_capacity) == (Decimal("50000"), "吨/年", True)


def test_mu_and_approximation():
    (found,) = find_quantities("规划用地约460亩。")
    assert (found.value, found.unit, found.approximate) == (Decimal("460"), "亩", True)
