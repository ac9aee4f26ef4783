"""Permissions, navigation, metrics and the project-page slot of investment attraction."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.core.actors import Actor
from taizhang.core.registry import (
    Metric,
    TodoKind,
    grant_to_roles,
    register_metric,
    register_nav,
    register_permission,
    register_policy,
    register_slot,
    register_todo,
)
from taizhang.investment.permissions import CONFIGURE, LEAD, MANAGE, POLICIES, VIEW

register_permission(VIEW, _("View investment leads, events and subsidies"))
register_permission(MANAGE, _("Record investment leads, signings and subsidies"))
# The grid worker (网格员) gets nothing here: investment is kept by unit clerks.
grant_to_roles(VIEW, "clerk", "secretary", "leader", "viewer")
grant_to_roles(MANAGE, "clerk")
register_permission(CONFIGURE, _("Keep the subsidy policies"))
grant_to_roles(CONFIGURE, "system_admin")
for _policy in POLICIES:
    register_policy(_policy)

register_nav(_("Investment"), "investment:leads", "investment.view", order=35)


def _signed() -> QuerySet[Any]:
    from taizhang.investment.models import Lead

    return Lead.objects.filter(signed_on__isnull=False)


def _subsidies() -> QuerySet[Any]:
    from taizhang.investment.models import Subsidy

    return Subsidy.objects.all()


def _leads() -> QuerySet[Any]:
    from taizhang.investment.models import Lead

    return Lead.objects.all()


def _landed() -> QuerySet[Any]:
    from taizhang.investment.models import LeadStage, LeadStageChange

    return LeadStageChange.objects.filter(
        to_stage=LeadStage.LANDED, from_stage__lt=LeadStage.LANDED
    )


def _follow_ups() -> QuerySet[Any]:
    from taizhang.investment.models import FollowUp

    return FollowUp.objects.all()


def _funnel_leads() -> QuerySet[Any]:
    from taizhang.investment.selectors import forward_moves

    return forward_moves()


def _funnel_negotiating() -> QuerySet[Any]:
    from taizhang.investment.models import LeadStage
    from taizhang.investment.selectors import reaching

    return reaching(LeadStage.NEGOTIATING)


def _funnel_signed() -> QuerySet[Any]:
    from taizhang.investment.models import LeadStage
    from taizhang.investment.selectors import reaching

    return reaching(LeadStage.SIGNED)


for _metric in (
    Metric(
        name="investment.leads",
        sentence=_("gathered {value} investment leads"),
        label=_("Investment leads"),
        unit=_("leads"),
        queryset=_leads,
        org_field="org",
        date_field="created_at",
        permission="investment.view",
        definition=_("Leads recorded, on the day they were recorded."),
    ),
    Metric(
        name="investment.signings",
        sentence=_("signed {value} projects"),
        label=_("Signed projects"),
        unit=_("projects"),
        queryset=_signed,
        org_field="org",
        date_field="signed_on",
        permission="investment.view",
        definition=_("Leads that reached 签约 and still stand signed, on the signing date."),
    ),
    Metric(
        name="investment.signed_amount",
        sentence=_("with a signed investment of {value}"),
        label=_("Signed investment"),
        unit=_("yuan"),
        money=True,
        queryset=_signed,
        org_field="org",
        date_field="signed_on",
        permission="investment.view",
        value="signed_amount",
        definition=_("Investment agreed at signing (integer yuan), on the signing date."),
    ),
    Metric(
        name="investment.landed",
        sentence=_("{value} projects landed"),
        label=_("Leads landed"),
        unit=_("projects"),
        queryset=_landed,
        org_field="lead__org",
        date_field="changed_on",
        permission="investment.view",
        definition=_("Moves of a lead into 落地 from an earlier stage, on their date."),
    ),
    Metric(
        name="investment.follow_ups",
        sentence=_("visited and held talks with investors {value} times"),
        label=_("Lead follow-ups"),
        unit=_("times"),
        queryset=_follow_ups,
        org_field="lead__org",
        date_field="on",
        permission="investment.view",
        definition=_("Visits, talks, calls and promotion meetings logged on leads, on their date."),
    ),
    # 意向→在谈→签约: distinct leads, so neither pre-aggregated nor a state figure; the
    # two parts print in brackets after the whole (其中进入洽谈X个、签约Y个).
    Metric(
        name="investment.funnel_leads",
        distinct="lead",
        additive=False,
        sentence=_("{value} leads at intent or later moved forward"),
        label=_("Leads moved forward (intent or later)"),
        unit=_("leads"),
        queryset=_funnel_leads,
        org_field="lead__org",
        date_field="changed_on",
        permission="investment.view",
        definition=_(
            "Distinct leads with a first contact (意向) or a forward stage move dated in the "
            "period: the base of the 意向→在谈→签约 conversion."
        ),
    ),
    Metric(
        name="investment.funnel_negotiating",
        distinct="lead",
        additive=False,
        part_of="investment.funnel_leads",
        sentence=pgettext_lazy("funnel", "{value} reached negotiation"),
        label=_("Leads that reached negotiation"),
        unit=_("leads"),
        queryset=_funnel_negotiating,
        org_field="lead__org",
        date_field="changed_on",
        permission="investment.view",
        definition=_(
            "Distinct leads moved to 洽谈 or beyond from an earlier stage in the period "
            "(divided by the leads moved forward: the conversion to 在谈)."
        ),
    ),
    Metric(
        name="investment.funnel_signed",
        distinct="lead",
        additive=False,
        part_of="investment.funnel_leads",
        sentence=pgettext_lazy("funnel", "{value} signed"),
        label=_("Leads that reached signing"),
        unit=_("leads"),
        queryset=_funnel_signed,
        org_field="lead__org",
        date_field="changed_on",
        permission="investment.view",
        definition=_(
            "Distinct leads moved to 签约 or beyond from an earlier stage in the period "
            "(divided by the leads moved forward: the conversion to 签约)."
        ),
    ),
    Metric(
        name="investment.subsidy_amount",
        sentence=_("paid {value} of enterprise support"),
        label=_("Subsidies paid"),
        unit=_("yuan"),
        money=True,
        queryset=_subsidies,
        org_field="org",
        date_field="paid_on",
        permission="investment.view",
        value="amount",
        definition=_("Enterprise-support money paid (integer yuan), by paying organization."),
    ),
    Metric(
        name="investment.subsidy_enterprises",
        sentence=_("benefiting enterprises {value}"),
        label=_("Enterprises supported (times)"),
        unit=_("enterprise-times"),
        queryset=_subsidies,
        org_field="org",
        date_field="paid_on",
        permission="investment.view",
        definition=_("Payments made: one enterprise paid twice counts twice (家次)."),
    ),
):
    register_metric(_metric)


def _next_steps(viewer: Any) -> QuerySet[Any]:
    from taizhang.investment.selectors import next_steps_due

    return next_steps_due(viewer)


def _next_step_title(follow_up: Any) -> str:
    return f"{follow_up.lead.project_name}（{follow_up.lead.enterprise}）：{follow_up.next_step}"


register_todo(
    TodoKind(
        name="investment.next_step",
        label=_("Next steps on investment leads"),
        permission=MANAGE,
        items=_next_steps,
        title=_next_step_title,
        url=lambda f: f.get_absolute_url(),
        due=lambda f: f.next_step_on,
        why=_(
            "The newest follow-up of an open lead names a next step due within three days "
            "or overdue; a new follow-up replaces it."
        ),
        order=60,
    )
)


def _source_lead(viewer: Actor | None, project: Any) -> dict[str, Any] | None:
    """On a key project's page: the investment lead it came from, if the viewer may see it."""
    if viewer is None or not viewer.is_authenticated or not viewer.has_function(LEAD.view):
        return None
    from taizhang.investment.selectors import lead_for_project

    lead = lead_for_project(viewer=viewer, project=project)
    return {"lead": lead} if lead is not None else None


