"""Permissions, navigation, metrics and to-dos of pairing (挂钩帮扶)."""

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from taizhang.core.formatting import format_yuan
from taizhang.core.registry import (
    Metric,
    TodoKind,
    grant_to_roles,
    register_metric,
    register_nav,
    register_permission,
    register_policy,
    register_todo,
)
from taizhang.pairing.permissions import POLICIES

register_permission("pairing.view", _("View paired assistance and partnerships"))
register_permission("pairing.manage", _("Record pairs, village indicators and partnerships"))
register_permission("pairing.confirm", _("Confirm and correct village indicator values"))
grant_to_roles("pairing.view", "clerk", "secretary", "leader", "viewer", "grid_worker")
# A grid worker records village figures on the ground; confirming them stays with the
# clerk, and whoever recorded a figure never confirms it (duties kept apart).
# Grid workers read pairing work but neither record nor confirm it: pairing.manage also
# sets up pairs and partnerships, which is not a grid's duty.
grant_to_roles("pairing.manage", "clerk", "secretary")
grant_to_roles("pairing.confirm", "clerk")
for _policy in POLICIES:
    register_policy(_policy)

register_nav(_("Pairing"), "pairing:pairs", "pairing.view", order=65)


def _pairs() -> QuerySet[Any]:
    from taizhang.pairing.models import Pair

    return Pair.objects.all()


def _pairs_active() -> QuerySet[Any]:
    from taizhang.pairing.models import Pair

    today = timezone.localdate()
    return Pair.objects.filter(starts_on__lte=today, ends_on__gte=today)


def _projects_started() -> QuerySet[Any]:
    from taizhang.pairing.models import AssistanceProject, ProjectState

    return AssistanceProject.objects.exclude(state=ProjectState.PLANNING)


def _projects_done() -> QuerySet[Any]:
    from taizhang.pairing.models import AssistanceProject, ProjectState

    return AssistanceProject.objects.filter(state=ProjectState.DONE)


def _income() -> QuerySet[Any]:
    from taizhang.pairing.models import IndicatorValue

    return IndicatorValue.objects.filter(indicator="collective_income", status="confirmed")


def _over_target() -> QuerySet[Any]:
    from django.db.models import Exists, OuterRef

    from taizhang.pairing.models import DEFAULT_TARGET, IndicatorValue, Pair

    paired = Pair.objects.filter(
        village=OuterRef("village"),
        starts_on__year__lte=OuterRef("year"),
        ends_on__year__gte=OuterRef("year"),
    )
    return IndicatorValue.objects.filter(
        Exists(paired),
        indicator="collective_income",
        status="confirmed",
        value__gte=DEFAULT_TARGET,
    )


def _agreements() -> QuerySet[Any]:
    from taizhang.pairing.models import Partnership

    return Partnership.objects.all()


def _ambassadors() -> QuerySet[Any]:
    from taizhang.pairing.models import Ambassador

    return Ambassador.objects.all()


