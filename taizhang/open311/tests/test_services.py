"""GET services and service definitions: active demand categories, JSON and XML."""

from __future__ import annotations

import pytest

from taizhang.core.actors import SYSTEM
from taizhang.demands.services import demand_category_deactivate
from taizhang.demands.tests.factories import make_category
from taizhang.open311.tests.conftest import BASE, as_json, as_xml

pytestmark = pytest.mark.django_db

SERVICE_KEYS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}


def test_services_json_lists_active_categories_in_the_spec_shape(client, tree, category):
    """Each active category is a realtime service without attributes; inactive ones
    are not offered."""
    old = make_category(tree.district, code="old", name="旧类别")
    demand_category_deactivate(category=old, acting_user=SYSTEM)
    rows = as_json(client.get(f"{BASE}/services.json"))
    assert [r["service_code"] for r in rows] == ["streetlight"]
    (row,) = rows
    assert set(row) == SERVICE_KEYS
    assert row["service_name"] == "路灯照明"
    assert row["metadata"] is False and row["type"] == "realtime"
    assert row["group"] == "群众诉求"
    assert "5个工作日" in row["description"]


def test_services_xml(client, category):
    """<services><service><service_code>… as in the spec's example."""
    root = as_xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    service = root.find("service")
    assert service is not None
    assert {child.tag for child in service} == SERVICE_KEYS
    assert service.findtext("service_code") == "streetlight"
    assert service.findtext("metadata") == "false"


def test_service_definition_json_and_xml(client, category):
    """A definition names its code and an empty attribute list (valid per the spec)."""
    assert as_json(client.get(f"{BASE}/services/streetlight.json")) == {
        "service_code": "streetlight",
        "attributes": [],
    }
    root = as_xml(client.get(f"{BASE}/services/streetlight.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "streetlight"
    attributes = root.find("attributes")
    assert attributes is not None and list(attributes) == []


def test_service_definition_by_id_too(client, category):
    """A client that keeps numbers may use the category's id."""
    response = client.get(f"{BASE}/services/{category.pk}.json")
    assert response.json()["service_code"] == "streetlight"


def test_unknown_service_is_404_in_the_error_format(client, category):
    response = client.get(f"{BASE}/services/nothing.json")
    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": "service_code nothing not found"}]
    response = client.get(f"{BASE}/services/nothing.xml")
    assert response.status_code == 404
    root = as_xml(response)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "404"
    assert root.findtext("error/description") == "service_code nothing not found"


def test_services_answer_only_get(client, category):
    response = client.delete(f"{BASE}/services.json")
    assert response.status_code == 405
    assert response.json()[0]["code"] == 405


@pytest.mark.parametrize(
    ("path", "kind"),
    [("nothing.json", "json"), ("services.csv", "json"), ("requests/SQ1/x.xml", "xml")],
)
def test_an_unknown_route_answers_the_error_format(client, path, kind):
    response = client.get(f"{BASE}/{path}")
    assert response.status_code == 404
    if kind == "json":
        assert as_json(response) == [{"code": 404, "description": "no such resource"}]
    else:
        assert as_xml(response).findtext("error/code") == "404"
