"""``/healthz``: public, 200 with a small JSON body when fit to serve, 503 naming failures."""

from __future__ import annotations

import pytest
from django.db import connection

from taizhang.core import health
from taizhang.core.actors import SYSTEM
from taizhang.core.audit import audit_record
from taizhang.core.models import AuditEvent


@pytest.fixture(autouse=True)
def _forget_migration_result(monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)


@pytest.mark.django_db
def test_healthy_instance_answers_200_without_login(client):
    """An anonymous probe gets 200 and every check ok; nothing is cached."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "audit": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_health_reads_a_populated_audit_head(client):
    """With events on the chain the audit head is read and the answer stays 200."""
    audit_record(actor=SYSTEM, action="health.probe", object_type="health", object_id="1")
    assert AuditEvent.objects.count() == 1
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_pending_migrations_answer_503_naming_them(client, monkeypatch):
    """A migration not yet applied makes the instance unfit: 503, failed == ['migrations']."""

    class Pending:
        def __init__(self, conn):
            self.loader = type("L", (), {"graph": type("G", (), {"leaf_nodes": list})()})()

        def migration_plan(self, targets):
            return [("core", "9999_later")]

    monkeypatch.setattr(health, "MigrationExecutor", Pending)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["migrations"]
    assert body["checks"]["database"] == "ok"
    assert "9999" not in response.content.decode()  # the reason goes to the log only


@pytest.mark.django_db
def test_unreadable_audit_head_answers_503(client, monkeypatch):
    """An audit head that cannot be read (table missing, permissions) is reported."""

    def broken():
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table_for_health")

    monkeypatch.setitem(health.CHECKS, "audit", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["audit"]


@pytest.mark.django_db
def test_database_down_skips_the_other_checks(client, monkeypatch):
    """Without a database the later checks are skipped, not reported as separate failures."""

    def down():
        raise OSError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", down)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "fail",
        "checks": {"database": "fail", "migrations": "skipped", "audit": "skipped"},
        "failed": ["database"],
    }


@pytest.mark.django_db
def test_health_refuses_writes(client):
    """Only GET and HEAD: a probe never changes anything."""
    assert client.post("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200
