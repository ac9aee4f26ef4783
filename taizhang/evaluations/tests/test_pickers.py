"""The person fields of entries and nominations are searchable pickers (issue 18): the
suggestions are the same candidates the forms accept, and nobody else."""

from __future__ import annotations

import pytest

from taizhang.evaluations.forms import EntryForm
from taizhang.people.models import PositionTitle
from taizhang.people.tests.factories import make_person
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db


def test_an_entrys_person_is_picked_among_position_holders_of_the_scope(client, tree, personas):
    holder = make_person(tree.community_a, "蒋文华", title=PositionTitle.SECRETARY)
    make_person(tree.community_a, "蒋文清")  # no position: not an entrant
    make_person(tree.community_b, "蒋文杰", title=PositionTitle.SECRETARY)  # not hers
    client.login(username="street_a", password=PASSWORD)
    page = client.get(
        "/people/pick/", {"source": "evaluations.entry_person", "q": "蒋文"}
    ).content.decode()
    assert "蒋文华" in page and "蒋文清" not in page and "蒋文杰" not in page
    form = EntryForm(
        {"kind": "person", "person": "蒋文华", "person_id": str(holder.pk)},
        viewer=personas.street_a,
    )
    form.is_valid()
    assert "person" not in form.errors and form.cleaned_data["person"] == holder
    refused = EntryForm({"kind": "person", "person": "蒋文杰"}, viewer=personas.street_a)
    assert not refused.is_valid() and "person" in refused.errors