register_slot("projects.project_detail", "investment/_source_lead.html", _source_lead, order=50)


# Excel: each ledger's export and its import read the same columns (investment/imports.py).
from taizhang.core.exports import register_export  # noqa: E402
from taizhang.core.registry import register_importer  # noqa: E402
from taizhang.investment.exports import (  # noqa: E402
    EVENT_EXPORT,
    LEAD_EXPORT,
    SCOREBOARD_EXPORT,
    SUBSIDY_EXPORT,
)
from taizhang.investment.imports import (  # noqa: E402
    EVENT_IMPORTER,
    LEAD_IMPORTER,
    SUBSIDY_IMPORTER,
)

for _export in (LEAD_EXPORT, EVENT_EXPORT, SUBSIDY_EXPORT, SCOREBOARD_EXPORT):
    register_export(_export)
for _importer in (LEAD_IMPORTER, EVENT_IMPORTER, SUBSIDY_IMPORTER):
    register_importer(_importer)


# The person pickers of the investment forms (issue 18): a lead's linked leader and
# responsible person when it becomes a project, a competition team's leader and members.
from taizhang.core.registry import PersonSource, register_person_source  # noqa: E402
from taizhang.people.selectors import leader_candidates  # noqa: E402
from taizhang.projects.selectors import responsible_choices  # noqa: E402

register_person_source(
    PersonSource("investment.linked_leader", MANAGE, lambda viewer: leader_candidates())
)
register_person_source(
    PersonSource(
        "investment.responsible", MANAGE, lambda viewer: responsible_choices(viewer=viewer)
    )
)
