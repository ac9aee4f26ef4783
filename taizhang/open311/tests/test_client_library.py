"""A real Open311 client from PyPI against the running app (pytest-django's
``live_server``): ``georeport`` 0.3.1 lists services, reads a definition, fetches a
request and searches requests, in JSON and XML.

georeport has no POST (it reads only), so the request is posted with ``requests``, the
HTTP library georeport itself uses, in the spec's form encoding. The other candidate,
``open311`` 1.1, is Python 2 code (implicit relative imports) and does not import on
Python 3.11.
"""

from __future__ import annotations

import pytest
import requests
from georeport import GeoReport

from taizhang.open311.tests.conftest import PHONE, make_channel

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def no_proxy(monkeypatch):
    """The client talks to the local server directly, whatever proxy the machine sets."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_client_lists_posts_and_fetches(
    live_server, tree, category, no_proxy, output_format
):
    channel = make_channel(tree.street_a)
    root = f"{live_server.url}/open311/v2"
    client = GeoReport(root, api_key=channel.token, output_format=output_format)

    services = client.get_service_list()
    if output_format == "xml":  # xmltodict gives one service as a dict, not a list
        services = services if isinstance(services, list) else [services]
    assert [s["service_code"] for s in services] == ["streetlight"]
    assert services[0]["service_name"] == "路灯照明"

    definition = client.get_service_definition("streetlight")
    assert definition["service_code"] == "streetlight"

    answer = requests.post(
        f"{root}/requests.{output_format}",
        data={
            "api_key": client.api_key,
            "service_code": "streetlight",
            "lat": "30.274085",
            "long": "120.155070",
            "address_string": "青岚区海韵路12号",
            "description": "路灯不亮已经三天。",
            "first_name": "晓明",
            "last_name": "欧阳",
            "phone": PHONE,
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    if output_format == "json":
        number = answer.json()[0]["service_request_id"]
    else:
        import xmltodict

        number = xmltodict.parse(answer.content)["service_requests"]["request"][
            "service_request_id"
        ]

    fetched = client.get_service_request(number)
    assert fetched["service_request_id"] == number
    assert fetched["status"] == "open"
    assert fetched["address"] == "青岚区海韵路12号"
    assert str(fetched["lat"]).startswith("30.274085")
    assert PHONE not in str(fetched) and "欧阳" not in str(fetched)

    found = client.get_service_requests(service_request_id=number)
    found = found if isinstance(found, list) else [found]
    assert [r["service_request_id"] for r in found] == [number]
    if output_format == "json":
        # (georeport cannot read an empty XML list: xmltodict makes <service_requests/>
        # None and the library subscripts it.)
        assert client.get_service_requests(status="closed") == []
