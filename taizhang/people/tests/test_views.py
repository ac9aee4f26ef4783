"""Person pages: scoped lists, masked personal data, audited reveal."""

from __future__ import annotations

import pytest

from taizhang.core.models import AuditEvent
from taizhang.people.tests.factories import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree):
    return {
        "a": make_person(tree.grid_a, "张三", member=True),
        "b": make_person(tree.community_b, "李四", mobile="13600002222"),
    }


def test_list_is_scoped_and_masked(client, tree, personas, people):
    """street_a sees her person with a masked number, and not B's person."""
    client.force_login(personas.street_a)
    body = client.get("/people/").content.decode()
    assert "张三" in body and "李四" not in body
    assert "138****5678" in body and "13812345678" not in body


def test_detail_404_outside_scope(client, personas, people):
    """B's person is a 404 for street_a, whatever the id."""
    client.force_login(personas.street_a)
    assert client.get(f"/people/{people['b'].pk}/").status_code == 404
    assert client.get(f"/people/{people['a'].pk}/").status_code == 200


def test_reveal_needs_the_right(client, personas, people):
    """The clerk gets 403 on reveal; the personnel officer sees the number, audited."""
    client.force_login(personas.street_a)
    assert client.post(f"/people/{people['a'].pk}/reveal/").status_code == 403
    client.force_login(personas.personnel)
    detail = client.get(f"/people/{people['a'].pk}/").content.decode()
    assert "13812345678" not in detail
    response = client.post(f"/people/{people['a'].pk}/reveal/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "13812345678" in response.content.decode()
    assert AuditEvent.objects.filter(action="person.reveal", actor=personas.personnel).exists()


def test_org_filter_cannot_widen(client, tree, personas, people):
    """Filtering by B's organization is a 404, not a way in."""
    client.force_login(personas.street_a)
    assert client.get(f"/people/?org={tree.street_b.pk}").status_code == 404


def test_list_queries_are_bounded(client, tree, personas, django_assert_max_num_queries):
    """The list costs the same number of queries for 2 or 40 persons."""
    for index in range(40):
        make_person(tree.grid_a, f"居民{index}", member=index % 2 == 0)
    client.force_login(personas.street_a)
    with django_assert_max_num_queries(10):
        response = client.get("/people/")
    assert response.status_code == 200
