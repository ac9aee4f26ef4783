"""Figures per kind (issue 15 §1): 为民办实事, 调研课题 and 书记领跑 are counted apart and
printed as parts of the problems put on the ledger and closed out, not folded into
"新挂账问题N个"; the totals keep their meaning, so stored briefings stay valid."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from taizhang.problems.models import Problem, ProblemKind, ProblemState
from taizhang.problems.tests.factories import make_problem
from taizhang.statistics import briefings, services
from taizhang.statistics.periods import Period

pytestmark = pytest.mark.django_db

MARCH = Period.month(2026, 3)


def _kind(code):
    return ProblemKind.objects.get(code=code)


@pytest.fixture
def ledger(tree):
    on = dt.date(2026, 3, 5)
    make_problem(tree.community_a, title="雨污管网混接", raised_on=on)
    make_problem(tree.community_a, title="加装电梯", raised_on=on, kind=_kind("practical_matter"))
    done = make_problem(
        tree.community_a, title="老年食堂", raised_on=on, kind=_kind("practical_matter")
    )
    make_problem(tree.grid_a, title="物业服务调研", raised_on=on, kind=_kind("survey_topic"))
    # Closed in March (the sign-off is the service's business; the figure reads the row).
    Problem.objects.filter(pk=done.pk).update(
        state=ProblemState.CLOSED, closed_on=dt.date(2026, 3, 28)
    )
    return tree


def _problems_section(personas, tree):
    with translation.override("zh-hans"):
        draft = services.briefing_generate(
            acting_user=personas.street_a, org=tree.street_a, period=MARCH
        )
        (section,) = [s for s in briefings.sections_of(draft) if s.module == "problems"]
        return draft, section, briefings.paragraph_text(section)


def test_kinds_are_printed_as_parts_of_the_totals(ledger, personas):
    draft, _section, text = _problems_section(personas, ledger)
    # 调研课题 have their own flow and figures (problems.research_*): a problem of the
    # survey_topic kind counts in the total only, so the topic is not counted twice.
    assert "新挂账问题4个（其中为民办实事项目2件）" in text
    assert "调研课题" not in text
    assert "销号问题1个（其中为民办实事项目1件）" in text
    # A kind with nothing in the period is not printed at all.
    assert "书记领跑" not in text
    stored = {line["metric"]: line for line in draft.figures}
    assert stored["problems.raised"]["trace"]["value"] == "4"  # all kinds, as before
    assert stored["problems.raised_practical_matter"]["part_of"] == "problems.raised"
    assert stored["problems.closed_practical_matter"]["trace"]["rows"] == 1


def test_a_part_whose_total_is_not_printed_stands_alone(ledger, personas):
    section = briefings.Section("problems", "问题清单")
    line = briefings.Line(
        metric="problems.raised_secretary_led",
        label="书记领跑项目",
        unit="个",
        definition="",
        sentence="书记领跑项目{value}",
        text="1个",
        trace={"value": "1", "rows": 1},
        part_of="problems.raised",
    )
    section.lines.append(line)
    with translation.override("zh-hans"):
        assert briefings.paragraph_text(section) == "书记领跑项目1个。"


def test_the_web_paragraph_links_every_part(ledger, personas):
    _draft, section, _text = _problems_section(personas, ledger)
    with translation.override("zh-hans"):
        html = str(briefings.paragraph(section, lambda line: f"/drill/{line.metric}"))
    assert '（其中为民办实事项目<a href="/drill/problems.raised_practical_matter"' in html
    assert html.count('class="fig"') == 4  # raised, 1 part, closed, 1 part


def test_projects_say_the_stock_beside_the_flow(tree, personas):
    """在库 and 在建 stand beside 新纳入: figures of what stands at the period's end."""
    from django.utils import timezone

    from taizhang.projects.models import Stage
    from taizhang.projects.tests.factories import make_project

    today = timezone.localdate()
    make_project(tree.community_a, "甲项目", stage=Stage.CONSTRUCTION, stage_since=today)
    make_project(tree.community_a, "乙项目", stage=Stage.STARTED, stage_since=today)
    make_project(tree.community_a, "丙项目")
    with translation.override("zh-hans"):
        draft = services.briefing_generate(
            acting_user=personas.street_a,
            org=tree.street_a,
            period=Period.month(today.year, today.month),
        )
        (section,) = [s for s in briefings.sections_of(draft) if s.module == "projects"]
        text = briefings.paragraph_text(section)
    assert "在库重点项目3个（其中在建2个）" in text
    assert "新纳入重点项目3个" in text
    # A month before any of them was put on the ledger has no stock.
    with translation.override("zh-hans"):
        earlier = services.briefing_generate(
            acting_user=personas.street_a, org=tree.street_a, period=MARCH, include_empty=True
        )
    stock = {line["metric"]: line["trace"]["rows"] for line in earlier.figures}
    assert stock["projects.on_ledger"] == 0 and stock["projects.under_construction"] == 0


def test_problems_solved_on_the_spot_are_a_part_of_those_closed(tree, personas):
    """现场解决: a problem raised and solved during a visit counts among those closed."""
    on = dt.date(2026, 3, 5)
    spot = make_problem(tree.community_a, title="路灯不亮", raised_on=on, solved_on_spot=True)
    other = make_problem(tree.community_a, title="楼道堆物", raised_on=on)
    Problem.objects.filter(pk__in=[spot.pk, other.pk]).update(
        state=ProblemState.CLOSED, closed_on=dt.date(2026, 3, 6)
    )
    _draft, _section, text = _problems_section(personas, tree)
    assert "销号问题2个（其中现场解决1个）" in text
