"""Pages of pairing: check permission, validate, call one service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.exports import export_respond
from taizhang.core.forms import Submission, int_or_none, submit
from taizhang.core.versions import parse_version, version_of
from taizhang.organizations.filters import ledger_filter_from_query
from taizhang.pairing import services
from taizhang.pairing.forms import (
    AmbassadorForm,
    CorrectionForm,
    EndForm,
    PairForm,
    PartnershipForm,
    ProjectForm,
    ValueForm,
)
from taizhang.pairing.models import DEFAULT_TARGET, Indicator, IndicatorValue, Pair, PartnershipKind
from taizhang.pairing.permissions import PAIR, PROJECT, can
from taizhang.pairing.selectors import (
    PAIR_SORTS,
    get_ambassador,
    get_pair_for_viewer,
    get_pair_value,
    get_partnership_for_viewer,
    get_project_for_viewer,
    headline_year,
    pair_list,
    pair_projects,
    pair_rows,
    paired_villages,
    partnership_ambassadors,
    partnership_list,
    summarize,
    value_actions,
    values_for_pair,
    villages_over,
)

VIEW = "pairing.view"
MANAGE = "pairing.manage"
CONFIRM = "pairing.confirm"


def _created(done: Submission[Any]) -> Any:
    """The primary key of what a successful submission created."""
    assert done.result is not None
    return done.result.pk


def _year(get: Mapping[str, str]) -> int | None:
    year = int_or_none(get.get("year"))
    return year if year is not None and 2000 <= year <= timezone.localdate().year else None


def pair_filters(viewer: Any, get: Mapping[str, str]) -> dict[str, Any]:
    """The pair list's filters from the query string; its export reads the same ones.

    ``years`` are the three income columns the list shows."""
    year = _year(get) or headline_year(viewer=viewer)
    sort = get.get("sort", "")
    last = min(year + 1, timezone.localdate().year)
    return {
        # The shared filters (org and its subtree, dates, mine): organizations/filters.py.
        "ledger": ledger_filter_from_query(
            viewer, get, permission=VIEW, date_label=_("Assistance starts")
        ),
        "year": year,
        "q": get.get("q", "").strip()[:60],
        "sort": sort if sort in PAIR_SORTS else "",
        "years": [last - 2, last - 1, last],
    }


def value_filters(get: Mapping[str, str]) -> dict[str, Any]:
    """The village figures export: every year unless the query string names one."""
    indicator = get.get("indicator", "")
    return {
        "year": _year(get),
        "indicator": indicator if indicator in Indicator.values else "",
        "q": get.get("q", "").strip()[:60],
    }


def partnership_filters(viewer: Any, get: Mapping[str, str]) -> dict[str, Any]:
    """The partnership list's filters; its exports (partnerships, ambassadors) read the
    same ones."""
    kind = get.get("kind", "")
    return {
        # The shared filters (org and its subtree, dates, mine): organizations/filters.py.
        "ledger": ledger_filter_from_query(viewer, get, permission=VIEW, date_label=_("Signed on")),
        "kind": kind if kind in PartnershipKind.values else "",
    }


@requires(VIEW)
def pair_export(request: HttpRequest) -> HttpResponse:
    """The filtered pairs as an .xlsx (a background task when it is large).
    Filters the page would refuse (an organization outside the scope, bad dates): 404."""
    if pair_filters(viewer_of(request), request.GET)["ledger"].refused:
        raise Http404
    return export_respond(request, "pairing.pair")


@requires(VIEW)
def value_export(request: HttpRequest) -> HttpResponse:
    """The village figures as an .xlsx in the columns their import reads back."""
    return export_respond(request, "pairing.value")


@requires(VIEW)
def partnership_export(request: HttpRequest) -> HttpResponse:
    """The filtered partnerships as an .xlsx.
    Filters the page would refuse (an organization outside the scope, bad dates): 404."""
    if partnership_filters(viewer_of(request), request.GET)["ledger"].refused:
        raise Http404
    return export_respond(request, "pairing.partnership")


@requires(VIEW)
def ambassador_export(request: HttpRequest) -> HttpResponse:
    """The ambassadors of the filtered partnerships as an .xlsx (refused filters: 404)."""
    if partnership_filters(viewer_of(request), request.GET)["ledger"].refused:
        raise Http404
    return export_respond(request, "pairing.ambassador")


@requires(VIEW)
def pair_list_view(request: HttpRequest) -> HttpResponse:
    """The pairs with their villages' income per year and the headline figure."""
    viewer = viewer_of(request)
    this_year = timezone.localdate().year
    filters = pair_filters(viewer, request.GET)
    year, q, sort, years = filters["year"], filters["q"], filters["sort"], filters["years"]
    ledger = filters["ledger"]
    pairs = pair_list(viewer=viewer, year=year, q=q, sort=sort, ledger=ledger)
    page = Paginator(pairs, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": pair_rows(list(page), years),
        "years": years,
        "year": year,
        "year_choices": list(range(this_year, this_year - 6, -1)),
        "q": q,
        "sort": sort,
        "over": villages_over(viewer=viewer, year=year),
        "paired": paired_villages(viewer=viewer, year=year),
        "threshold": DEFAULT_TARGET,
        "can_manage": viewer.has_function(MANAGE),
        "export_query": request.GET.urlencode(),
        "ledger": ledger,
    }
    return render(request, "pairing/pair_list.html", context)