for _metric in (
    Metric(
        name="pairing.pairs",
        sentence=_("formed {value} new assistance pairs"),
        label=_("Pairs begun"),
        unit=_("pairs"),
        queryset=_pairs,
        org_field="village",
        date_field="starts_on",
        permission="pairing.view",
        definition=_(
            "Pairs of a helping organization and a village, by the village, "
            "on the day the pair began."
        ),
    ),
    Metric(
        name="pairing.pairs_active",
        additive=False,
        label=_("Pairs in force today"),
        unit=_("pairs"),
        queryset=_pairs_active,
        org_field="village",
        date_field="starts_on",
        permission="pairing.view",
        definition=_("Pairs whose period includes today, by the village, dated by their start."),
    ),
    Metric(
        name="pairing.collective_income",
        sentence=_("paired villages' collective income came to {value}"),
        label=_("Collective economy income of paired villages"),
        unit=_("yuan"),
        money=True,
        queryset=_income,
        org_field="village",
        date_field="year_end",
        permission="pairing.view",
        value="value",
        definition=_(
            "Confirmed 集体经济收入 (integer yuan) of each village, dated 31 December "
            "of its year. Drafts are left out."
        ),
    ),
    Metric(
        name="pairing.villages_over_target",
        sentence=_("{value} paired villages reached a collective income of 500,000 yuan"),
        label=_("Paired villages with collective income of 500,000 yuan or more"),
        unit=_("villages"),
        queryset=_over_target,
        org_field="village",
        date_field="year_end",
        permission="pairing.view",
        definition=_(
            "Villages paired in a year whose confirmed 集体经济收入 for that year is at "
            "least 500,000 yuan, dated 31 December. Over one year this is "
            '"N个薄弱村集体经济收入超过50万元"; over several years it counts village-years.'
        ),
    ),
    # 帮扶项目N个（其中已完成M个），投入帮扶资金X万元: projects started in the period
    # (those still being planned are not counted), booked on the pair's village.
    Metric(
        name="pairing.assistance_projects",
        sentence=_("carried out {value} assistance projects"),
        label=_("Assistance projects"),
        unit=_("projects"),
        queryset=_projects_started,
        org_field="pair__village",
        date_field="starts_on",
        permission="pairing.view",
        definition=_(
            "Assistance projects under pairs that are under way or completed, by the pair's "
            "village, on the day they started; projects still being planned are left out."
        ),
    ),
    Metric(
        name="pairing.assistance_projects_done",
        part_of="pairing.assistance_projects",
        sentence=_("{value} of them completed"),
        label=_("Assistance projects completed"),
        unit=_("projects"),
        queryset=_projects_done,
        org_field="pair__village",
        date_field="starts_on",
        permission="pairing.view",
        definition=_(
            "Of the assistance projects started in the period, those now completed, by the "
            "pair's village, on the day they started; a part of the assistance projects."
        ),
    ),
    Metric(
        name="pairing.assistance_funds",
        sentence=_("with assistance funds of {value}"),
        label=_("Assistance project funds"),
        unit=_("yuan"),
        money=True,
        queryset=_projects_started,
        org_field="pair__village",
        date_field="starts_on",
        permission="pairing.view",
        value="funds",
        definition=_(
            "Funds (integer yuan) of the assistance projects under way or completed, by the "
            "pair's village, on the day they started."
        ),
    ),
    Metric(
        name="pairing.agreements",
        label=_("Partnerships signed"),
        unit=_("partnerships"),
        queryset=_agreements,
        org_field="org",
        date_field="signed_on",
        permission="pairing.view",
        definition=_("Cooperation agreements and workstations, on the day they were signed."),
    ),
    Metric(
        name="pairing.ambassadors",
        label=_("Ambassadors appointed"),
        unit=_("appointees"),
        queryset=_ambassadors,
        org_field="partnership__org",
        date_field="appointed_on",
        permission="pairing.view",
        definition=_("Appointments of 招商大使 and 招才引智大使, on the appointment date."),
    ),
):
    register_metric(_metric)


# To-dos (the workbench, ADR 0048): the query is in selectors.py.


def _to_confirm(viewer: Any) -> QuerySet[Any]:
    from taizhang.pairing.selectors import todo_to_confirm

    return todo_to_confirm(viewer=viewer)


def _value_title(value: Any) -> str:
    return gettext("%(village)s, %(indicator)s %(year)s: %(value)s") % {
        "village": value.village.short_name or value.village.name,
        "indicator": value.get_indicator_display(),
        "year": value.year,
        "value": format_yuan(value.value) if value.is_money else value.value,
    }


register_todo(
    TodoKind(
        name="pairing.to_confirm",
        label=_("Village figures waiting for your confirmation"),
        permission="pairing.confirm",
        items=_to_confirm,
        title=_value_title,
        url=lambda v: reverse("pairing:pair_detail", args=[v.pair_pk]) + f"#value-{v.pk}",
        why=_(
            "A village figure was recorded and waits to be confirmed (then it is locked); "
            "figures you recorded yourself are confirmed by another person."
        ),
        order=50,
    )
)


# Excel: the village figures' export and import read the same columns (pairing/imports.py).
from taizhang.core.exports import register_export  # noqa: E402
from taizhang.core.registry import register_importer  # noqa: E402
from taizhang.pairing.exports import EXPORTS  # noqa: E402
from taizhang.pairing.imports import IMPORTER  # noqa: E402

for _export in EXPORTS:
    register_export(_export)
register_importer(IMPORTER)


# The ambassador picker (issue 18): any person the viewer may see.
from taizhang.core.registry import PersonSource, register_person_source  # noqa: E402
from taizhang.pairing.selectors import person_choices  # noqa: E402

register_person_source(
    PersonSource(
        "pairing.ambassador", "pairing.manage", lambda viewer: person_choices(viewer=viewer)
    )
)


# Change keys of the audit trail that are not model fields (core/audit_display.py).
from taizhang.core.registry import register_audit_fields  # noqa: E402

register_audit_fields(
    {
        "partnership": _("Pairing"),
    },
    object_type="pairing.ambassador",
)
