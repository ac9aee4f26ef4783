"""Pages: scoped lists with bounded queries, 404 out of scope, the lifecycle, the export."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from taizhang.core.registry import METRICS
from taizhang.problems.models import Problem, ProblemState
from taizhang.problems.tests.factories import link_person, make_pending, make_problem, png
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def test_list_is_scoped(client, tree, personas):
    """Subdistrict B's clerk does not see A's problems in the list."""
    make_problem(tree.community_a, title="A的问题")
    make_problem(tree.community_b, title="B的问题")
    body = login(client, personas.street_b).get(reverse("problems:list")).content.decode()
    assert "B的问题" in body and "A的问题" not in body


def test_list_query_count_does_not_grow_with_rows(
    client, tree, personas, django_assert_max_num_queries
):
    """The list page runs a fixed number of queries, however many problems it shows."""
    for i in range(25):
        make_problem(tree.community_a, title=f"问题{i}")
    login(client, personas.district)
    # The top bar's to-do count is counted once and cached (measured by the workbench).
    client.get(reverse("problems:list"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("problems:list"))
    assert response.status_code == 200
    assert response.content.decode().count("问题2") >= 6


def test_detail_out_of_scope_is_404(client, tree, personas):
    """B's clerk gets the same 404 for A's problem as for a missing one."""
    problem = make_problem(tree.community_a)
    login(client, personas.street_b)
    assert client.get(reverse("problems:detail", args=[problem.pk])).status_code == 404
    assert client.get(reverse("problems:detail", args=[999999])).status_code == 404


def test_nobody_is_refused(client, tree, personas):
    """A user without problems.view gets 403 on the list."""
    assert login(client, personas.nobody).get(reverse("problems:list")).status_code == 403


def test_create_form_puts_problem_on_ledger_with_origin(client, tree, personas):
    """The form, prefilled with an origin, creates a problem linked to it."""
    from taizhang.activities.tests.factories import make_activity

    visit = make_activity(tree.grid_a)
    login(client, personas.street_a)
    url = reverse("problems:create") + f"?origin_type=activities.activity&origin_id={visit.pk}"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "title": "网格内积水点",
            "kind": "1",
            "source": "survey",
            "category": "infrastructure",
            "org": tree.community_a.pk,
            "lead_unit": tree.community_a.pk,
            "deadline": "2099-01-01",
            "origin_type": "activities.activity",
            "origin_id": visit.pk,
        },
    )
    problem = Problem.objects.get(title="网格内积水点")
    assert response.status_code == 302
    assert (problem.origin_type, problem.origin_id) == ("activities.activity", visit.pk)


def test_create_form_refuses_org_outside_scope(client, tree, personas):
    """An organization outside the clerk's scope is not a valid choice."""
    login(client, personas.street_a)
    response = client.post(
        reverse("problems:create"),
        {
            "title": "x",
            "kind": "1",
            "source": "survey",
            "category": "other",
            "org": tree.community_b.pk,
            "lead_unit": tree.community_b.pk,
            "deadline": "2099-01-01",
        },
    )
    assert response.status_code == 200
    assert not Problem.objects.exists()


def test_lifecycle_through_the_pages(client, tree, personas):
    """Start, submit with a file, and sign off through the detail page's forms."""
    link_person(personas.district, tree.district, "李验收")
    problem = make_problem(tree.community_a, acting_user=personas.street_a)
    login(client, personas.street_a)
    client.post(reverse("problems:start", args=[problem.pk]), {"measures": "分批改造"})
    response = client.post(
        reverse("problems:submit", args=[problem.pk]),
        {"evidence_text": "完成改造并经居民代表确认", "attachments": [png("现场.png")]},
    )
    assert response.status_code == 302
    client.logout()
    login(client, personas.district)
    page = client.get(reverse("problems:detail", args=[problem.pk])).content.decode()
    assert "现场.png" in page
    client.post(reverse("problems:verify", args=[problem.pk]), {"note": "同意销号"})
    problem.refresh_from_db()
    assert problem.state == ProblemState.CLOSED
    again = client.post(reverse("problems:verify", args=[problem.pk]), {"note": ""})
    assert again.status_code == 422  # the service refuses: already closed
    assert "已销号" in again.content.decode() or "already closed" in again.content.decode()


def test_submit_without_file_shows_error(client, tree, personas):
    """Submitting without a file re-renders the page with the error; state unchanged."""
    problem = make_problem(tree.community_a, acting_user=personas.street_a)
    login(client, personas.street_a)
    client.post(reverse("problems:start", args=[problem.pk]), {})
    response = client.post(
        reverse("problems:submit", args=[problem.pk]), {"evidence_text": "完成改造并经居民代表确认"}
    )
    assert response.status_code == 422
    problem.refresh_from_db()
    assert problem.state == ProblemState.IN_PROGRESS


def test_neighbour_cannot_act_or_download(client, tree, personas):
    """B's clerk gets 404 on A's actions and evidence files."""
    problem = make_pending(tree.community_a)
    evidence = problem.evidence.get()
    login(client, personas.street_b)
    assert client.post(reverse("problems:start", args=[problem.pk])).status_code == 404
    url = reverse("problems:evidence", args=[problem.pk, evidence.pk])
    assert client.get(url).status_code == 404
    client.logout()
    login(client, personas.street_a)
    assert client.get(url).status_code == 200


