"""The scope policies of report intakes and their drafts.

An intake is seen with ``extraction.view`` on the organization it is booked on, and its
drafts are confirmed or dropped with ``extraction.manage`` there; a draft is seen through
its intake. Confirming a draft also needs the owning module's own right where the record
is written (its service checks it: an activity booked on a unit outside the viewer's
``activities.manage`` is refused).
"""

from __future__ import annotations

from taizhang.extraction.models import Draft, ReportIntake
from taizhang.organizations.policy import ScopePolicy

VIEW = "extraction.view"
MANAGE = "extraction.manage"

INTAKE: ScopePolicy[ReportIntake] = ScopePolicy(
    name="extraction.report_intake",
    model=ReportIntake,
    view=VIEW,
    manage=MANAGE,
    org_fields=("org",),
)
DRAFT: ScopePolicy[Draft] = ScopePolicy(
    name="extraction.draft",
    model=Draft,
    view=VIEW,
    manage=MANAGE,
    org_fields=("intake__org",),
)
POLICIES = (INTAKE, DRAFT)
POLICY = INTAKE
