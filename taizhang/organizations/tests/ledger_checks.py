"""Checks every ledger list runs against the shared filters (``organizations/filters.py``).

A module's ``tests/test_list_filters.py`` describes its list once (a ``LedgerCase``: the
page, the API endpoint, how to make a row at an organization on a date, how to make one
that is the viewer's own) and calls these checks; each asserts one behaviour the issue
asks of every list: the organization filter narrows to the subtree, an organization
outside the scope reads like an unknown one, dates are inclusive at both ends, bad
dates are refused, "mine" narrows to the viewer's records, and the page's query count
stays bounded with the filters on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.http import urlencode

from tests.support import PASSWORD, bearer

DAY = dt.date(2026, 3, 10)


@dataclass
class LedgerCase:
    page_url: str
    api_url: str | None
    # make(org, day, title): a row at ``org`` whose list date is ``day``, shown as ``title``.
    make: Callable[[Any, dt.date, str], Any]
    # make_mine(user, org, day, title): a row that is ``user``'s own ("mine").
    make_mine: Callable[[Any, Any, dt.date, str], Any] | None = None
    # The text of an API item that carries ``title``.
    item_text: Callable[[dict[str, Any]], str] = lambda item: str(item.get("title", ""))
    max_queries: int = 14
    extra_query: dict[str, str] | None = None


def person_of(user: Any, org: Any, name: str = "王相关") -> Any:
    """The person record of a persona (the shared personas have none): made once."""
    if getattr(user, "person_id", None):
        return user.person
    from taizhang.core.actors import SYSTEM
    from taizhang.people.services import person_create

    person = person_create(organization=org, name=name, gender="M", acting_user=SYSTEM)
    user.person = person
    user.save(update_fields=["person"])
    return person


def _page(client: Any, case: LedgerCase, user: Any | None, **params: Any) -> str:
    if user is not None:
        client.login(username=user.username, password=PASSWORD)
    query = {**(case.extra_query or {}), **params}
    response = client.get(case.page_url + "?" + urlencode(query), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


def _api(client: Any, case: LedgerCase, user: Any, **params: Any) -> Any:
    assert case.api_url is not None
    query = {**(case.extra_query or {}), **params, "limit": 100}
    return client.get(case.api_url + "?" + urlencode(query), **bearer(client, user))


def _texts(response: Any, case: LedgerCase) -> set[str]:
    assert response.status_code == 200, response.content
    body = response.json()
    items = body["items"] if isinstance(body, dict) else body
    return {case.item_text(item) for item in items}


def check_org_narrows_to_subtree(client: Any, tree: Any, personas: Any, case: LedgerCase) -> None:
    case.make(tree.community_a, DAY, "甲街道的记录")
    case.make(tree.grid_a, DAY, "甲网格的记录")
    case.make(tree.community_b, DAY, "乙街道的记录")
    body = _page(client, case, personas.district, org=tree.street_a.pk)
    assert "甲街道的记录" in body and "甲网格的记录" in body
    assert "乙街道的记录" not in body
    everything = _page(client, case, personas.district)
    assert "乙街道的记录" in everything
    if case.api_url:
        texts = _texts(_api(client, case, personas.district, org=tree.street_a.pk), case)
        assert "甲街道的记录" in texts and "乙街道的记录" not in texts


def check_out_of_scope_org_is_like_unknown(
    client: Any, tree: Any, personas: Any, case: LedgerCase
) -> None:
    case.make(tree.community_a, DAY, "甲街道的记录")
    case.make(tree.community_b, DAY, "乙街道的记录")
    hidden = _page(client, case, personas.street_a, org=tree.street_b.pk)
    unknown = _page(client, case, personas.street_a, org=999999)
    for body in (hidden, unknown):
        assert "乙街道的记录" not in body and "甲街道的记录" not in body
        assert "您的数据范围内没有该组织" in body
    if case.api_url:
        refused = _api(client, case, personas.street_a, org=tree.street_b.pk)
        missing = _api(client, case, personas.street_a, org=999999)
        assert refused.status_code == missing.status_code == 422
        assert refused.json() == missing.json()
        assert set(refused.json()["error"]["fields"]) == {"org"}


def check_dates_are_inclusive(client: Any, tree: Any, personas: Any, case: LedgerCase) -> None:
    one = dt.timedelta(days=1)
    case.make(tree.community_a, DAY - one, "区间前的记录")
    case.make(tree.community_a, DAY, "区间首日的记录")
    case.make(tree.community_a, DAY + one, "区间末日的记录")
    case.make(tree.community_a, DAY + 2 * one, "区间后的记录")
    window = {"date_from": DAY.isoformat(), "date_to": (DAY + one).isoformat()}
    body = _page(client, case, personas.street_a, **window)
    assert "区间首日的记录" in body and "区间末日的记录" in body
    assert "区间前的记录" not in body and "区间后的记录" not in body
    if case.api_url:
        texts = _texts(_api(client, case, personas.street_a, **window), case)
        assert {"区间首日的记录", "区间末日的记录"} <= texts
        assert not {"区间前的记录", "区间后的记录"} & texts


def check_bad_dates_are_refused(client: Any, tree: Any, personas: Any, case: LedgerCase) -> None:
    case.make(tree.community_a, DAY, "甲街道的记录")
    bad = _page(client, case, personas.street_a, date_from="2026-13-40")
    assert "请按 YYYY-MM-DD 填写开始日期" in bad and "甲街道的记录" not in bad
    backwards = _page(client, case, personas.street_a, date_from="2026-03-11", date_to="2026-03-10")
    assert "开始日期晚于结束日期" in backwards and "甲街道的记录" not in backwards
    if case.api_url:
        assert _api(client, case, personas.street_a, date_from="2026-13-40").status_code == 422
        reversed_range = _api(
            client, case, personas.street_a, date_from="2026-03-11", date_to="2026-03-10"
        )
        assert reversed_range.status_code == 422
        assert "date_to" in reversed_range.json()["error"]["fields"]


def check_mine(client: Any, tree: Any, personas: Any, case: LedgerCase) -> None:
    assert case.make_mine is not None
    case.make(tree.community_a, DAY, "别人的记录")
    case.make_mine(personas.street_a, tree.community_a, DAY, "我的记录")
    body = _page(client, case, personas.street_a, mine=1)
    assert "我的记录" in body and "别人的记录" not in body
    assert "别人的记录" in _page(client, case, personas.street_a)
    if case.api_url:
        texts = _texts(_api(client, case, personas.street_a, mine="true"), case)
        assert texts == {"我的记录"}


def check_query_count_with_filters(
    client: Any, tree: Any, personas: Any, case: LedgerCase, assert_max: Any
) -> None:
    for index in range(12):
        case.make(tree.community_a, DAY, f"第{index}条记录")
    params = {
        "org": tree.street_a.pk,
        "date_from": "2026-01-01",
        "date_to": "2026-12-31",
        "mine": "",
    }
    _page(client, case, personas.district, **params)  # warm the per-session caches
    with assert_max(case.max_queries):
        body = _page(client, case, None, **params)
    assert "第11条记录" in body