@requires(MANAGE)
def pair_create_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = PairForm(request.POST or None, viewer=viewer)
    done = submit(
        request,
        form,
        lambda: services.pair_create(**form.cleaned_data, acting_user=viewer),
        success=_("The pair was recorded."),
    )
    if done.ok:
        return redirect("pairing:pair_detail", pk=_created(done))
    status = 422 if request.method == "POST" else 200
    return render(request, "pairing/pair_form.html", {"form": form}, status=status)


def _pair_context(request: HttpRequest, pair: Pair, **forms: Any) -> dict[str, Any]:
    viewer = viewer_of(request)
    values = values_for_pair(viewer=viewer, pair=pair)
    grid: dict[str, dict[int, IndicatorValue]] = {}
    for value in values:
        grid.setdefault(value.indicator, {})[value.year] = value
    table = [
        (code, label, [grid.get(code, {}).get(year) for year in pair.years])
        for code, label in Indicator.choices
    ]
    corrections = [(v, c) for v in values for c in v.corrections.all()]
    this_year = timezone.localdate().year
    context: dict[str, Any] = {
        "pair": pair,
        "table": table,
        "corrections": corrections,
        "can_record": can(viewer, "record", pair),
        "can_confirm": can(viewer, "confirm", pair),
        **value_actions(viewer, values),
        "income": grid.get(Indicator.COLLECTIVE_INCOME, {}),
        "correction_form": forms.get("correction_form"),
        "correction_value": forms.get("correction_value"),
        "projects": (projects := pair_projects(viewer=viewer, pair=pair)),
        "project_totals": summarize(projects),
        "can_add_project": PAIR.can_manage(viewer, pair),
    }
    if context["can_add_project"]:
        context["project_form"] = forms.get("project_form") or ProjectForm(prefix="project")
    if context["can_record"]:
        context["value_form"] = forms.get("value_form") or ValueForm(
            prefix="value",
            initial={
                "indicator": Indicator.COLLECTIVE_INCOME,
                "year": min(max(pair.years), this_year),
            },
        )
    return context


@requires(VIEW)
def pair_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pair = get_pair_for_viewer(viewer_of(request), pk)
    return render(request, "pairing/pair_detail.html", _pair_context(request, pair))


@requires(MANAGE)
@require_POST
def value_record_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a value of the pair's village for a year of the pair; refused once locked."""
    viewer = viewer_of(request)
    pair = get_pair_for_viewer(viewer, pk)
    if not can(viewer, "record", pair):
        raise PermissionDenied
    form = ValueForm(request.POST, prefix="value")

    def record() -> Any:
        if form.cleaned_data["year"] not in pair.years:
            raise ValidationError({"year": _("Choose a year of the pair's period.")})
        return services.indicator_record(
            village=pair.village, **form.cleaned_data, acting_user=viewer
        )

    if submit(request, form, record, success=_("The value was recorded.")).ok:
        return redirect("pairing:pair_detail", pk=pair.pk)
    context = _pair_context(request, pair, value_form=form)
    return render(request, "pairing/pair_detail.html", context, status=422)


