"""What the demands module registers: scope policies, functions, navigation, metrics and
to-do kinds."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from taizhang.core.registry import (
    Metric,
    TodoKind,
    grant_to_roles,
    register_audit_review,
    register_metric,
    register_nav,
    register_permission,
    register_policy,
    register_todo,
)
from taizhang.demands.models import Demand, DemandState, Satisfaction
from taizhang.demands.permissions import (
    DELEGATED_SERVICE,
    DEMAND,
    FOLLOW_UP,
    MANAGE,
    ROUTING_RULE,
)
from taizhang.demands.selectors import (
    first_demand_per_enterprise_and_year,
    overdue_q,
    todo_near_limit,
    todo_to_assign,
    todo_to_follow_up,
    todo_to_handle,
)

register_permission("demands.view", _("View residents' and enterprises' demands"))
register_permission("demands.manage", _("Record, assign and answer demands"))
register_permission(
    "demands.follow_up", _("Follow up demands with the requester and conclude them (回访办结)")
)
register_permission("demands.configure", _("Set demand categories, routing and delegated services"))
grant_to_roles("demands.view", "clerk", "secretary", "leader", "viewer")
grant_to_roles("demands.manage", "clerk", "secretary")
grant_to_roles("demands.follow_up", "clerk", "secretary")
grant_to_roles("demands.configure", "system_admin")
# A grid worker records the demands of her grid (and may take them on when they are
# hers to answer); concluding one after the follow-up call stays with the clerks.
grant_to_roles("demands.view", "grid_worker")
grant_to_roles("demands.manage", "grid_worker")

register_policy(DEMAND)
register_policy(DELEGATED_SERVICE)
register_policy(ROUTING_RULE)

register_nav(_("Demands"), "demands:list", "demands.view", order=45)
# The hub of every module's dictionaries: the system administrator alone holds this.
register_nav(_("Dictionaries"), "demands:dictionaries", "demands.configure", order=870)


# To-dos (workbench): what waits for the viewer, each kind scoped by DEMAND. A demand
# near its time limit that the viewer assigns or answers herself is on to_assign or
# to_handle (ordered by the limit, red when passed); near_limit is the receiving unit's
# list of demands it passed on to a unit it does not manage (催办), so no demand is
# counted twice.
def _todo_title(demand: Demand) -> str:
    return f"{demand.number} {demand.title}"


def _todo_title_with_handler(demand: Demand) -> str:
    handler = demand.handling_org.short_name if demand.handling_org else ""
    return f"{demand.number} {demand.title} · {handler}" if handler else _todo_title(demand)


def _todo_url(demand: Demand) -> str:
    return reverse("demands:detail", args=[demand.pk])


def _todo_due(demand: Demand) -> dt.date:
    return demand.due_on


register_todo(
    TodoKind(
        name="demands.to_assign",
        label=_("Demands to assign"),
        permission=MANAGE,
        items=lambda viewer: todo_to_assign(viewer=viewer),
        title=_todo_title,
        url=_todo_url,
        why=_(
            "Your unit received this demand and it is with no handling unit yet: assign it "
            "(the routing rules suggest one) so the time limit can be kept."
        ),
        due=_todo_due,
        order=22,
    )
)
register_todo(
    TodoKind(
        name="demands.to_handle",
        label=_("Demands to handle and reply to"),
        permission=MANAGE,
        items=lambda viewer: todo_to_handle(viewer=viewer),
        title=_todo_title,
        url=_todo_url,
        why=_(
            "The demand was assigned to your unit and the requester has no reply yet: take "
            "it on and reply by the time limit. The most urgent come first."
        ),
        due=_todo_due,
        order=23,
    )
)
register_todo(
    TodoKind(
        name="demands.to_follow_up",
        label=_("Replied demands to follow up (回访)"),
        permission=FOLLOW_UP,
        items=lambda viewer: todo_to_follow_up(viewer=viewer),
        title=_todo_title,
        url=_todo_url,
        why=_(
            "The requester was given a reply: call back, record the satisfaction and "
            "conclude the demand, or send it back to the handling unit."
        ),
        order=25,
    )
)
register_todo(
    TodoKind(
        name="demands.near_limit",
        label=_("Demands passed on, near or past their time limit"),
        permission=MANAGE,
        items=lambda viewer: todo_near_limit(viewer=viewer),
        title=_todo_title_with_handler,
        url=_todo_url,
        why=_(
            "Your unit received this demand and passed it on; the handling unit has not "
            "replied and the time limit is two working days away or past: chase it up, or "
            "reassign it."
        ),
        due=_todo_due,
        order=24,
    )
)

register_metric(
    Metric(
        name="demands.received",
        sentence=_("received {value} demands of residents and enterprises"),
        label=_("Demands received"),
        unit=_("demands"),
        queryset=lambda: Demand.objects.exclude(state=DemandState.MERGED),
        org_field="org",
        date_field="received_on",
        permission="demands.view",
        definition=_(
            "Count of demand rows (duplicates merged away are left out), dated by "
            "the day of receipt, counted at the receiving organization."
        ),
    )
)
register_metric(
    Metric(
        name="demands.closed",
        sentence=_("closed {value} demands"),
        label=_("Demands resolved"),
        unit=_("demands"),
        queryset=lambda: Demand.objects.filter(state=DemandState.CLOSED),
        org_field="org",
        date_field="closed_on",
        permission="demands.view",
        definition=_(
            "Count of demand rows concluded (办结) after a satisfied or basically "
            "satisfied follow-up, dated by the day concluded: the M of '协助解决诉求M个'."
        ),
    )
)
register_metric(
    Metric(
        name="demands.enterprises_served",
        sentence=_("served enterprises {value}"),
        label=_("Enterprises served"),
        unit=_("enterprises"),
        queryset=first_demand_per_enterprise_and_year,
        org_field="org",
        date_field="received_on",
        permission="demands.view",
        definition=_(
            "DISTINCT enterprises: the rows are each enterprise's first demand of a "
            "calendar year, so counting rows over a period inside one year gives the number of "
            "distinct enterprises served (the N of '服务企业N家'); a period spanning two years "
            "counts an enterprise once per year. Dated by receipt, at the receiving organization."
        ),
    )
)
register_metric(
    Metric(
        name="demands.satisfied",
        # A part of the demands closed: 办结诉求23件（其中满意办结21件）.
        sentence=_("{value} concluded to the requester's satisfaction"),
        label=_("Demands concluded with a satisfied requester"),
        unit=_("demands"),
        queryset=lambda: Demand.objects.filter(
            state=DemandState.CLOSED,
            satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY],
        ),
        org_field="org",
        date_field="closed_on",
        permission="demands.view",
        definition=_(
            "Count of concluded demand rows whose follow-up recorded 满意 or 基本满意, "
            "dated by the day concluded."
        ),
        part_of="demands.closed",
    )
)
register_metric(
    Metric(
        name="demands.overdue",
        sentence=_("{value} demands are past their time limit"),
        additive=False,
        label=_("Demands overdue"),
        unit=_("demands"),
        queryset=lambda: Demand.objects.filter(overdue_q()),
        org_field="org",
        date_field="due_on",
        permission="demands.view",
        definition=_(
            "Count of open demand rows not replied to by their due day (evaluated "
            "when read), dated by the due day."
        ),
    )
)

from taizhang.core.exports import register_export  # noqa: E402
from taizhang.core.registry import register_importer  # noqa: E402
from taizhang.demands.exports import EXPORT  # noqa: E402
from taizhang.demands.imports import IMPORTER  # noqa: E402

register_export(EXPORT)
register_importer(IMPORTER)

# Reminders (core.notify): what the ledger tells people, and when.
from taizhang.core.notify import Rule, register_rule  # noqa: E402

register_rule(
    Rule(
        code="demands.assigned",
        label=_("A demand is assigned to a unit"),
        description=_("Sent to the handling unit's staff who record and answer demands."),
    )
)

# What the audit administrator reads (core.audit_review).
register_audit_review("demand_category.*", _("Demand categories"))
register_audit_review("routing_rule.*", _("Routing rules"))


# Change keys of the audit trail that are not model fields (core/audit_display.py).
from taizhang.core.registry import register_audit_fields  # noqa: E402

register_audit_fields(
    {
        "into": _("Merged into"),
        "merged_into": _("Merged into"),
        "reopen_count": _("Times the demand was reopened"),
        "requesters": _("Requesters"),
        "requesters_moved": _("Requesters moved over"),
    },
    object_type="demands.demand",
)
