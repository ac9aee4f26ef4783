"""Competition scores and honour roll exports: scores for whoever may see them, the
list's filters and scope, and query counts that do not grow with the entries."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.evaluations.services import (
    award_create,
    award_publish,
    competition_declare_winners,
    entry_add,
    nomination_create,
    nomination_review,
    score_record,
)
from taizhang.evaluations.tests.factories import (
    make_competition,
    make_judge_user,
    put_on_notice,
    scores_for,
)
from tests.support import make_org


@pytest.fixture(autouse=True)
def _chinese():
    """Headers as a Chinese clerk reads them, whatever ran before."""
    with translation.override("zh-hans"):
        yield


def _sheet(client, user, url: str) -> list[list[object]]:
    client.force_login(user)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200, response.content[:200]
    return [list(r) for r in load_workbook(io.BytesIO(response.content)).worksheets[0].values]


def _scored(tree):
    """A competition of subdistrict A with two entries and two judges from B."""
    a2 = make_org(tree.street_a, "A2")
    judges = [make_judge_user("judge1", tree.street_b), make_judge_user("judge2", tree.street_b)]
    competition = make_competition(
        tree.street_a, entries=[(tree.community_a, "红色驿站"), (a2, "邻里中心")], judges=judges
    )
    first, second = competition.entries.order_by("number")
    for judge, values in zip(judges, [("30", "40", "20"), ("20", "30", "30")], strict=True):
        score_record(
            entry=first,
            judge_user=judge,
            values=scores_for(competition, *values),
            acting_user=judge,
        )
    score_record(
        entry=second,
        judge_user=judges[0],
        values=scores_for(competition, "10", "10", "10"),
        acting_user=judges[0],
    )
    return competition, judges


def test_the_organizer_exports_each_criterion_s_mean_score_and_the_total(tree, personas, client):
    """One row per entry: each criterion's score (the mean over the judges who scored it)
    and the live total, for the organizers while scoring is open."""
    competition, _judges = _scored(tree)
    rows = _sheet(client, personas.street_a, "/evaluations/export/")
    header, data = rows[1], rows[2:]
    assert header[8:11] == ["特色亮点", "实际成效", "展示效果"]
    first = next(r for r in data if r[5] == "红色驿站")
    assert first[8:11] == [25, 35, 25]
    assert first[header.index("最终得分")] == 85
    assert first[header.index("名次")] == 1
    assert AuditEvent.objects.get(action="evaluations.export").changes["rows"] == 2


def test_a_judge_sees_no_scores_before_publication_and_the_winners_after(tree, personas, client):
    competition, judges = _scored(tree)
    rows = _sheet(client, judges[0], "/evaluations/export/")
    header = rows[1]
    assert [r[header.index("最终得分")] for r in rows[2:]] == [None, None]
    assert all(r[8] is None for r in rows[2:])
    competition_declare_winners(competition=competition, acting_user=SYSTEM)
    from taizhang.evaluations.services import competition_publish

    competition_publish(competition=competition, acting_user=SYSTEM)
    rows = _sheet(client, judges[0], "/evaluations/export/")
    assert [r[header.index("获奖")] for r in rows[2:]] == ["是", "是"]
    assert [r[header.index("名次")] for r in rows[2:]] == [1, 2]


def test_the_export_follows_the_year_the_competition_and_the_scope(tree, personas, client):
    _scored(tree)
    other = make_competition(
        tree.street_a, entries=[(tree.community_a, "另一项")], name="宣讲比赛", open_scoring=False
    )
    make_competition(
        tree.street_b, entries=[(tree.community_b, "邻街品牌")], name="邻街评选", open_scoring=False
    )
    every = _sheet(client, personas.street_a, "/evaluations/export/")
    assert sorted(r[0] for r in every[2:]) == ["党建品牌展演", "党建品牌展演", "宣讲比赛"]
    one = _sheet(client, personas.street_a, f"/evaluations/export/?competition={other.pk}")
    assert [r[5] for r in one[2:]] == ["另一项"]
    past = _sheet(client, personas.street_a, "/evaluations/export/?year=2000")
    assert past[2:] == []


def test_the_scores_export_query_count_does_not_grow_with_entries(tree, personas, client):
    competition, judges = _scored(tree)
    client.force_login(personas.street_a)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/evaluations/export/").status_code == 200
        return len(captured)

    few = queries()
    for index in range(5):
        entry = entry_add(
            competition=competition,
            kind="brand",
            title=f"品牌{index}",
            org=make_org(tree.street_a, f"E{index}"),
            acting_user=SYSTEM,
        )
        score_record(
            entry=entry,
            judge_user=judges[1],
            values=scores_for(competition, "10", "20", "10"),
            acting_user=judges[1],
        )
    assert queries() == few


def test_the_honour_roll_export_lists_the_published_nominees_only(tree, personas, client):
    year = timezone.localdate().year
    award = award_create(
        org=tree.district,
        kind="advanced_branch",
        name="先进党支部",
        year=year,
        quota=2,
        acting_user=SYSTEM,
    )
    for org, approve in [(tree.community_a, True), (make_org(tree.street_a, "A2"), False)]:
        nomination = nomination_create(award=award, org=org, acting_user=SYSTEM)
        nomination_review(
            nomination=nomination, approve=approve, note="名额有限", acting_user=SYSTEM
        )
    nomination_create(award=award, org=tree.community_b, acting_user=SYSTEM)
    nomination_review(nomination=award.nominations.last(), approve=True, acting_user=SYSTEM)
    put_on_notice(award)
    award_publish(award=award, acting_user=SYSTEM)
    every = _sheet(client, personas.street_a, "/evaluations/awards/export/")
    assert [r[6] for r in every[2:]] == [tree.community_a.name, "A2 组织", tree.community_b.name]
    roll = _sheet(
        client, personas.street_a, f"/evaluations/awards/export/?award={award.pk}&status=published"
    )
    assert [r[6] for r in roll[2:]] == [tree.community_a.name, tree.community_b.name]
    neighbour = _sheet(client, personas.street_b, "/evaluations/awards/export/")
    assert [r[6] for r in neighbour[2:]] == [tree.community_a.name, tree.community_b.name]
