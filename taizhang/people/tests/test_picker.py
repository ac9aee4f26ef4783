"""The searchable person picker (issue 18): scoped, paged suggestions in a bounded number
of queries, and a field that takes a chosen id or a typed name and shows namesakes to
choose from."""

from __future__ import annotations

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from taizhang.people.models import PositionTitle
from taizhang.people.tests.factories import make_person
from taizhang.people.widgets import PAGE, PersonMultiPickField, PersonPickField, bind_viewer
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/people/pick/"


def _pick(client, q, source="problems.responsible"):
    return client.get(URL, {"source": source, "q": q})


@pytest.fixture
def clerk(client, tree, personas):
    client.login(username="street_a", password=PASSWORD)
    return client


def test_suggestions_are_the_viewers_candidates_only(clerk, tree):
    make_person(tree.community_a, "周建国", title=PositionTitle.SECRETARY)
    make_person(tree.community_b, "周建华", title=PositionTitle.SECRETARY)  # the neighbour's
    make_person(tree.community_a, "周无职")  # holds no position: not a responsible person
    page = _pick(clerk, "周建").content.decode()
    assert "周建国" in page
    assert "周建华" not in page and "周无职" not in page
    assert "data-pick" in page and tree.community_a.short_name in page


def test_exact_names_come_first_and_pages_are_capped(clerk, tree):
    for i in range(PAGE + 5):
        make_person(tree.community_a, f"王{i:02d}号", title=PositionTitle.GRID_WORKER)
    make_person(tree.community_a, "王", title=PositionTitle.SECRETARY)
    response = _pick(clerk, "王")
    found = response.context["found"]
    assert len(found) == PAGE and response.context["more"]
    assert found[0].name == "王"
    assert 'class="muted org-pick-none"' in response.content.decode()


def test_the_query_count_does_not_grow_with_matches(clerk, tree):
    for i in range(3):
        make_person(tree.community_a, f"李{i}", title=PositionTitle.GRID_WORKER)
    _pick(clerk, "李")
    with CaptureQueriesContext(connection) as few:
        _pick(clerk, "李")
    for i in range(3, 30):
        make_person(tree.community_a, f"李{i}", title=PositionTitle.GRID_WORKER)
    with CaptureQueriesContext(connection) as many:
        _pick(clerk, "李")
    assert len(many) == len(few)


def test_unknown_sources_and_viewers_without_the_function_are_refused(client, tree, personas):
    client.login(username="street_a", password=PASSWORD)
    assert _pick(client, "周", source="no.such").status_code == 403
    client.logout()
    client.login(username="auditor", password=PASSWORD)
    assert _pick(client, "周").status_code == 403


class _Form(forms.Form):
    responsible = PersonPickField(source="problems.responsible", required=False)

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        bind_viewer(self, viewer)


def test_the_field_takes_an_id_or_a_typed_name(tree, personas):
    mine = make_person(tree.community_a, "赵明", title=PositionTitle.SECRETARY)
    theirs = make_person(tree.community_b, "钱亮", title=PositionTitle.SECRETARY)
    viewer = personas.street_a
    chosen = _Form({"responsible": "赵明", "responsible_id": str(mine.pk)}, viewer=viewer)
    assert chosen.is_valid() and chosen.cleaned_data["responsible"] == mine
    typed = _Form({"responsible": "赵明"}, viewer=viewer)
    assert typed.is_valid() and typed.cleaned_data["responsible"] == mine
    # The neighbour's person, by id or by name, reads like nobody.
    unknown = PersonPickField.default_error_messages["unknown"]
    for data in (
        {"responsible": "钱亮", "responsible_id": str(theirs.pk)},
        {"responsible": "钱亮"},
    ):
        form = _Form(data, viewer=viewer)
        assert not form.is_valid()
        assert form.errors["responsible"] == [str(unknown)]
    assert _Form({"responsible": ""}, viewer=viewer).is_valid()


def test_namesakes_are_listed_to_choose_from(tree, personas):
    make_person(tree.community_a, "孙红", title=PositionTitle.SECRETARY)
    make_person(tree.street_a, "孙红", title=PositionTitle.DIRECTOR)
    with translation.override("zh-hans"):
        form = _Form({"responsible": "孙红"}, viewer=personas.street_a)
        assert not form.is_valid()
        (message,) = form.errors["responsible"]
    assert f"孙红（{tree.community_a.short_name}）" in message
    assert f"孙红（{tree.street_a.short_name}）" in message


def test_a_problem_form_shows_the_picker(clerk):
    page = clerk.get("/problems/new/").content.decode()
    assert 'name="responsible_id"' in page and "source=problems.responsible" in page
    assert 'name="linked_leader_id"' in page


class _TeamForm(forms.Form):
    members = PersonMultiPickField(source="problems.responsible", required=False)

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        bind_viewer(self, viewer)


def _members(ids=(), text=""):
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    data.setlist("members", [str(i) for i in ids])
    if text:
        data["members_text"] = text
    return data


def test_several_persons_by_ticks_and_typed_names(tree, personas):
    first = make_person(tree.community_a, "冯一", title=PositionTitle.SECRETARY)
    second = make_person(tree.community_a, "冯二", title=PositionTitle.GRID_WORKER)
    theirs = make_person(tree.community_b, "冯三", title=PositionTitle.SECRETARY)
    viewer = personas.street_a
    form = _TeamForm(_members([second.pk], "冯一、冯二"), viewer=viewer)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["members"] == [second, first]
    # The neighbour's person by id is refused and not shown back; by name, unknown.
    refused = _TeamForm(_members([first.pk, theirs.pk]), viewer=viewer)
    assert not refused.is_valid()
    html = str(refused["members"])
    assert "冯三" not in html and f'value="{first.pk}" checked' in html
    with translation.override("zh-hans"):
        typed = _TeamForm(_members(text="冯三"), viewer=viewer)
        assert not typed.is_valid()
        assert "冯三" in typed.errors["members"][0]


def test_namesakes_in_a_multiple_picker_are_written_with_their_unit(tree, personas):
    here = make_person(tree.community_a, "褚芳", title=PositionTitle.SECRETARY)
    make_person(tree.street_a, "褚芳", title=PositionTitle.DIRECTOR)
    viewer = personas.street_a
    with translation.override("zh-hans"):
        form = _TeamForm(_members(text="褚芳"), viewer=viewer)
        assert not form.is_valid()
        assert f"褚芳（{tree.community_a.short_name}）" in form.errors["members"][0]
    form = _TeamForm(_members(text=f"褚芳（{tree.community_a.short_name}）"), viewer=viewer)
    assert form.is_valid() and form.cleaned_data["members"] == [here]


def test_a_competition_team_and_an_ambassador_use_pickers(client, tree, personas):
    from taizhang.investment.forms import TeamForm
    from taizhang.pairing.forms import AmbassadorForm

    team = str(TeamForm(viewer=personas.district))
    assert 'data-multi="members"' in team and "source=investment.responsible" in team
    assert '<select name="members"' not in team and '<select name="leader"' not in team
    ambassador = str(AmbassadorForm(viewer=personas.district, prefix="ambassador"))
    assert 'name="ambassador-person_id"' in ambassador and "source=pairing.ambassador" in ambassador
