"""A long choice list can be searched by typing (issue 18): organization lists are
indented by level, so the browser's own type-ahead never finds a name; the search field
before the list does, and chooses the first match. Short lists are left alone."""

from __future__ import annotations

import pytest

from taizhang.core.actors import SYSTEM
from taizhang.organizations.models import OrgKind
from taizhang.organizations.services import organization_create
from tests.support import PASSWORD, make_personas, make_tree

from .conftest import log_in


@pytest.mark.django_db(transaction=True)
def test_a_clerk_finds_a_unit_in_a_long_list_by_typing(live_server, page):
    tree = make_tree()
    make_personas(tree)
    names = ["翠湖", "锦绣", "明珠", "书香", "春晖", "和畅", "海韵", "金桥", "银杏", "枫林"]
    for i, name in enumerate(names * 2):
        organization_create(
            parent=tree.street_a,
            kind=OrgKind.COMMITTEE,
            code=f"A{i + 2:02d}",
            name=f"{name}{i}号社区",
            short_name=f"{name}{i}号",
            acting_user=SYSTEM,
        )

    log_in(page, live_server.url, "district", PASSWORD)
    page.goto(f"{live_server.url}/problems/new/")
    owner = page.locator("#id_org")
    assert owner.locator("option").count() >= 15
    search = page.locator("input.select-filter[aria-controls=id_org]")
    search.press_sequentially("书香1", delay=20)
    assert owner.locator("option:checked").inner_text().strip() == "书香13号"
    visible = owner.locator("option:not([hidden])").all_inner_texts()
    assert [text.strip() for text in visible if text.strip() != "---------"] == ["书香13号"]
    search.press("Enter")  # does not send the form
    assert page.url.endswith("/problems/new/")
    search.fill("")
    search.dispatch_event("input")
    assert owner.locator("option:not([hidden])").count() == owner.locator("option").count()
    # A short list (the category) has no search field.
    assert page.locator("input.select-filter[aria-controls=id_category]").count() == 0
