"""Reads of the project ledger follow the viewer's data scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from taizhang.core.actors import SYSTEM
from taizhang.projects.models import Category, Stage
from taizhang.projects.selectors import (
    get_project_for_viewer,
    linked_projects,
    project_list,
    project_timeline,
    project_totals,
    stage_counts,
)
from taizhang.projects.services import progress_report_create, project_schedule_set
from taizhang.projects.tests.factories import make_leader_user, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(tree):
    return {
        "district": make_project(tree.district, "区级项目", total_investment=5_000_000_000),
        "a": make_project(tree.street_a, "临溪项目"),
        "a1": make_project(tree.community_a, "社区项目", category=Category.LIVELIHOOD),
        "b": make_project(tree.street_b, "望澜项目"),
    }


def _names(qs):
    return sorted(p.name for p in qs)


def test_district_sees_every_project(personas, ledger):
    """The district clerk sees the whole district's ledger."""
    assert _names(project_list(viewer=personas.district)) == sorted(p.name for p in ledger.values())


def test_street_a_sees_her_subdistrict_only(personas, ledger):
    """Subdistrict A's clerk sees A and its communities, not B or the district."""
    assert _names(project_list(viewer=personas.street_a)) == ["临溪项目", "社区项目"]


def test_street_b_gets_404_on_a_and_no_rows_or_counts(personas, ledger):
    """B's clerk: A's project is a 404, and A's rows are absent from lists and totals."""
    with pytest.raises(Http404):
        get_project_for_viewer(personas.street_b, ledger["a"].pk)
    with pytest.raises(Http404):
        get_project_for_viewer(personas.street_b, 999_999)
    qs = project_list(viewer=personas.street_b)
    assert _names(qs) == ["望澜项目"]
    totals = project_totals(qs)
    assert totals["count"] == 1
    assert totals["total_investment"] == ledger["b"].total_investment
    assert sum(n for _stage, n in stage_counts(qs)) == 1


def test_nobody_sees_nothing(personas, ledger):
    """Without a grant the ledger is empty."""
    assert project_list(viewer=personas.nobody).count() == 0


def test_filters_only_narrow(personas, ledger, tree):
    """Filtering by org, category or stage never shows more than the scope."""
    qs = project_list(viewer=personas.street_a, org=tree.district)
    assert _names(qs) == ["临溪项目", "社区项目"]
    assert _names(project_list(viewer=personas.district, category=Category.LIVELIHOOD)) == [
        "社区项目"
    ]
    assert project_list(viewer=personas.district, stage=Stage.STARTED).count() == 0


def test_overdue_projects(personas, ledger):
    """A project whose next stage's planned date has passed unreached is overdue."""
    today = timezone.localdate()
    project_schedule_set(
        project=ledger["a"],
        planned={Stage.STARTED: today - dt.timedelta(days=5)},
        acting_user=SYSTEM,
    )
    overdue = project_list(viewer=personas.district, overdue=True)
    assert _names(overdue) == ["临溪项目"]
    assert project_totals(project_list(viewer=personas.district))["overdue"] == 1


def test_linked_projects_are_the_viewers_own(tree, ledger):
    """我挂钩的项目 lists the projects whose linked leader is the viewer's person."""
    leader = make_leader_user(tree)
    make_project(tree.street_b, "挂钩项目", linked_leader=leader.person)
    assert _names(linked_projects(viewer=leader)) == ["挂钩项目"]


def test_timeline_merges_reports_and_moves(personas, ledger):
    """The timeline holds progress reports and stage moves, newest first."""
    project = ledger["a"]
    progress_report_create(
        project=project,
        reported_on=timezone.localdate(),
        text="完成可研",
        to_stage=Stage.PRELIMINARY,
        acting_user=SYSTEM,
    )
    entries = project_timeline(project)
    assert [e.kind for e in entries] == ["report", "stage"]


def test_list_query_count_does_not_grow(personas, tree, django_assert_max_num_queries):
    """Listing and totalling 20 projects costs a fixed number of queries."""
    for i in range(20):
        make_project(tree.street_a, f"项目{i}")
    with django_assert_max_num_queries(3):
        rows = list(project_list(viewer=personas.district))
        for row in rows:
            _ = (
                row.org.name,
                row.lead_unit.name,
                row.linked_leader,
                row.responsible,
                row.is_overdue,
            )


def test_form_choices_come_from_the_policies(tree, personas):
    """A's clerk is offered A's units as owners, persons the person rule shows her as
    responsible, every leader candidate as linked leader, and any unit as lead unit."""
    from taizhang.projects.forms import ProjectForm
    from taizhang.projects.tests.factories import make_person

    own = make_person(tree.community_a, "临溪负责人")
    hidden = make_person(tree.community_b, "望澜负责人")
    leader = make_leader_user(tree).person
    form = ProjectForm(viewer=personas.street_a)
    owners = set(form.fields["org"].queryset)
    assert tree.street_a in owners and tree.community_a in owners
    assert tree.street_b not in owners and tree.district not in owners
    responsible = set(form.fields["responsible"].queryset)
    assert own in responsible and hidden not in responsible
    assert leader in set(form.fields["linked_leader"].queryset)
    assert tree.street_b in set(form.fields["lead_unit"].queryset)
    # The district clerk sees both streets' persons.
    district = set(ProjectForm(viewer=personas.district).fields["responsible"].queryset)
    assert {own, hidden} <= district
