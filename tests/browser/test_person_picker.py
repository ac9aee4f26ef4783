"""A clerk finds a person among many in a few keystrokes (issue 18): the picker suggests
the matching candidates with their unit and position, and a click fills the field."""

from __future__ import annotations

import pytest

from taizhang.people.models import Person, PositionTitle
from taizhang.people.tests.factories import make_person
from tests.support import PASSWORD, make_personas, make_tree

from .conftest import log_in


@pytest.mark.django_db(transaction=True)
def test_clerk_picks_a_responsible_person_by_typing(live_server, page):
    tree = make_tree()
    make_personas(tree)
    for i in range(60):
        make_person(tree.community_a, f"网格员{i:02d}", title=PositionTitle.GRID_WORKER)
    target = make_person(tree.community_a, "周建国", title=PositionTitle.SECRETARY)
    make_person(tree.community_b, "周建华", title=PositionTitle.SECRETARY)

    log_in(page, live_server.url, "street_a", PASSWORD)
    page.goto(f"{live_server.url}/problems/new/")
    page.locator("#id_responsible").press_sequentially("周建", delay=30)
    choice = page.locator("#id_responsible-list button[data-pick]")
    choice.first.wait_for()
    assert choice.count() == 1, "the neighbour's 周建华 is not a candidate"
    assert tree.community_a.short_name in choice.first.inner_text()
    choice.first.click()
    assert page.input_value("#id_responsible") == "周建国"
    assert page.input_value("#id_responsible_id") == str(target.pk)
    assert page.locator("#id_responsible-list .org-pick-item").count() == 0
    assert Person.objects.count() == 62


@pytest.mark.django_db(transaction=True)
def test_secretary_finds_an_ambassador_among_five_thousand(live_server, page):
    """A 社区书记 appoints an ambassador: among 5,000 people she may see, three
    keystrokes bring up the one she means, the form keeps the choice, the appointment
    names him."""
    import datetime as dt

    from taizhang.accounts.models import ScopeKind
    from taizhang.core.actors import SYSTEM
    from taizhang.pairing.models import Ambassador, PartnershipKind
    from taizhang.pairing.services import partnership_create
    from tests.support import make_user

    tree = make_tree()
    make_personas(tree)
    make_user("secretary", ("secretary", ScopeKind.SUBTREE, tree.community_a))
    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
    Person.objects.bulk_create(
        Person(
            organization=tree.community_a,
            name=f"{surnames[i % 20]}{given[(i // 20) % len(given)]}{given[i // 480 % len(given)]}",
            gender="M",
        )
        for i in range(5000)
    )
    target = make_person(tree.community_a, "欧阳晓峰")
    make_person(tree.community_b, "欧阳晓明")  # the neighbour's: never suggested
    partnership = partnership_create(
        org=tree.community_a,
        kind=PartnershipKind.AGREEMENT,
        partner="青岚科技园管委会",
        title="人才共育合作协议",
        signed_on=dt.date(2026, 3, 1),
        acting_user=SYSTEM,
    )

    log_in(page, live_server.url, "secretary", PASSWORD)
    page.goto(f"{live_server.url}/pairing/partnerships/{partnership.pk}/")
    field = page.locator("#id_ambassador-person")
    field.press_sequentially("欧阳晓", delay=30)
    choice = page.locator("#id_ambassador-person-list button[data-pick]")
    choice.first.wait_for()
    assert choice.count() == 1, "only her own 欧阳晓峰; the neighbour's 欧阳晓明 is not hers"
    choice.first.click()
    assert page.input_value("#id_ambassador-person_id") == str(target.pk)
    page.select_option("#id_ambassador-role", "talent")
    page.locator("#appoint button[type=submit]").click()
    page.locator("#ambassadors", has_text="欧阳晓峰").wait_for()
    assert Ambassador.objects.get(partnership=partnership).person == target
    assert Person.objects.count() == 5002
