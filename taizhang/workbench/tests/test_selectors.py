"""The workbench lists what modules register, for the viewer only, in few queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from taizhang.core.registry import TODOS, TodoKind, register_todo
from taizhang.organizations.models import Organization
from taizhang.organizations.permissions import ORGANIZATION
from taizhang.workbench.selectors import todo_count, todo_groups


@pytest.fixture
def unit_kind():
    """A to-do per organization the viewer manages whose name starts with 待: a stand-in
    for a module's kind, scoped by the organizations policy like a real one."""
    kind = register_todo(
        TodoKind(
            name="test.units",
            label="待处理的单位",
            permission="organizations.view",
            items=lambda viewer: (
                ORGANIZATION.queryset(viewer, "organizations.view")
                .filter(name__startswith="待")
                .order_by("code")
            ),
            title=lambda org: org.name,
            url=lambda org: f"/organizations/?org={org.pk}",
            why="测试用的待办。",
            due=lambda org: timezone.localdate() - dt.timedelta(days=1),
        )
    )
    yield kind
    TODOS.pop("test.units")


def _rename(org: Organization, name: str) -> None:
    Organization.objects.filter(pk=org.pk).update(name=name)


def test_a_viewer_sees_the_items_of_her_scope_only(tree, personas, unit_kind):
    _rename(tree.community_a, "待A1")
    _rename(tree.community_b, "待B1")
    groups = {g.kind.name: g for g in todo_groups(viewer=personas.street_a)}
    assert groups["test.units"].count == 1
    assert [i.title for i in groups["test.units"].items] == ["待A1"]
    assert groups["test.units"].items[0].overdue
    district = {g.kind.name: g for g in todo_groups(viewer=personas.district)}
    assert district["test.units"].count == 2
    assert todo_count(viewer=personas.street_b) >= 1


def test_kinds_without_items_or_without_the_function_are_left_out(tree, personas, unit_kind):
    assert "test.units" not in {g.kind.name for g in todo_groups(viewer=personas.street_a)}
    _rename(tree.community_a, "待A1")
    assert todo_groups(viewer=personas.nobody) == []


def test_the_list_is_cut_at_the_limit_and_says_how_many_more(tree, personas, unit_kind):
    for org in (tree.community_a, tree.grid_a, tree.street_a):
        _rename(org, f"待{org.code}")
    group = next(g for g in todo_groups(viewer=personas.street_a, limit=2) if g.kind is unit_kind)
    assert (group.count, len(group.items), group.more) == (3, 2, 1)


def test_two_queries_per_kind(tree, personas, unit_kind, django_assert_max_num_queries):
    for org in (tree.community_a, tree.grid_a):
        _rename(org, f"待{org.code}")
    from taizhang.workbench.selectors import kinds_for

    kinds = len(kinds_for(personas.street_a))
    with django_assert_max_num_queries(2 * kinds + 2):
        todo_groups(viewer=personas.street_a)


def test_the_home_page_and_the_list_show_the_items(client, tree, personas, unit_kind):
    _rename(tree.community_a, "待A1")
    client.force_login(personas.street_a)
    home = client.get("/").content.decode()
    assert "待A1" in home and "测试用的待办。" in home
    assert 'hx-get="/workbench/count/"' in home
    count = client.get("/workbench/count/").content.decode()
    assert "<b>1</b>" in count and "/workbench/" in count
    page = client.get("/workbench/").content.decode()
    assert f"/organizations/?org={tree.community_a.pk}" in page
    client.force_login(personas.street_b)
    assert "待A1" not in client.get("/workbench/").content.decode()


def test_the_top_bar_count_is_empty_when_nothing_waits(client, tree, personas, unit_kind):
    client.force_login(personas.street_a)
    assert client.get("/workbench/count/").content.decode().strip() == ""


def test_the_top_bar_count_can_be_switched_off(client, tree, personas, settings):
    settings.TAIZHANG_TODO_COUNT_IN_TOP_BAR = False
    client.force_login(personas.street_a)
    assert "/workbench/count/" not in client.get("/").content.decode()
