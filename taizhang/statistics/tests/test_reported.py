"""Reported figures (填报任务) next to the records' figures: in the ranking of an
indicator, its page and export, and in a briefing's text, snapshot, check and Word file.

The figures are reported through the reporting module's own services: a district task
confirming the number of group study sessions, answered and accepted."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import translation
from docx import Document
from openpyxl import load_workbook

from taizhang.activities.tests.factories import kind, make_activity
from taizhang.core.registry import METRICS
from taizhang.reporting import services as reporting
from taizhang.reporting.tests.factories import (
    METRIC,
    answer_and_submit,
    assignment_of,
    send_task,
)
from taizhang.statistics import briefings, figures, selectors, services
from taizhang.statistics.documents import briefing_docx
from taizhang.statistics.periods import Period
from taizhang.statistics.tests.factories import make_indicator
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db

NOVEMBER = Period.month(2026, 11)


def _report(tree, personas, street_a: str, street_b: str, *, accept_b: bool = True):
    """The district asks both streets for November; each answers; the district accepts."""
    task = send_task(tree.district, [tree.street_a, tree.street_b], acting_user=personas.district)
    answer_and_submit(task, tree.street_a, street_a, "10", acting_user=personas.street_a)
    answer_and_submit(task, tree.street_b, street_b, "10", acting_user=personas.street_b)
    reporting.assignment_accept(
        assignment=assignment_of(task, tree.street_a), acting_user=personas.district
    )
    if accept_b:
        reporting.assignment_accept(
            assignment=assignment_of(task, tree.street_b), acting_user=personas.district
        )
    return task


@pytest.fixture
def studies(tree):
    """Two group studies in street A's subtree in November; none in street B."""
    study = kind("group_study")
    make_activity(tree.community_a, kind=study, held_on=dt.date(2026, 11, 3))
    make_activity(tree.street_a, kind=study, held_on=dt.date(2026, 11, 20))
    return tree


def test_reported_is_the_accepted_answer_for_exactly_the_period(tree, personas, studies):
    metric = METRICS[METRIC]
    _report(tree, personas, "3", "4", accept_b=False)
    assert figures.reported(metric, tree.street_a, NOVEMBER) == 3
    # Submitted but not accepted is not a reported figure; nor is another period.
    assert figures.reported(metric, tree.street_b, NOVEMBER) is None
    assert figures.reported(metric, tree.street_a, Period.month(2026, 10)) is None
    assert figures.reported(METRICS["activities.count"], tree.street_a, NOVEMBER) is None


def test_ranking_shows_the_reported_figure_and_the_difference(tree, personas, studies):
    indicator = make_indicator(personas.district, tree.district, metric=METRIC)
    _report(tree, personas, "3", "4")
    rows = {
        s.org.code: s
        for s in selectors.ranking(personas.district, indicator, tree.district, NOVEMBER)
    }
    assert (rows["A"].actual, rows["A"].reported, rows["A"].reported_difference) == (2, 3, 1)
    # The ranking stays on the records: B reported 4 but has no records behind it.
    assert (rows["B"].actual, rows["B"].reported, rows["B"].reported_difference) == (0, 4, 4)
    assert rows["A"].rank == 1 and rows["A"].rank < (rows["B"].rank or 99)


def test_ranking_without_reports_has_no_reported_column(client, tree, personas, studies):
    indicator = make_indicator(personas.district, tree.district, metric=METRIC)
    client.login(username="district", password=PASSWORD)
    url = f"/statistics/indicators/{indicator.pk}/?org={tree.district.pk}&period=2026-11"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "单位填报" not in page
    _report(tree, personas, "3", "2")
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "单位填报" in page and "与台账相差+1" in page and "与台账相差+2" in page


