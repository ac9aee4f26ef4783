"""At 375 px (a grid worker's phone) the menu opens from its button and no page is wider
than the screen: every page of the menu, and every tab those pages link to, with a row of
every ledger in the tree so that the tables have something to lay out. On the same pages
every control has a label."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.support import PASSWORD, make_personas, make_tree, policy_samples

from .conftest import log_in

PHONE = {"width": 375, "height": 812}
# Pages no tab links to: secondary lists and the forms a grid worker fills most.
ALSO = ("/activities/campaigns/", "/activities/volunteer/", "/activities/new/", "/demands/new/")


def _width(page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


# Every visible control of the page body is named: by its own label, an enclosing one or
# aria-label (issue 18: every form usable by keyboard and screen reader).
UNLABELLED = """() => Array.from(document.querySelectorAll('main input, main select, textarea'))
  .filter(e => e.type !== 'hidden' && e.offsetParent !== null)
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
    && !e.getAttribute('aria-labelledby') && !e.closest('label'))
  .map(e => e.name || e.id)"""


@pytest.mark.django_db(transaction=True)
def test_every_menu_page_fits_a_phone(live_server, browser):
    tree = make_tree()
    make_personas(tree)
    for make in policy_samples().values():
        make(tree.community_a)

    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page, live_server.url, "district", PASSWORD)
        menu = page.locator("nav.mainnav")
        assert not menu.is_visible(), "the menu is folded away on a phone"
        page.click("label.navbtn")
        assert menu.is_visible()
        hrefs = menu.locator("a").evaluate_all("els => els.map(a => a.href)")
        links = [urlsplit(href).path for href in hrefs]
        assert len(links) >= 8, links

        seen: dict[str, int] = {"/": _width(page)}
        unlabelled: dict[str, list[str]] = {}
        queue = [*links, *ALSO]
        while queue:
            path = queue.pop(0)
            if path in seen:
                continue
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, path
            seen[path] = _width(page)
            unlabelled[path] = page.evaluate(UNLABELLED)
            if path in links:  # the tabs of a menu page: its secondary lists
                tabs = page.locator(".tabs a").evaluate_all("els => els.map(a => a.href)")
                # (an export among the tabs is a download, not a page)
                queue.extend(urlsplit(h).path for h in tabs if "export" not in h)
        too_wide = {path: width for path, width in seen.items() if width > PHONE["width"]}
        assert too_wide == {}
        assert {path: names for path, names in unlabelled.items() if names} == {}
        assert len(seen) > len(links)

        # A list with rows shows each row as a card whose cells say their column.
        page.goto(f"{live_server.url}/projects/")
        cell = page.locator("table.data tbody td[data-label]").first
        assert cell.get_attribute("data-label")
        assert page.locator("table.data thead").first.is_hidden()

        # The menu takes a thumb to another page.
        page.click("label.navbtn")
        page.locator("nav.mainnav a", has_text="问题清单").click()
        page.wait_for_url(f"{live_server.url}/problems/")
    finally:
        context.close()


@pytest.mark.django_db(transaction=True)
def test_the_desk_shows_the_menu_without_a_button(live_server, page):
    tree = make_tree()
    make_personas(tree)
    log_in(page, live_server.url, "district", PASSWORD)
    assert page.locator("nav.mainnav").is_visible()
    assert page.locator("label.navbtn").is_hidden()
