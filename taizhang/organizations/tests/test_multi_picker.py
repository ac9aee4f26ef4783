"""The multiple organization picker (issue 18): co-units chosen among a module's own set
(``core.registry.OrgSource``) by ticked boxes or typed names, never beyond that set, and
suggestions from the same set."""

from __future__ import annotations

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from taizhang.organizations.widgets import OrganizationMultiPickField, bind_viewer
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db


class _Form(forms.Form):
    co_units = OrganizationMultiPickField(source="problems.co_units", required=False)

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        bind_viewer(self, viewer)


def _data(ids=(), text=""):
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    data.setlist("co_units", [str(i) for i in ids])
    if text:
        data["co_units_text"] = text
    return data


def test_ticked_ids_and_typed_names_give_the_units_in_order(tree, personas):
    viewer = personas.street_a
    form = _Form(
        _data([tree.street_b.pk], f"{tree.community_a.short_name}、{tree.street_b.code}"),
        viewer=viewer,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["co_units"] == [tree.street_b, tree.community_a]
    empty = _Form(_data(), viewer=viewer)
    assert empty.is_valid() and empty.cleaned_data == {"co_units": []}


def test_a_unit_outside_the_set_reads_like_an_unknown_one(tree, personas):
    """A neighbour's community is not a co-unit street A may name, by id or by name; a
    refused id is not shown back with its name."""
    viewer = personas.street_a
    unknown = str(OrganizationMultiPickField.default_error_messages["unknown"])
    for ids in ([tree.community_b.pk], [999999], ["x1"]):
        form = _Form(_data(ids), viewer=viewer)
        assert not form.is_valid()
        assert form.errors["co_units"] == [unknown]
        assert tree.community_b.short_name not in str(form["co_units"])
    with translation.override("zh-hans"):
        form = _Form(_data(text=f"{tree.community_b.short_name}，无此单位"), viewer=viewer)
        assert not form.is_valid()
        (message,) = form.errors["co_units"]
    assert f"{tree.community_b.short_name}、无此单位" in message


def test_the_form_shows_what_was_chosen_after_an_error(tree, personas):
    form = _Form(_data([tree.street_b.pk], "无此单位"), viewer=personas.street_a)
    assert not form.is_valid()
    html = str(form["co_units"])
    assert f'name="co_units" value="{tree.street_b.pk}" checked' in html
    assert tree.street_b.short_name in html
    assert 'name="co_units_text"' in html and 'value="无此单位"' in html


def test_changed_ignores_the_order(tree, personas):
    field = _Form(viewer=personas.street_a).fields["co_units"]
    both = [tree.street_a.pk, tree.street_b.pk]
    assert not field.has_changed(list(reversed(both)), (both, ""))
    assert field.has_changed([tree.street_a.pk], (both, ""))


def test_suggestions_come_from_the_source_only(client, tree, personas):
    client.login(username="street_a", password=PASSWORD)
    url = "/organizations/pick/"
    page = client.get(url, {"source": "problems.co_units", "q": "B"}).content.decode()
    assert f'data-id="{tree.street_b.pk}"' in page
    assert f'data-id="{tree.community_b.pk}"' not in page
    assert f'data-label="{tree.street_b.short_name}"' in page
    with CaptureQueriesContext(connection) as queries:
        client.get(url, {"source": "problems.co_units", "q": "A"})
    assert len(queries) <= 8
    assert client.get(url, {"source": "no.such", "q": "A"}).status_code == 403
    client.logout()
    client.login(username="auditor", password=PASSWORD)
    assert client.get(url, {"source": "problems.co_units", "q": "A"}).status_code == 403


def test_the_problem_form_offers_co_units_as_a_search(client, tree, personas):
    client.login(username="street_a", password=PASSWORD)
    page = client.get("/problems/new/").content.decode()
    assert 'data-multi="co_units"' in page and "source=problems.co_units" in page
    assert '<select name="co_units"' not in page


def test_the_tree_picker_opens_level_by_level_within_the_scope(client, tree, personas):
    """A move or a grant can be chosen from the tree: the top units first, children on
    demand; only units where the viewer holds the purpose can be chosen, and a parent
    outside the scope is a 404."""
    client.login(username="street_a", password=PASSWORD)
    url = "/organizations/pick/tree/"
    purpose = "organizations.view"
    top = client.get(url, {"purpose": purpose, "target": "id_x"})
    assert top.status_code == 200
    assert [node.pk for node in top.context["nodes"]] == [tree.street_a.pk]
    page = top.content.decode()
    assert f'data-id="{tree.street_a.pk}"' in page and f"parent={tree.street_a.pk}" in page
    kids = client.get(url, {"purpose": purpose, "target": "id_x", "parent": tree.street_a.pk})
    assert [node.pk for node in kids.context["nodes"]] == [tree.community_a.pk]
    assert client.get(url, {"purpose": purpose, "parent": tree.street_b.pk}).status_code == 404
    assert client.get(url, {"purpose": "no.such"}).status_code == 403
    with CaptureQueriesContext(connection) as queries:
        client.get(url, {"purpose": purpose, "parent": tree.street_a.pk})
    assert len(queries) <= 10


def test_move_and_grant_forms_offer_the_tree(tree, personas):
    from taizhang.accounts.forms import GrantForm
    from taizhang.organizations.forms import MoveForm

    move = str(MoveForm(viewer=personas.district))
    assert "/organizations/pick/tree/" in move and "pick-browse" in move
    grant = str(GrantForm(viewer=personas.district))
    assert "/organizations/pick/tree/" in grant
