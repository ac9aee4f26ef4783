"""The demo district loads through the services, as `make run` does, and is consistent.

Every rule a service enforces (scope, duties kept apart, state) applies to the demo
loader too, so this is where a new rule that the demo breaks shows up first.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from taizhang.accounts.models import User
from taizhang.core.audit import audit_verify
from taizhang.core.audit_review import events_to_review
from taizhang.statistics.rollups import check
from taizhang.workbench.selectors import todo_groups


@pytest.mark.django_db
def test_demo_loads_and_its_figures_and_audit_trail_hold() -> None:
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "Demo district loaded." in out.getvalue()
    for login in ("district", "street_a", "street_b", "community", "gridworker", "auditor"):
        assert f"  {login}" in out.getvalue()
    assert check() == []
    verified = audit_verify()
    assert verified.ok and verified.checked > 1000
    # Each working persona's first screen says what to do today.
    for login in ("district", "street_a", "street_b", "community", "leader", "judge1", "auditor"):
        groups = todo_groups(viewer=User.objects.get(username=login))
        assert groups and all(group.count > 0 for group in groups), login
    # The auditor has read the setup; two reveals of personal data since are on her list.
    auditor = User.objects.get(username="auditor")
    assert [(e.action, e.outcome) for e in events_to_review(auditor)] == [
        ("person.reveal", "success"),
        ("person.reveal", "denied"),
    ]
    # A second run refuses to load over existing data.
    again = StringIO()
    call_command("load_demo", "--if-empty", stdout=again)
    assert "demo not loaded" in again.getvalue()