def test_mine_and_pending_pages(client, tree, personas):
    """ "我挂钩的问题" and "本单位待销号" list the right problems."""
    leader = link_person(personas.district, tree.district, "区领导")
    make_problem(tree.community_a, title="挂钩问题", linked_leader=leader)
    make_pending(tree.community_a, title="待验收的")
    login(client, personas.district)
    mine = client.get(reverse("problems:mine")).content.decode()
    assert "挂钩问题" in mine and "待验收的" not in mine
    pending = client.get(reverse("problems:pending")).content.decode()
    assert "待验收的" in pending and "挂钩问题" not in pending


def test_export_has_ledger_columns_and_only_scoped_rows(client, tree, personas):
    """The Excel export carries the 挂账销号台账 header and only the viewer's rows."""
    from urllib.parse import quote

    from taizhang.core.models import AuditEvent

    make_problem(tree.community_a, title="A的问题")
    make_problem(tree.community_b, title="B的问题")
    login(client, personas.street_a)
    with translation.override("zh-hans"):
        response = client.get(reverse("problems:export"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    assert str(sheet["A1"].value).startswith("问题清单 · ")
    header = [c.value for c in sheet[2]]
    assert header[:3] == ["序号", "台账编号", "问题（事项）"]
    assert "整改时限" in header and "销号日期" in header
    titles = [row[2] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert titles == ["A的问题"]
    today = timezone.localdate()
    name = quote(f"问题清单_{tree.street_a.short_name}_{today:%Y-%m-%d}.xlsx")
    assert f"filename*=UTF-8''{name}" in response["Content-Disposition"]
    event = AuditEvent.objects.filter(action="problems.export").latest("pk")
    assert event.changes["rows"] == 1


def test_metrics_are_registered_with_real_fields():
    """Each metric names fields that exist on its rows."""
    for name in ("problems.raised", "problems.closed", "problems.overdue"):
        metric = METRICS[name]
        model = metric.queryset().model
        model._meta.get_field(metric.org_field)
        model._meta.get_field(metric.date_field)


def test_edit_changes_details_and_is_scoped(client, tree, personas):
    """The lead unit's clerk edits the deadline (audited diff); the neighbour gets 404."""
    from taizhang.core.models import AuditEvent

    problem = make_problem(tree.community_a, acting_user=personas.street_a, title="原标题")
    url = reverse("problems:edit", args=[problem.pk])
    assert login(client, personas.street_b).get(url).status_code == 404
    client.logout()
    login(client, personas.street_a)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "title": "新标题",
            "kind": problem.kind_id,
            "category": problem.category,
            "lead_unit": tree.community_a.pk,
            "deadline": "2099-06-30",
        },
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.title == "新标题" and str(problem.deadline) == "2099-06-30"
    event = AuditEvent.objects.get(action="problem.update")
    assert event.changes["title"] == ["原标题", "新标题"]


def test_project_slots_render_through_the_template_tag(rf, tree, personas):
    """Both project panels render for a stand-in record, scoped to the viewer."""
    from django.template import Context, Template

    stand_in = tree.grid_a
    make_problem(tree.community_a, title="阻点一", origin=stand_in)
    make_problem(tree.community_b, title="B的阻点", origin=tree.street_b)
    request = rf.get("/")
    request.user = personas.street_a
    html = Template(
        '{% load taizhang %}{% slot "projects.project_detail" obj %}'
        '{% slot "projects.linked_projects" objs %}'
    ).render(Context({"request": request, "obj": stand_in, "objs": [stand_in, tree.street_b]}))
    assert html.count("阻点一") == 2
    assert "B的阻点" not in html
    assert "origin_type=organizations.organization" in html


def test_export_survives_a_control_character_and_keeps_formulas_as_text(client, tree, personas):
    """A control character in a title no longer answers 500; =… stays text."""
    make_problem(tree.community_a, title="坏\x01字符")
    make_problem(tree.community_a, title='=HYPERLINK("http://x")')
    login(client, personas.street_a)
    response = client.get(reverse("problems:export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    titles = {row[2].value: row[2] for row in sheet.iter_rows(min_row=3)}
    assert "坏字符" in titles
    assert titles['=HYPERLINK("http://x")'].data_type == "s"


def test_solved_on_the_spot_is_kept_from_the_form_shown_and_audited(client, tree, personas):
    """现场解决 (issue 15): ticked on the form, kept, shown on the page and on the edit
    form, audited."""
    from taizhang.core.models import AuditEvent

    login(client, personas.street_a)
    response = client.post(
        reverse("problems:create"),
        {
            "title": "走访发现路灯不亮",
            "kind": "1",
            "source": "survey",
            "category": "infrastructure",
            "org": tree.community_a.pk,
            "lead_unit": tree.community_a.pk,
            "deadline": "2099-01-01",
            "solved_on_spot": "on",
        },
    )
    assert response.status_code == 302
    problem = Problem.objects.get(title="走访发现路灯不亮")
    assert problem.solved_on_spot
    created = AuditEvent.objects.filter(action="problem.create").latest("pk")
    assert created.changes["solved_on_spot"] == [None, True]
    page = client.get(reverse("problems:detail", args=[problem.pk])).content.decode()
    assert "现场解决" in page
    form = client.get(reverse("problems:edit", args=[problem.pk])).content.decode()
    assert 'name="solved_on_spot"' in form and "checked" in form