def test_indicator_export_has_the_reported_columns(client, tree, personas, studies):
    indicator = make_indicator(personas.district, tree.district, metric=METRIC)
    _report(tree, personas, "3", "4")
    client.login(username="district", password=PASSWORD)
    response = client.get(
        f"/statistics/indicators/export/?indicator={indicator.pk}&org={tree.district.pk}"
        "&period=2026-11",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(r for r in rows if "单位填报" in r)
    a = next(r for r in rows if "A" in r)
    assert a[header.index("完成值")] == 2
    assert a[header.index("单位填报")] == 3 and a[header.index("填报与实际之差")] == 1


def _group_study(briefing):
    return next(f for f in briefing.figures if f["metric"] == METRIC)


def test_briefing_prints_a_reported_figure_marked_as_reported(tree, personas, studies):
    _report(tree, personas, "3", "4")
    with translation.override("zh-hans"):
        a = services.briefing_generate(
            acting_user=personas.street_a, org=tree.street_a, period=NOVEMBER
        )
        b = services.briefing_generate(
            acting_user=personas.street_b, org=tree.street_b, period=NOVEMBER
        )
        a_text = "".join(briefings.paragraph_text(s) for s in briefings.sections_of(a))
        b_text = "".join(briefings.paragraph_text(s) for s in briefings.sections_of(b))
    # Street A: the records' figure, with what the unit reported when it differs.
    assert _group_study(a)["text"] == "2场"
    assert _group_study(a)["reported"] == {"value": "3", "text": "3场"}
    assert "其中集中学习2场（据各单位报送为3场）" in a_text
    # Street B has no records: the reported figure is printed, marked as reported.
    assert _group_study(b)["trace"]["rows"] == 0
    assert "其中集中学习4场（据各单位报送）" in b_text


def test_briefing_web_page_links_records_and_marks_reported_only(client, tree, personas, studies):
    _report(tree, personas, "2", "4")
    with translation.override("zh-hans"):
        a = services.briefing_generate(
            acting_user=personas.street_a, org=tree.street_a, period=NOVEMBER
        )
        b = services.briefing_generate(
            acting_user=personas.street_b, org=tree.street_b, period=NOVEMBER
        )
    client.login(username="street_a", password=PASSWORD)
    page = client.get(f"/statistics/briefings/{a.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    # Street A reported what the records say: a linked figure and no note.
    assert "其中集中学习" in text and "（据各单位报送" not in text.split("appendix")[0]
    client.login(username="street_b", password=PASSWORD)
    text = client.get(
        f"/statistics/briefings/{b.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert 'class="fig reported"' in text and "4场（据各单位报送）" in text
    assert "单位填报：4场" in text  # the appendix


def test_check_names_a_changed_reported_figure(tree, personas, studies):
    _report(tree, personas, "3", "4")
    briefing = services.briefing_generate(
        acting_user=personas.street_a, org=tree.street_a, period=NOVEMBER
    )
    line = next(c for c in briefings.briefing_check(briefing) if c.metric == METRIC)
    assert not line.changed
    # A second November task, accepted later, now says 5: the briefing no longer matches.
    task = send_task(tree.district, [tree.street_a], acting_user=personas.district, title="补报")
    answer_and_submit(task, tree.street_a, "5", "1", acting_user=personas.street_a)
    reporting.assignment_accept(
        assignment=assignment_of(task, tree.street_a), acting_user=personas.district
    )
    with translation.override("zh-hans"):
        line = next(c for c in briefings.briefing_check(briefing) if c.metric == METRIC)
    assert line.changed and "5场" in line.reason and "3场" in line.reason


def test_digest_covers_the_reported_figure(tree, personas, studies):
    before = services.briefing_generate(
        acting_user=personas.street_a, org=tree.street_a, period=NOVEMBER
    )
    _report(tree, personas, "3", "4")
    after = services.briefing_generate(
        acting_user=personas.street_a, org=tree.street_a, period=NOVEMBER
    )
    assert _group_study(before)["trace"]["digest"] == _group_study(after)["trace"]["digest"]
    assert before.digest != after.digest


def test_word_file_prints_the_reported_figure(tree, personas, studies):
    _report(tree, personas, "3", "4")
    with translation.override("zh-hans"):
        briefing = services.briefing_generate(
            acting_user=personas.street_b, org=tree.street_b, period=NOVEMBER
        )
        document = Document(io.BytesIO(briefing_docx(briefing)))
    body = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "其中集中学习4场（据各单位报送）" in body
    assert "单位填报：4场" in cells
    assert Decimal(_group_study(briefing)["reported"]["value"]) == 4


def test_figures_reported_without_a_ledger_metric_get_their_own_section(tree, personas):
    """参加人次 and 经费 confirm no ledger figure: the briefing prints them as the units
    reported them, in 「各单位报送情况」, not linked; the check says when they change."""
    task = send_task(tree.district, [tree.street_a], acting_user=personas.district)
    answer_and_submit(task, tree.street_a, "2", "46", "4900", acting_user=personas.street_a)
    reporting.assignment_accept(
        assignment=assignment_of(task, tree.street_a), acting_user=personas.district
    )
    with translation.override("zh-hans"):
        draft = services.briefing_generate(
            acting_user=personas.street_a, org=tree.street_a, period=NOVEMBER
        )
        sections = briefings.sections_of(draft)
        (reported,) = [s for s in sections if s.module == "reported"]
        assert reported.title == "各单位报送情况"
        text = briefings.paragraph_text(reported)
        html = str(briefings.paragraph(reported, lambda line: "/drill/"))
    # The label's unit is not printed twice (参加人次 + 46人次 → 参加46人次).
    assert text == "参加46人次，经费4900元。"
    assert "/drill/" not in html and html.count('class="fig reported"') == 2
    # Another period, or a unit that reported nothing: no such section.
    with translation.override("zh-hans"):
        other = services.briefing_generate(
            acting_user=personas.street_a, org=tree.street_a, period=Period.month(2026, 10)
        )
    assert "reported" not in {line["section"] for line in other.figures}
    assert all(not c.changed for c in briefings.briefing_check(draft))
    # A later task for the same month, accepted: its figure is the one that stands now,
    # and the check names the change.
    again = send_task(
        tree.district, [tree.street_a], acting_user=personas.district, title="11月补报"
    )
    answer_and_submit(again, tree.street_a, "2", "48", "4900", acting_user=personas.street_a)
    reporting.assignment_accept(
        assignment=assignment_of(again, tree.street_a), acting_user=personas.district
    )
    with translation.override("zh-hans"):
        changed = [c for c in briefings.briefing_check(draft) if c.changed]
    assert [(c.label, c.old_text, c.new_text) for c in changed] == [
        ("参加人次", "46人次", "48人次")
    ]


def test_the_issuing_unit_prints_what_its_units_reported_together(tree, personas):
    """The district asked both streets: its briefing prints the sum of what it accepted
    (street B's answer, not yet accepted, is not counted)."""
    task = send_task(tree.district, [tree.street_a, tree.street_b], acting_user=personas.district)
    answer_and_submit(task, tree.street_a, "2", "46", "4900", acting_user=personas.street_a)
    answer_and_submit(task, tree.street_b, "1", "30", "1000", acting_user=personas.street_b)
    reporting.assignment_accept(
        assignment=assignment_of(task, tree.street_a), acting_user=personas.district
    )
    with translation.override("zh-hans"):
        first = services.briefing_generate(
            acting_user=personas.district, org=tree.district, period=NOVEMBER
        )
        (reported,) = [s for s in briefings.sections_of(first) if s.module == "reported"]
        assert briefings.paragraph_text(reported) == "参加46人次，经费4900元。"
    reporting.assignment_accept(
        assignment=assignment_of(task, tree.street_b), acting_user=personas.district
    )
    with translation.override("zh-hans"):
        second = services.briefing_generate(
            acting_user=personas.district, org=tree.district, period=NOVEMBER
        )
        (reported,) = [s for s in briefings.sections_of(second) if s.module == "reported"]
        assert briefings.paragraph_text(reported) == "参加76人次，经费5900元。"


def test_a_reported_label_drops_only_the_unit_its_figure_repeats():
    assert briefings._without_unit("参加党员人次", "875人次") == "参加党员"
    assert briefings._without_unit("党建活动经费", "8400元") == "党建活动经费"
    assert briefings._without_unit("人次", "12人次") == "人次"  # nothing would be left
    assert briefings._without_unit("走访户数", "约300户") == "走访户数"
    assert briefings._without_unit("慰问困难群众户", "约300户") == "慰问困难群众"
