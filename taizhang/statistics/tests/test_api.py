"""The statistics API: one router tree (``api.py`` adds the indicator router), and one
answer for an organization id that is missing and one outside the caller's scope."""

from __future__ import annotations

from unittest.mock import ANY

import pytest

from taizhang.organizations.models import Organization
from taizhang.organizations.policy import unknown_message
from taizhang.statistics import api, indicator_api
from taizhang.statistics.tests.factories import make_indicator, make_manual_indicator
from tests.support import bearer


def test_the_indicator_router_is_mounted_by_the_module_router():
    assert any(entry[1] is indicator_api.router for entry in api.router._routers)
    assert not hasattr(indicator_api, "api")


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["targets", "actuals"])
def test_missing_and_hidden_org_ids_get_the_same_422(client, tree, personas, kind):
    """street_a names the neighbour B (exists, hidden) and an id that does not exist."""
    make = make_manual_indicator if kind == "actuals" else make_indicator
    indicator = make(personas.district, tree.district)
    headers = bearer(client, personas.street_a)
    missing = Organization.objects.order_by("-pk").first().pk + 1000
    body = {"period": "2026", "target": "1", "value": "1", "cases": 1, "evidence": "x"}
    answers = []
    for org_id in (tree.street_b.pk, missing):
        response = client.post(
            f"/api/v1/statistics/indicators/{indicator.pk}/{kind}",
            {**body, "org_id": org_id},
            content_type="application/json",
            **headers,
        )
        answers.append((response.status_code, response.json()))
    assert (
        answers[0]
        == answers[1]
        == (
            422,
            {
                "error": {
                    "code": "invalid",
                    "message": ANY,
                    "fields": {"org_id": [unknown_message()]},
                }
            },
        )
    )


@pytest.mark.django_db
def test_hidden_and_missing_indicators_are_the_same_404(client, tree, personas):
    own = make_indicator(personas.street_a, tree.street_a, name="A 街道指标")
    headers = bearer(client, personas.street_b)
    for pk in (own.pk, own.pk + 1000):
        url = f"/api/v1/statistics/indicators/{pk}"
        assert client.get(f"{url}/ranking", **headers).status_code == 404
        patched = client.patch(url, {"name": "x"}, content_type="application/json", **headers)
        assert patched.status_code == 404
