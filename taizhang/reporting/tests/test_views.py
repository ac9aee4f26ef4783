"""The reporting pages: what each persona sees and may do; one 404 for out of scope."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from taizhang.reporting import services
from taizhang.reporting.models import AssignmentState, ReportingTask, TaskState
from taizhang.reporting.tests.factories import (
    METRIC,
    answer_and_submit,
    assignment_of,
    fields_of,
    make_task,
    send_task,
)
from tests.support import make_org

pytestmark = pytest.mark.django_db


def test_the_builder_creates_a_draft_with_a_ledger_figure(client, tree, personas):
    """The field builder posts rows; a ledger-figure row becomes a number field naming
    its metric; the draft is then sent to the chosen streets."""
    client.force_login(personas.district)
    page = client.get(reverse("reporting:create"))
    assert page.status_code == 200 and METRIC.encode() in page.content
    # Date inputs carry ISO values, or the browser shows them empty.
    start = timezone.localdate().replace(day=1)
    assert f'name="period_start" value="{start:%Y-%m-%d}"'.encode() in page.content
    row = client.get(reverse("reporting:field_row"))
    assert b"field-" in row.content
    response = client.post(
        reverse("reporting:create"),
        {
            "issuer": tree.district.pk,
            "title": "十一月月报",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "deadline": "2026-12-05",
            "field-1-label": "",
            "field-1-kind": "ledger",
            "field-1-metric": METRIC,
            "field-1-required": "1",
            "field-7-label": "参加人次",
            "field-7-kind": "number",
            "field-7-unit": "人次",
        },
    )
    task = ReportingTask.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "reporting:detail", args=[task.pk]
    )
    fields = fields_of(task)
    assert [(f.kind, f.metric, f.required) for f in fields] == [
        ("number", METRIC, True),
        ("number", "", False),
    ]
    assert fields[0].label  # named after the metric
    response = client.post(
        reverse("reporting:detail", args=[task.pk]), {"orgs": [tree.street_a.pk, tree.street_b.pk]}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.state == TaskState.SENT and task.assignments.count() == 2


def test_fill_and_submit_page(client, tree, personas, sent):
    """A street saves a draft, then submits; the district sees it as 已报 on the board."""
    task = send_task(tree.district, [tree.street_a, tree.street_b], acting_user=personas.district)
    a = assignment_of(task, tree.street_a)
    ids = [f.pk for f in fields_of(task)]
    client.force_login(personas.street_a)
    assert client.get(reverse("reporting:fill", args=[a.pk])).status_code == 200
    client.post(reverse("reporting:fill", args=[a.pk]), {f"f{ids[0]}": "2", "action": "save"})
    a.refresh_from_db()
    assert a.state == AssignmentState.PENDING and a.answers.count() == 4
    response = client.post(
        reverse("reporting:fill", args=[a.pk]),
        {f"f{ids[0]}": "2", f"f{ids[1]}": "", "action": "submit"},
    )
    assert response.status_code == 200 and "参加人次".encode() in response.content
    client.post(
        reverse("reporting:fill", args=[a.pk]),
        {f"f{ids[0]}": "2", f"f{ids[1]}": "20", "action": "submit"},
    )
    a.refresh_from_db()
    assert a.state == AssignmentState.SUBMITTED
    client.force_login(personas.district)
    board = client.get(reverse("reporting:board", args=[task.pk]))
    assert board.context["board"].counts["submitted"] == 1
    assert board.context["board"].counts["pending"] == 1


def test_the_neighbour_sees_nothing_of_street_a(client, tree, personas, sent):
    """Street B gets 404 for A's fill and review pages and for the district's board;
    it cannot post answers into A's assignment."""
    task = send_task(tree.district, [tree.street_a, tree.street_b], acting_user=personas.district)
    answer_and_submit(task, tree.street_a, "1", "2", acting_user=personas.street_a)
    a = assignment_of(task, tree.street_a)
    client.force_login(personas.street_b)
    for name in ("fill", "review", "send_back"):
        assert client.get(reverse(f"reporting:{name}", args=[a.pk])).status_code == 404
    assert client.get(reverse("reporting:board", args=[task.pk])).status_code == 404
    assert client.post(reverse("reporting:accept", args=[a.pk])).status_code == 404
    assert client.get(reverse("reporting:export_board") + f"?task={task.pk}").status_code == 404
    listing = client.get(reverse("reporting:list"))
    assert [x.org.code for x in listing.context["to_fill"]] == ["B"]
    a.refresh_from_db()
    assert a.state == AssignmentState.SUBMITTED


