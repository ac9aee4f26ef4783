"""Journey: a subdistrict clerk logs in and browses her subtree."""

from __future__ import annotations

import pytest

from taizhang.people.models import PositionTitle
from taizhang.people.tests.factories import make_person
from tests.support import PASSWORD, make_personas, make_tree

from .conftest import log_in


@pytest.mark.django_db(transaction=True)
def test_clerk_browses_subtree(live_server, page):
    """street_a sees her subdistrict, expands it, opens a community and its people;
    the neighbouring subdistrict appears nowhere and its URL is a 404."""
    tree = make_tree()
    make_personas(tree)
    make_person(tree.community_a, "周书记", title=PositionTitle.SECRETARY, member=True)

    log_in(page, live_server.url, "street_a", PASSWORD)
    assert page.locator("h1").inner_text().endswith("您好")
    page.click("nav.mainnav >> text=组织架构")
    page.wait_for_url(f"{live_server.url}/organizations/")
    tree_panel = page.locator("nav.panel")
    assert tree_panel.get_by_text(tree.street_b.short_name).count() == 0

    page.click("button.toggle")  # expand the subdistrict
    community_link = tree_panel.get_by_role("link", name=tree.community_a.short_name)
    community_link.wait_for()
    community_link.click()
    page.locator("#org-detail h2", has_text=tree.community_a.name).wait_for()
    assert "周书记" in page.locator("#org-detail").inner_text()
    assert f"?org={tree.community_a.pk}" in page.url

    page.click("#org-detail >> text=周书记")
    page.locator("h1", has_text="周书记").wait_for()
    assert "138****5678" in page.content()

    response = page.goto(f"{live_server.url}/organizations/?org={tree.street_b.pk}")
    assert response is not None and response.status == 404