@requires(MANAGE)
@require_POST
def project_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an assistance project under the pair."""
    viewer = viewer_of(request)
    pair = get_pair_for_viewer(viewer, pk)
    if not PAIR.can_manage(viewer, pair):
        raise PermissionDenied
    form = ProjectForm(request.POST, prefix="project")
    done = submit(
        request,
        form,
        lambda: services.assistance_project_create(
            pair=pair, **form.service_kwargs(), acting_user=viewer
        ),
        success=_("The assistance project was recorded."),
    )
    if done.ok and done.result is not None:
        return redirect(done.result.get_absolute_url())
    context = _pair_context(request, pair, project_form=form)
    return render(request, "pairing/pair_detail.html", context, status=422)


@requires(MANAGE)
def project_edit_view(request: HttpRequest, pk: int, project_pk: int) -> HttpResponse:
    """Change a project's details, state and dates; a change by someone else since the
    page was opened is refused (``core.versions``)."""
    viewer = viewer_of(request)
    pair = get_pair_for_viewer(viewer, pk)
    project = get_project_for_viewer(viewer, pair, project_pk)
    if not PROJECT.can_manage(viewer, project):
        raise PermissionDenied
    initial = {
        "name": project.name,
        "funds": project.funds,
        "state": project.state,
        "starts_on": project.starts_on,
        "completed_on": project.completed_on,
        "helper": project.helper_id if project.helper_id != pair.helper_id else None,
        "note": project.note,
    }
    form = ProjectForm(request.POST or None, initial=initial)
    seen = (
        parse_version(request.POST.get("version"))
        if request.method == "POST"
        else version_of(project)
    )
    done = submit(
        request,
        form,
        lambda: services.assistance_project_update(
            project=project, version=seen, **form.service_kwargs(), acting_user=viewer
        ),
        success=_("The assistance project was updated."),
    )
    if done.ok:
        return redirect(project.get_absolute_url())
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "pair": pair, "project": project, "version": seen}
    return render(request, "pairing/project_form.html", context, status=status)


def _value_of(request: HttpRequest, pk: int, value_pk: int, action: str) -> tuple[Pair, Any]:
    viewer = viewer_of(request)
    pair = get_pair_for_viewer(viewer, pk)
    value = get_pair_value(viewer, pair, value_pk)
    if not can(viewer, action, value):
        raise PermissionDenied
    return pair, value


@requires(CONFIRM)
@require_POST
def value_confirm_view(request: HttpRequest, pk: int, value_pk: int) -> HttpResponse:
    pair, value = _value_of(request, pk, value_pk, "confirm")
    try:
        services.indicator_confirm(value=value, acting_user=viewer_of(request))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The %(year)s value is confirmed and now locked.") % {"year": value.year},
        )
    return redirect("pairing:pair_detail", pk=pair.pk)


@requires(CONFIRM)
@require_POST
def value_correct_view(request: HttpRequest, pk: int, value_pk: int) -> HttpResponse:
    """Correct a confirmed value with a reason; the old value stays in the history."""
    pair, value = _value_of(request, pk, value_pk, "correct")
    form = CorrectionForm(request.POST, prefix=f"correct{value.pk}")
    done = submit(
        request,
        form,
        lambda: services.indicator_correct(
            value=value, **form.cleaned_data, acting_user=viewer_of(request)
        ),
        success=_("The correction was recorded; the old value is kept."),
    )
    if done.ok:
        return redirect("pairing:pair_detail", pk=pair.pk)
    context = _pair_context(request, pair, correction_form=form, correction_value=value)
    return render(request, "pairing/pair_detail.html", context, status=422)


@requires(VIEW)
def partnership_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = None
    if viewer.has_function(MANAGE):
        form = PartnershipForm(request.POST or None, viewer=viewer)
        done = submit(
            request,
            form,
            lambda: services.partnership_create(**form.cleaned_data, acting_user=viewer),
            success=_("The partnership was recorded."),
        )
        if done.ok:
            return redirect("pairing:partnership_detail", pk=_created(done))
    elif request.method == "POST":
        raise PermissionDenied
    filters = partnership_filters(viewer, request.GET)
    kind, ledger = filters["kind"], filters["ledger"]
    partnerships = list(partnership_list(viewer=viewer, kind=kind, ledger=ledger))
    return render(
        request,
        "pairing/partnership_list.html",
        {
            "partnerships": partnerships,
            "form": form,
            "kinds": PartnershipKind.choices,
            "kind": kind,
            "ledger": ledger,
            "can_import": viewer.has_function(MANAGE),
            "ambassadors": sum(p.ambassador_count for p in partnerships),  # type: ignore[attr-defined]
        },
        status=422 if request.method == "POST" else 200,
    )


@requires(VIEW)
def partnership_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    partnership = get_partnership_for_viewer(viewer, pk)
    can_manage = can(viewer, "manage", partnership)
    form = None
    if can_manage:
        form = AmbassadorForm(request.POST or None, viewer=viewer, prefix="ambassador")
        done = submit(
            request,
            form,
            lambda: services.ambassador_appoint(
                partnership=partnership, **form.cleaned_data, acting_user=viewer
            ),
            success=_("The ambassador was appointed."),
        )
        if done.ok:
            return redirect("pairing:partnership_detail", pk=partnership.pk)
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "pairing/partnership_detail.html",
        {
            "partnership": partnership,
            "ambassadors": list(partnership_ambassadors(partnership)),
            "form": form,
            "end_form": EndForm(prefix="end") if can_manage else None,
            "today": timezone.localdate(),
        },
        status=422 if request.method == "POST" else 200,
    )


@requires(MANAGE)
@require_POST
def ambassador_end_view(request: HttpRequest, pk: int, ambassador_pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    partnership = get_partnership_for_viewer(viewer, pk)
    if not can(viewer, "manage", partnership):
        raise PermissionDenied
    ambassador = get_ambassador(partnership, ambassador_pk)
    form = EndForm(request.POST, prefix="end")
    if form.is_valid():
        try:
            services.ambassador_end(
                ambassador=ambassador, ends_on=form.cleaned_data["ends_on"], acting_user=viewer
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The appointment has ended."))
    return redirect("pairing:partnership_detail", pk=partnership.pk)
