"""update_with_audit: one call sets, validates, saves and audits an update."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.core.services import update_with_audit
from tests.support import make_org

pytestmark = pytest.mark.django_db


def test_changes_are_saved_and_audited_with_their_diff() -> None:
    org = make_org(None, "D")
    changed = update_with_audit(
        org,
        changes={"short_name": "新简称"},
        editable={"short_name", "name"},
        audited=["name", "short_name"],
        action="test.update",
        acting_user=SYSTEM,
    )
    assert changed == {"short_name": ["D", "新简称"]}
    org.refresh_from_db()
    assert org.short_name == "新简称"
    event = AuditEvent.objects.latest("pk")
    assert event.action == "test.update" and event.changes == {"short_name": ["D", "新简称"]}


def test_a_field_not_editable_here_is_refused() -> None:
    org = make_org(None, "D")
    with pytest.raises(TypeError):
        update_with_audit(
            org,
            changes={"path": "x"},
            editable={"name"},
            audited=["name"],
            action="test.update",
            acting_user=SYSTEM,
        )


def test_invalid_values_are_refused_before_saving() -> None:
    org = make_org(None, "D")
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        update_with_audit(
            org,
            changes={"name": ""},
            editable={"name"},
            audited=["name"],
            action="test.update",
            acting_user=SYSTEM,
        )
    org.refresh_from_db()
    assert org.name == "D 组织" and AuditEvent.objects.count() == events


def test_a_missing_actor_is_refused() -> None:
    org = make_org(None, "D")
    with pytest.raises(TypeError):
        update_with_audit(
            org,
            changes={"short_name": "x"},
            editable={"short_name"},
            audited=["short_name"],
            action="test.update",
            acting_user=None,  # type: ignore[arg-type]
        )
    org.refresh_from_db()
    assert org.short_name == "D"
