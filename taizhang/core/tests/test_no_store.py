"""What a signed-in person sees is not kept by browsers or proxies, and reading the
audit trail is itself recorded (issue 19)."""

from __future__ import annotations

import pytest

from taizhang.core.models import AuditEvent
from tests.support import PASSWORD, bearer

pytestmark = pytest.mark.django_db


def test_signed_in_pages_and_api_answers_are_not_stored(client, tree, personas):
    client.login(username="district", password=PASSWORD)
    for path in ("/", "/people/", "/problems/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Cache-Control"] == "no-store, private", path
    client.logout()
    api = client.get("/api/v1/me", **bearer(client, personas.street_a))
    assert api.status_code == 200 and api["Cache-Control"] == "no-store, private"


def test_the_login_page_for_anonymous_visitors_is_left_alone(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_reading_the_audit_trail_is_audited(client, tree, personas):
    client.login(username="auditor", password=PASSWORD)
    client.get("/audit/?action=grant")
    client.get("/audit/?review=1")
    reads = list(AuditEvent.objects.filter(action="audit.read").order_by("pk"))
    assert [e.actor for e in reads] == [personas.auditor, personas.auditor]
    assert reads[0].changes["action"] == [None, "grant"]
    assert reads[1].changes["review"] == [None, True]


def test_refusals_are_audited(client, tree, personas):
    """A refused page and a refused API operation each leave a denied event naming the
    person and the route (issue 19)."""
    client.login(username="street_a", password=PASSWORD)
    assert client.get("/audit/").status_code == 403
    client.logout()
    response = client.get("/api/v1/problems", **bearer(client, personas.nobody))
    assert response.status_code == 403
    denied = list(AuditEvent.objects.filter(action="access.denied").order_by("pk"))
    assert [(e.actor, e.outcome, e.object_repr) for e in denied] == [
        (personas.street_a, "denied", "GET /audit/"),
        (personas.nobody, "denied", "GET /api/v1/problems"),
    ]