def test_urge_and_review_from_the_board(client, tree, personas, sent):
    """一键催报 once a day from the board; the review page accepts or sends back."""
    task = send_task(tree.district, [tree.street_a, tree.street_b], acting_user=personas.district)
    client.force_login(personas.district)
    client.post(reverse("reporting:urge", args=[task.pk]))
    assert [c["rule"] for c in sent].count("reporting.urge") == 2
    response = client.post(reverse("reporting:urge", args=[task.pk]), follow=True)
    assert "催报过" in response.content.decode()
    answer_and_submit(task, tree.street_a, "1", "2", acting_user=personas.street_a)
    a = assignment_of(task, tree.street_a)
    review = client.get(reverse("reporting:review", args=[a.pk]))
    assert review.context["can_review"] is True
    response = client.post(reverse("reporting:send_back", args=[a.pk]), {"reason": ""})
    assert response.status_code == 200
    client.post(reverse("reporting:send_back", args=[a.pk]), {"reason": "数据有误"})
    a.refresh_from_db()
    assert a.state == AssignmentState.SENT_BACK and a.review_reason == "数据有误"


def test_board_and_list_queries(client, tree, personas, sent, django_assert_max_num_queries):
    """The board page and the list page cost the same for 2 units as for 8."""
    client.force_login(personas.district)
    task = send_task(tree.district, [tree.street_a, tree.street_b], acting_user=personas.district)
    client.get(reverse("reporting:board", args=[task.pk]))
    with django_assert_max_num_queries(14) as small:
        client.get(reverse("reporting:board", args=[task.pk]))
    more = [make_org(tree.district, f"S{i}") for i in range(6)]
    big = send_task(
        tree.district, [tree.street_a, tree.street_b, *more], acting_user=personas.district
    )
    for org in more[:3]:
        answer_and_submit(big, org, "1", "2")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("reporting:board", args=[big.pk]))
    with django_assert_max_num_queries(14) as listing:
        client.get(reverse("reporting:list"))
    make_task(tree.district, acting_user=personas.district)
    send_task(tree.district, more, acting_user=personas.district)
    with django_assert_max_num_queries(len(listing.captured_queries)):
        client.get(reverse("reporting:list"))


def test_exports(client, tree, personas, sent):
    """The board and the answers download as Excel, with one row per unit."""
    task = send_task(tree.district, [tree.street_a, tree.street_b], acting_user=personas.district)
    answer_and_submit(task, tree.street_a, "3", "30", acting_user=personas.street_a)
    client.force_login(personas.district)
    for name in ("export_board", "export_answers"):
        response = client.get(reverse(f"reporting:{name}") + f"?task={task.pk}")
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.content)).active
        text = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
        units = [row for row in text if any(str(c).startswith(("A 组织", "B 组织")) for c in row)]
        assert len(units) == 2, text


def test_exports_mark_late_units_in_the_page_language(client, tree, personas, sent):
    """A unit not reported after the deadline is 未填报（逾期） in both files, and its
    saved draft is not in the answers: it is the unit's own until it submits."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    task = send_task(
        tree.district, [tree.street_a], deadline=yesterday, acting_user=personas.district
    )
    services.answer_save(
        assignment=assignment_of(task, tree.street_a),
        values={f.pk: "987" for f in fields_of(task)[:2]},
        acting_user=personas.street_a,
    )
    client.force_login(personas.district)
    for name in ("export_board", "export_answers"):
        response = client.get(
            reverse(f"reporting:{name}") + f"?task={task.pk}", HTTP_ACCEPT_LANGUAGE="zh-CN"
        )
        sheet = load_workbook(io.BytesIO(response.content)).active
        cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c]
        assert "未填报（逾期）" in cells, cells
        assert 987 not in cells and "987" not in cells


def test_relay_page(client, tree, personas, sent):
    """Street A relays the district task to its community from its fill page."""
    task = send_task(tree.district, [tree.street_a], acting_user=personas.district)
    a = assignment_of(task, tree.street_a)
    client.force_login(personas.street_a)
    assert client.get(reverse("reporting:fill", args=[a.pk])).context["can_relay"] is True
    response = client.post(
        reverse("reporting:relay", args=[a.pk]),
        {"orgs": [tree.community_a.pk], "deadline": task.deadline.isoformat()},
    )
    child = ReportingTask.objects.get(parent_assignment=a)
    assert response.url == reverse("reporting:board", args=[child.pk])
    assert child.assignments.get().org == tree.community_a
    # Every unit below has it now: no second relay is offered, nor a unit to tick.
    assert client.get(reverse("reporting:fill", args=[a.pk])).context["can_relay"] is False
    page = client.get(reverse("reporting:relay", args=[a.pk]))
    assert list(page.context["form"].fields["orgs"].queryset) == []
