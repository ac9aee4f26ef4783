"""The demo district loads through the services, as `make run` does, and is consistent.

Every rule a service enforces (scope, duties kept apart, state) applies to the demo
loader too, so this is where a new rule that the demo breaks shows up first.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from taizhang.core.audit import audit_verify
from taizhang.statistics.rollups import check


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
    # A second run refuses to load over existing data.
    again = StringIO()
    call_command("load_demo", "--if-empty", stdout=again)
    assert "demo not loaded" in again.getvalue()
