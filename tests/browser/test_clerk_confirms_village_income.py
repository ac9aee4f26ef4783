"""A subdistrict clerk records a village's collective income; she may not confirm her own
figure, a district clerk confirms it (locking it), is refused when recording over it, and
corrects it with a reason that keeps the old value."""

from __future__ import annotations

import pytest

from taizhang.pairing.models import IndicatorCorrection, IndicatorValue
from taizhang.pairing.tests.factories import FIRST_YEAR, make_organ, make_pair
from tests.browser.conftest import log_in
from tests.support import PASSWORD, make_personas, make_tree

pytestmark = pytest.mark.django_db(transaction=True)


def test_clerk_confirms_village_income(live_server, page):
    """Given a pair of an organ with community A1, when A's clerk records 480,000 yuan for
    year 2 she is offered no confirmation; when the district clerk confirms it, the value
    is locked; a correction to 520,000 with a reason shows
    both values in the history, and the list's headline counts the village."""
    tree = make_tree()
    personas = make_personas(tree)
    pair = make_pair(make_organ(tree), tree.community_a)
    year = FIRST_YEAR + 1

    log_in(page, live_server.url, personas.street_a.username, PASSWORD)
    page.goto(f"{live_server.url}/pairing/?year={year}")
    assert "<strong>0</strong>" in page.inner_html("#headline")
    page.click(f"#pairs a[href='/pairing/pairs/{pair.pk}/']")

    page.select_option("#id_value-indicator", "collective_income")
    page.fill("#id_value-year", str(year))
    page.fill("#id_value-value", "480000")
    page.click("#record-value button[type=submit]")
    cell = page.locator(f"#values td[data-year='{year}'][data-indicator='collective_income']")
    assert "48万元" in cell.inner_text() and "待确认" in cell.inner_text()
    assert cell.locator("button", has_text="确认").count() == 0

    # Duties kept apart: another person confirms.
    page.context.clear_cookies()
    log_in(page, live_server.url, personas.district.username, PASSWORD)
    page.goto(f"{live_server.url}/pairing/pairs/{pair.pk}/")
    cell = page.locator(f"#values td[data-year='{year}'][data-indicator='collective_income']")
    cell.locator("button", has_text="确认").click()
    cell = page.locator(f"#values td[data-year='{year}'][data-indicator='collective_income']")
    assert "已锁定" in cell.inner_text()
    assert IndicatorValue.objects.get().is_locked

    # Recording over a confirmed value is refused and changes nothing.
    page.fill("#id_value-year", str(year))
    page.fill("#id_value-value", "999999")
    page.click("#record-value button[type=submit]")
    assert "锁定" in page.inner_text("#record-value")
    assert IndicatorValue.objects.get().value == 480_000

    cell = page.locator(f"#values td[data-year='{year}'][data-indicator='collective_income']")
    cell.locator("summary").click()
    cell.locator("input[type=number]").fill("520000")
    cell.locator("input[type=text]").fill("漏计村集体厂房租金收入")
    cell.locator("button", has_text="更正").click()
    history = page.inner_text("#corrections")
    assert "48万元" in history and "52万元" in history and "漏计村集体厂房租金收入" in history
    assert IndicatorCorrection.objects.get().old_value == 480_000

    page.goto(f"{live_server.url}/pairing/?year={year}")
    assert "<strong>1</strong>" in page.inner_html("#headline")
