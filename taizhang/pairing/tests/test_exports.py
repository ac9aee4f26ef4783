"""Pairing exports: the list's filters and the viewer's scope, print layout, query counts."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.pairing.services import ambassador_appoint, partnership_create
from taizhang.pairing.tests.factories import (
    FIRST_YEAR,
    THIS_YEAR,
    make_income,
    make_organ,
    make_pair,
)
from taizhang.people.services import person_create
from tests.support import make_org


@pytest.fixture(autouse=True)
def _chinese():
    """Headers and messages as a Chinese clerk reads them, whatever ran before."""
    with translation.override("zh-hans"):
        yield


def _sheet(client, user, url: str) -> list[list[object]]:
    client.force_login(user)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200, response.content[:200]
    assert "attachment" in response["Content-Disposition"]
    return [list(r) for r in load_workbook(io.BytesIO(response.content)).worksheets[0].values]


def test_the_pairs_export_lists_the_pairs_in_scope_with_their_income_in_wan(tree, personas, client):
    """Each pair in the viewer's scope, its target and income in 万元 for the list's
    three years and the year it reached its target; the neighbour's pair is absent."""
    organ = make_organ(tree)
    make_pair(organ, tree.community_a)
    make_pair(organ, tree.community_b)
    make_income(tree.community_a, FIRST_YEAR, 523_456)
    rows = _sheet(client, personas.street_a, f"/pairing/export/?year={FIRST_YEAR}")
    assert "结对帮扶" in str(rows[0][0])
    header = rows[1]
    data = rows[2:]
    assert [r[header.index("结对村（社区）")] for r in data] == [tree.community_a.name]
    income = header.index(f"集体经济收入{FIRST_YEAR}（万元）")
    assert data[0][income] == 52.3456
    assert data[0][header.index("目标年度")] == THIS_YEAR
    event = AuditEvent.objects.get(action="pairing.export")
    assert event.changes["rows"] == 1


def test_the_pairs_export_follows_the_search(tree, personas, client):
    organ = make_organ(tree)
    other = make_org(tree.street_a, "A2")
    make_pair(organ, tree.community_a)
    make_pair(organ, other)
    rows = _sheet(client, personas.district, "/pairing/export/?q=A2")
    assert [r[1] for r in rows[2:]] == [other.name]


def test_the_figures_export_takes_the_year_only_when_named(tree, personas, client):
    make_income(tree.community_a, FIRST_YEAR, 100_000)
    make_income(tree.community_a, THIS_YEAR, 200_000, confirm=False)
    make_income(tree.community_b, THIS_YEAR, 300_000)
    every = _sheet(client, personas.street_a, "/pairing/values/export/")
    assert len(every) == 4  # title, header, A1's two years; B1 is out of scope
    one = _sheet(client, personas.street_a, f"/pairing/values/export/?year={THIS_YEAR}")
    assert [r[4] for r in one[2:]] == [THIS_YEAR]


def test_the_figures_export_query_count_does_not_grow_with_rows(tree, personas, client):
    client.force_login(personas.district)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/pairing/values/export/").status_code == 200
        return len(captured)

    make_income(tree.community_a, FIRST_YEAR, 1)
    few = queries()
    for index in range(6):
        make_income(make_org(tree.street_a, f"V{index}"), FIRST_YEAR, 1000 + index)
    assert queries() == few


def test_the_pairs_export_query_count_does_not_grow_with_rows(tree, personas, client):
    organ = make_organ(tree)
    client.force_login(personas.district)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/pairing/export/?year={FIRST_YEAR}").status_code == 200
        return len(captured)

    make_pair(organ, tree.community_a)
    few = queries()
    for index in range(6):
        village = make_org(tree.street_a, f"V{index}")
        make_pair(organ, village)
        make_income(village, FIRST_YEAR, 600_000)
    assert queries() == few


def test_partnerships_and_ambassadors_export_with_the_kind_filter(tree, personas, client):
    agreement = partnership_create(
        org=tree.street_a,
        kind="agreement",
        partner="长三角商会",
        title="合作协议",
        signed_on=dt.date(FIRST_YEAR, 3, 1),
        acting_user=SYSTEM,
    )
    partnership_create(
        org=tree.street_a,
        kind="talent_station",
        partner="某大学",
        title="招才引智工作站",
        signed_on=dt.date(FIRST_YEAR, 4, 1),
        acting_user=SYSTEM,
    )
    partnership_create(
        org=tree.street_b,
        kind="agreement",
        partner="邻街商会",
        title="邻街协议",
        signed_on=dt.date(FIRST_YEAR, 5, 1),
        acting_user=SYSTEM,
    )
    person = person_create(
        organization=tree.street_a, name="周大使", gender="M", acting_user=SYSTEM
    )
    ambassador_appoint(
        partnership=agreement,
        person=person,
        role="investment",
        appointed_on=dt.date(FIRST_YEAR, 3, 2),
        acting_user=SYSTEM,
    )
    rows = _sheet(client, personas.street_a, "/pairing/partnerships/export/?kind=agreement")
    header = rows[1]
    assert [r[0] for r in rows[2:]] == ["合作协议", "合计"]
    assert rows[-1][header.index("在任大使")] == 1
    ambassadors = _sheet(client, personas.street_a, "/pairing/ambassadors/export/")
    assert [r[0] for r in ambassadors[2:]] == ["周大使"]
    assert ambassadors[2][3] == "合作协议"
