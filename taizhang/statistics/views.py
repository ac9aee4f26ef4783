"""Pages of statistics: the dashboard and the drill-down behind every figure."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import requires
from taizhang.core.actors import Actor
from taizhang.core.formatting import format_yuan, with_unit
from taizhang.core.forms import submit
from taizhang.core.registry import NAV_ITEMS, Metric
from taizhang.core.versions import parse_version, posted_version, version_of, versions_of
from taizhang.organizations.models import Organization
from taizhang.organizations.permissions import ORGANIZATION
from taizhang.statistics import briefings, charts, figures, selectors, services
from taizhang.statistics.documents import (
    briefing_docx,
    correction_text,
    style_values,
    template_bytes,
)
from taizhang.statistics.forms import (
    ActualForm,
    BriefingCorrectionForm,
    BriefingDraftForm,
    BriefingForm,
    BriefingStyleForm,
    IndicatorForm,
    TargetForm,
)
from taizhang.statistics.models import IndicatorEntry, IndicatorTarget
from taizhang.statistics.periods import Period, PeriodError
from taizhang.statistics.permissions import (
    BRIEF,
    BRIEFING,
    MANAGE,
    VIEW,
    can_enter_actual,
    can_set_targets,
    viewer_of,
)


def _period(request: HttpRequest) -> Period:
    try:
        return Period.parse(request.GET.get("period"), today=timezone.localdate())
    except PeriodError:
        raise Http404 from None


def figure_url(metric: Metric | str, org: Organization, period: Period) -> str:
    name = metric if isinstance(metric, str) else metric.name
    query = urlencode({"org": org.pk, "period": period.key})
    return f"{reverse('statistics:figure', args=[name])}?{query}"


def attributed_url(metric: Metric, grouping: Any, period: Period) -> str:
    """The drill-down of the rows attributed to a grouping."""
    query = urlencode({"grouping": grouping.pk, "period": period.key})
    return f"{reverse('statistics:figure', args=[metric.name])}?{query}"


def dashboard_url(org: Organization, period: Period, metric: str = "") -> str:
    params = {"org": org.pk, "period": period.key}
    if metric:
        params["metric"] = metric
    return f"{reverse('statistics:dashboard')}?{urlencode(params)}"


def show(metric: Metric, value: Decimal) -> str:
    """A dashboard figure: exact, money in 亿元/万元. Chinese text writes 54488人次 with no
    thousands separators (issue 18); English keeps them (54,488 person-times)."""
    if metric.money:
        return format_yuan(value)
    language = translation.get_language() or ""
    grouping = "" if language.startswith("zh") else ","
    text = f"{value:{grouping}.2f}".rstrip("0").rstrip(".")
    return with_unit(text, str(metric.unit))


def _module_of(metric: Metric) -> str:
    return metric.name.split(".", 1)[0]


def module_label(module: str) -> Any:
    """The module's name as its navigation entry shows it (活动, 重点项目...)."""
    for item in NAV_ITEMS:
        if item.url_name.split(":", 1)[0] == module:
            return item.label
    return module


def percent(change: Decimal | None) -> str:
    if change is None:
        return "—"
    return f"{'+' if change > 0 else ''}{change}%"


def change_text(value: Decimal, change: Decimal | None) -> str:
    """A comparison as the card shows it: a period with nothing recorded yet says so
    rather than "−100%" (issue 18: the current year's pairing read "0元 环比 −100%")."""
    if change is not None and value == 0:
        return _("no records yet")
    return percent(change)


@requires(VIEW)
def dashboard_view(request: HttpRequest) -> HttpResponse:
    """Key figures of the viewer's organization and period, each a link to its records,
    with the trend and per-child bars of one chosen metric."""
    viewer = viewer_of(request)
    org = selectors.get_org_for_viewer(viewer, request.GET.get("org"))
    period = _period(request)
    board = selectors.dashboard(viewer, org, period)
    cells = board.cells
    chosen = next((c for c in cells if c.metric.name == request.GET.get("metric")), None)
    chosen = chosen or next((c for c in cells if c.value), cells[0] if cells else None)
    groups: dict[str, list[dict[str, Any]]] = {}
    quiet: dict[str, list[dict[str, Any]]] = {}
    for cell in cells:
        nothing = not (cell.value or cell.previous or cell.year_ago)
        (quiet if nothing else groups).setdefault(_module_of(cell.metric), []).append(
            {
                "cell": cell,
                "text": show(cell.metric, cell.value),
                "href": figure_url(cell.metric, org, period),
                "chart_href": dashboard_url(org, period, cell.metric.name),
                "chosen": chosen is not None and cell.metric.name == chosen.metric.name,
                "mom": change_text(cell.value, cell.mom),
                "yoy": change_text(cell.value, cell.yoy),
            }
        )
    query = {"org": org.pk, "period": period.key}
    context: dict[str, Any] = {
        "org": org,
        "period": period,
        "ancestors": _visible_ancestors(viewer, org),
        "groups": [
            (module_label(name), groups.get(name, []), quiet.get(name, []))
            for name in dict.fromkeys([*groups, *quiet])
        ],
        "live_url": f"{reverse('statistics:live')}?{urlencode(query)}",
        "refreshed_at": board.refreshed_at,
        "chosen": chosen,
        "previous": period.previous(),
        "next": _next(period),
    }
    if chosen is not None:
        metric = chosen.metric
        series = selectors.trend(viewer, metric, org, period)
        context["trend"] = charts.column_chart(
            [
                (f"{p.start.month}", value, show(metric, value), figure_url(metric, org, p))
                for p, value in series
            ]
        )
        context["children"] = charts.share_bars(
            [
                (child, value, show(metric, value), dashboard_url(child, period, metric.name))
                for child, value in selectors.breakdown(viewer, metric, org, period)
            ]
        )
    return render(request, "statistics/dashboard.html", context)


def _next(period: Period) -> Period | None:
    """The period after, unless it has not begun yet."""
    if period.kind == "custom":
        return None
    following = period.following()
    return None if following.start > timezone.localdate() else following


def _visible_ancestors(viewer: Actor, org: Organization) -> list[Organization]:
    ancestors = Organization.objects.filter(path__in=org.ancestor_paths())
    return list(ORGANIZATION.queryset(viewer, VIEW, base=ancestors).order_by("depth"))


@requires(VIEW)
def live_view(request: HttpRequest) -> HttpResponse:
    """The dashboard's figures computed from the records on each request (loaded after
    the page): what needs attention today, and distinct counts such as members reached."""
    viewer = viewer_of(request)
    org = selectors.get_org_for_viewer(viewer, request.GET.get("org"))
    period = _period(request)
    board = selectors.live(viewer, org, period)
    context = {
        "state": [
            {"cell": c, "text": show(c.metric, c.value), "href": figure_url(c.metric, org, period)}
            for c in board.state_cells
        ],
        "counted": [
            {
                "cell": c,
                "text": show(c.metric, c.value),
                "href": figure_url(c.metric, org, period),
                "mom": percent(c.mom),
                "yoy": percent(c.yoy),
            }
            for c in board.cells
        ],
    }
    return render(request, "statistics/_live.html", context)


@requires(VIEW)
def grouping_list_view(request: HttpRequest) -> HttpResponse:
    """The groupings (联创协作组) whose figures the viewer may read."""
    viewer = viewer_of(request)
    period = _period(request)
    return render(
        request,
        "statistics/grouping_list.html",
        {"groupings": list(selectors.groupings_for(viewer)), "period": period},
    )


@requires(VIEW)
def grouping_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A grouping's figures for the period: its members' subtrees together and one by
    one, and what was attributed to it, each computed from the records in the viewer's
    scope and linked to them."""
    viewer = viewer_of(request)
    grouping = selectors.get_grouping_for_viewer(viewer, pk)
    period = _period(request)
    board = selectors.grouping_board(viewer, grouping, period)
    groups: dict[str, list[dict[str, Any]]] = {}
    quiet: dict[str, list[dict[str, Any]]] = {}
    for item in board.figures:
        metric = item.metric
        nothing = not (item.total or item.attributed)
        (quiet if nothing else groups).setdefault(_module_of(metric), []).append(
            {
                "metric": metric,
                "text": show(metric, item.total),
                "attributed": None if item.attributed is None else show(metric, item.attributed),
                "attributed_href": attributed_url(metric, grouping, period),
                "members": [
                    {
                        "org": org,
                        "text": show(metric, value),
                        "href": figure_url(metric, org, period),
                    }
                    for org, value in item.members
                ],
            }
        )
    base = reverse("statistics:grouping", args=[grouping.pk])
    context: dict[str, Any] = {
        "grouping": grouping,
        "period": period,
        "members": board.members,
        "groups": [
            (module_label(name), groups.get(name, []), quiet.get(name, []))
            for name in dict.fromkeys([*groups, *quiet])
        ],
        "base": base,
        "previous": period.previous(),
        "next": _next(period),
    }
    return render(request, "statistics/grouping.html", context)


@requires(VIEW)
def figure_view(request: HttpRequest, metric: str) -> HttpResponse:
    """The records behind a figure, in the viewer's scope, with its definition and the
    grants that let the viewer see them. With ``grouping=<id>``: the rows attributed to
    that grouping, wherever they are booked in the viewer's scope."""
    viewer = viewer_of(request)
    chosen = selectors.get_metric_for_viewer(viewer, metric)
    if request.GET.get("grouping"):
        return _attributed_view(request, chosen)
    org = selectors.get_org_for_viewer(viewer, request.GET.get("org"))
    period = _period(request)
    counted = selectors.effective_period(chosen, period)
    rows = figures.metric_rows(viewer, chosen, org, counted)
    value, count = figures.aggregate(chosen, rows)
    listing = rows.select_related(chosen.org_field).order_by(
        f"-{figures.date_lookup(chosen)}", "-pk"
    )
    page = Paginator(listing, 50).get_page(request.GET.get("page"))
    entries = _entries(chosen, page)
    scope = figures.metric_scope(viewer, chosen)
    context = {
        "metric": chosen,
        "org": org,
        "period": period,
        "counted": counted,
        "state": selectors.is_state_metric(chosen),
        "value": show(chosen, value),
        "count": count,
        "page": page,
        "entries": entries,
        "reasons": scope.explain(org),
        "partial": not figures.covers_subtree(scope, org),
        "back": dashboard_url(org, period, chosen.name),
    }
    return render(request, "statistics/figure.html", context)


def _entries(chosen: Metric, page: Any) -> list[dict[str, Any]]:
    return [
        {
            "row": row,
            "org": _org_of(row, chosen.org_field),
            "date": _resolve(row, chosen.date_field),
            "contribution": _contribution(chosen, row),
            "url": getattr(row, "get_absolute_url", lambda: "")(),
        }
        for row in page
    ]


def _attributed_view(request: HttpRequest, chosen: Metric) -> HttpResponse:
    viewer = viewer_of(request)
    grouping = selectors.get_grouping_for_viewer(viewer, request.GET.get("grouping"))
    if selectors.grouping_field(chosen) is None:
        raise Http404
    period = _period(request)
    rows = selectors.attributed_rows(viewer, chosen, grouping, period)
    value, count = figures.aggregate(chosen, rows)
    listing = rows.select_related(chosen.org_field).order_by(
        f"-{figures.date_lookup(chosen)}", "-pk"
    )
    page = Paginator(listing, 50).get_page(request.GET.get("page"))
    back = f"{reverse('statistics:grouping', args=[grouping.pk])}?period={period.key}"
    context = {
        "metric": chosen,
        "grouping": grouping,
        "period": period,
        "counted": period,
        "value": show(chosen, value),
        "count": count,
        "page": page,
        "entries": _entries(chosen, page),
        "back": back,
    }
    return render(request, "statistics/figure.html", context)


def _resolve(row: Any, path: str) -> Any:
    target = row
    for hop in path.split("__"):
        target = getattr(target, hop, None)
        if target is None:
            return None
    return target


def _org_of(row: Any, org_field: str) -> Any:
    return _resolve(row, org_field)


def _contribution(metric: Metric, row: Any) -> str:
    if metric.distinct:
        return str(_resolve(row, metric.distinct) or "")
    if metric.value == "count":
        return ""
    amount = _resolve(row, metric.value) or 0
    return format_yuan(amount) if metric.money else f"{amount}"


@requires(VIEW)
def briefing_list_view(request: HttpRequest) -> HttpResponse:
    """The briefings of the viewer's organizations, and the form to generate one."""
    viewer = viewer_of(request)
    can_brief = viewer.has_function(BRIEF)
    form = _briefing_form(request) if can_brief else None
    page = Paginator(selectors.briefings_for(viewer), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "statistics/briefing_list.html",
        {"page": page, "form": form, "style_org": _style_org(viewer)},
    )


def _style_org(viewer: Actor) -> Organization | None:
    """The highest organization whose briefing style the viewer may edit (the style
    page's own check: ``statistics.brief`` there), for the list's link; None for those
    who may not edit any."""
    if not viewer.has_function(BRIEF):
        return None
    return ORGANIZATION.queryset(viewer, BRIEF).order_by("depth", "path").first()


def _briefing_form(request: HttpRequest) -> BriefingForm:
    """The generate form, bound to a POST or starting at the viewer's top organization
    and this month (or the period asked for)."""
    viewer = viewer_of(request)
    if request.method == "POST":
        return BriefingForm(request.POST, viewer=viewer)
    org = selectors.default_org(viewer)
    return BriefingForm(
        viewer=viewer, initial={"org": org.pk if org else None, "period": _period(request).key}
    )


@requires(BRIEF)
def briefing_create_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = _briefing_form(request)
    done = submit(
        request,
        form,
        lambda: services.briefing_generate(
            acting_user=viewer,
            org=form.cleaned_data["org"],
            period=form.cleaned_data["period"],
            include_empty=form.cleaned_data["include_empty"],
        ),
        success=_(
            "A draft briefing was made from the records: write its narrative, then issue it."
        ),
    )
    if done.ok and done.result is not None:
        return redirect("statistics:briefing_detail", pk=done.result.pk)
    page = Paginator(selectors.briefings_for(viewer), 30).get_page(1)
    status = 422 if request.method == "POST" else 200
    context = {"page": page, "form": form, "style_org": _style_org(viewer)}
    return render(request, "statistics/briefing_list.html", context, status=status)


def _figure_link(briefing: Any) -> Any:
    period = briefings.period_of(briefing)

    def link(line: briefings.Line) -> str:
        return figure_url(line.metric, briefing.org, period)

    return link


def _detail(
    request: HttpRequest,
    briefing: Any,
    *,
    draft_form: BriefingDraftForm | None = None,
    correction_form: BriefingCorrectionForm | None = None,
    version: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """The briefing page: the text as printed, every figure a link to its records; for a
    clerk who may write it, the narrative form of a draft, or the correction form of an
    issue."""
    viewer = viewer_of(request)
    link = _figure_link(briefing)
    rows = list(briefing.sections.all())
    writer = BRIEFING.can_manage(viewer, briefing)
    if writer and briefing.is_draft and draft_form is None:
        draft_form = BriefingDraftForm(rows=rows)
    if writer and not briefing.is_draft and correction_form is None:
        correction_form = BriefingCorrectionForm(rows=rows)
    sections = []
    for index, (part, row) in enumerate(briefings.parts_of(briefing, rows)):
        fields = []
        if draft_form is not None and row is not None:
            fields = [draft_form[f"{row.module}-{slot}"] for slot in briefings.SLOTS]
        sections.append(
            {
                "number": briefings.numeral(index),
                "section": part,
                "row": row,
                "text": briefings.paragraph(part, link),
                "narrative": briefings.narrative_of(row),
                "fields": fields,
                "figures": (
                    draft_form[f"{row.module}-figures"]
                    if draft_form is not None and fields and row
                    else None
                ),
            }
        )
    corrections = [
        {"correction": c, "text": correction_text(c)}
        for c in briefing.corrections.select_related("made_by", "section")
    ]
    context = {
        "briefing": briefing,
        "sections": sections,
        "link": link,
        "draft_form": draft_form if writer and briefing.is_draft else None,
        "correction_form": correction_form,
        "can_issue": writer and briefing.is_draft,
        "corrections": corrections,
        "version": version_of(briefing) if version is None else version,
    }
    return render(request, "statistics/briefing_detail.html", context, status=status)


@requires(VIEW)
def briefing_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The briefing as printed (a draft: as it stands); every figure links to the records
    behind it."""
    return _detail(request, selectors.get_briefing_for_viewer(viewer_of(request), pk))


@requires(BRIEF)
@require_POST
def briefing_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the narrative of a draft. Refusals (a changed figure, an issued briefing,
    someone else's change since the page was opened) keep what was typed."""
    viewer = viewer_of(request)
    briefing = selectors.get_briefing_for_viewer(viewer, pk)
    rows = list(briefing.sections.all())
    form = BriefingDraftForm(request.POST, rows=rows)
    seen = parse_version(request.POST.get("version"))
    done = submit(
        request,
        form,
        lambda: services.briefing_draft_edit(
            acting_user=viewer, briefing=briefing, sections=form.sections(), version=seen
        ),
        success=_("The draft was saved."),
    )
    if done.ok:
        return redirect("statistics:briefing_detail", pk=briefing.pk)
    briefing.refresh_from_db()
    # The page shows the computed figures again (a changed sentence stays refused, with
    # its reason), so sending the form again keeps the narrative typed.
    data = request.POST.copy()
    for row in rows:
        data[f"{row.module}-figures"] = row.figures_text
    form.data = data
    stale = form.has_error(NON_FIELD_ERRORS, "stale")
    return _detail(
        request,
        briefing,
        draft_form=form,
        version=None if stale else seen,
        status=409 if stale else 422,
    )


@requires(BRIEF)
@require_POST
def briefing_issue_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue a draft: numbered (第X期) and locked."""
    viewer = viewer_of(request)
    briefing = selectors.get_briefing_for_viewer(viewer, pk)
    try:
        issued = services.briefing_issue(
            acting_user=viewer,
            briefing=briefing,
            version=parse_version(request.POST.get("version")),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("statistics:briefing_detail", pk=briefing.pk)
    messages.success(
        request, _("The briefing was issued as %(number)s.") % {"number": issued.number_label}
    )
    return redirect("statistics:briefing_detail", pk=briefing.pk)


@requires(BRIEF)
@require_POST
def briefing_correct_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a correction of an issued briefing."""
    viewer = viewer_of(request)
    briefing = selectors.get_briefing_for_viewer(viewer, pk)
    form = BriefingCorrectionForm(request.POST, rows=list(briefing.sections.all()))
    done = submit(
        request,
        form,
        lambda: services.briefing_correct(
            acting_user=viewer,
            briefing=briefing,
            text=form.cleaned_data["text"],
            reason=form.cleaned_data["reason"],
            section=form.cleaned_data["section"],
        ),
        success=_("The correction was logged."),
    )
    if done.ok:
        return redirect("statistics:briefing_detail", pk=briefing.pk)
    return _detail(request, briefing, correction_form=form, status=422)


@requires(VIEW)
def briefing_docx_view(request: HttpRequest, pk: int) -> HttpResponse:
    briefing = selectors.get_briefing_for_viewer(viewer_of(request), pk)
    leader = request.GET.get("copy") == "leader"  # the leader copy: no appendix
    response = HttpResponse(
        briefing_docx(briefing, appendix=not leader),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    suffix = "-leader" if leader else ""
    name = f"briefing-{briefing.pk}-{briefing.period_start:%Y%m%d}{suffix}.docx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@requires(VIEW)
def briefing_check_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Each figure of the snapshot recomputed from today's records: same, or why not."""
    briefing = selectors.get_briefing_for_viewer(viewer_of(request), pk)
    checks = briefings.briefing_check(briefing)
    return render(
        request,
        "statistics/briefing_check.html",
        {
            "briefing": briefing,
            "checks": checks,
            "changed": sum(1 for c in checks if c.changed),
        },
    )


# --- indicators ----------------------------------------------------------------------


@requires(VIEW)
def indicator_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = None
    if viewer.has_function(MANAGE):
        form = IndicatorForm(request.POST or None, viewer=viewer)
        done = submit(
            request,
            form,
            lambda: services.indicator_create(acting_user=viewer, **form.cleaned_data),
            success=_("The indicator was set."),
        )
        if done.ok and done.result is not None:
            return redirect("statistics:indicator_detail", pk=done.result.pk)
    elif request.method == "POST":
        raise Http404
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "statistics/indicator_list.html",
        {"indicators": selectors.indicators_for(viewer), "form": form},
        status=status,
    )


def _indicator_period(request: HttpRequest) -> Period:
    text = request.GET.get("period") or request.POST.get("period")
    if not text:
        return Period.year(timezone.localdate().year)
    try:
        return Period.parse(text, today=timezone.localdate())
    except PeriodError:
        raise Http404 from None


@requires(VIEW)
def indicator_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The ranking of the units below an organization on one indicator (争先晋位)."""
    viewer = viewer_of(request)
    indicator = selectors.get_indicator_for_viewer(viewer, pk)
    org_id = request.GET.get("org") or request.POST.get("org")
    owner = indicator.owner
    if org_id or not ORGANIZATION.covers(viewer, owner, VIEW):
        parent = selectors.get_org_for_viewer(viewer, org_id)
    else:
        parent = owner
    period = _indicator_period(request)
    if request.method == "POST":
        if not viewer.has_function(MANAGE):
            raise Http404
        return _indicator_post(request, indicator, parent, period)
    standings = selectors.ranking(viewer, indicator, parent, period)
    # Targets are the owner's to set; a manual actual is the ranked unit's to enter.
    set_targets = can_set_targets(viewer, indicator)
    # Each row's target and actual forms carry the version of what they change (issue
    # 19; 0 where none was set yet): a figure set by someone else since is not overwritten.
    targets = dict(
        IndicatorTarget.objects.filter(
            indicator=indicator,
            period_start=period.start,
            period_end=period.end,
            org__in=[s.org for s in standings],
        ).values_list("org_id", "pk")
    )
    target_versions = versions_of(IndicatorTarget, targets.values())
    entry_versions = versions_of(IndicatorEntry, [s.entry.pk for s in standings if s.entry])
    rows = [
        {
            "standing": s,
            "href": (
                figure_url(indicator.metric, s.org, period) if indicator.source == "metric" else ""
            ),
            "can_target": set_targets,
            "can_enter": can_enter_actual(viewer, indicator, s.org),
            "target_version": target_versions.get(targets.get(s.org.pk, 0), 0),
            "actual_version": entry_versions.get(s.entry.pk, 0) if s.entry else 0,
        }
        for s in standings
    ]
    can_manage = any(row["can_target"] or row["can_enter"] for row in rows)
    return render(
        request,
        "statistics/indicator_detail.html",
        {
            "indicator": indicator,
            "parent": parent,
            "period": period,
            "rows": rows,
            "can_manage": can_manage,
            # Shown when a unit reported this metric for the period (填报任务).
            "reported_column": any(s.reported is not None for s in standings),
            "can_edit": set_targets,
            "target_form": TargetForm(),
            "actual_form": ActualForm() if indicator.source == "manual" else None,
        },
    )


def _indicator_post(
    request: HttpRequest, indicator: Any, parent: Organization, period: Period
) -> HttpResponse:
    viewer = viewer_of(request)
    unit = selectors.get_org_for_viewer(viewer, request.POST.get("unit"))
    if unit.parent_id != parent.pk:
        raise Http404
    action = request.POST.get("action")
    form: Any = (
        TargetForm(request.POST) if action == "target" else ActualForm(request.POST, request.FILES)
    )
    if form.is_valid():
        try:
            if action == "target":
                services.target_set(
                    acting_user=viewer,
                    indicator=indicator,
                    org=unit,
                    period=period,
                    target=form.cleaned_data["target"],
                    version=posted_version(request),
                )
            else:
                services.actual_enter(
                    acting_user=viewer,
                    indicator=indicator,
                    org=unit,
                    period=period,
                    version=posted_version(request),
                    **form.cleaned_data,
                )
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        except PermissionDenied:
            messages.error(request, _("You may not set figures for %(org)s.") % {"org": unit})
        else:
            messages.success(request, _("Saved for %(org)s.") % {"org": unit.name})
    else:
        messages.error(
            request, "; ".join(str(e) for errors in form.errors.values() for e in errors)
        )
    query = urlencode({"org": parent.pk, "period": period.key})
    return redirect(f"{reverse('statistics:indicator_detail', args=[indicator.pk])}?{query}")


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@requires(BRIEF)
def briefing_style_view(request: HttpRequest, org_pk: int) -> HttpResponse:
    """An organization's briefing look: masthead, 编发单位, 报/送/发 and its Word template
    (404 outside the clerk's ``statistics.brief`` scope)."""
    viewer = viewer_of(request)
    org = ORGANIZATION.get(viewer, org_pk, permission=BRIEF)
    current = style_values(org)
    if request.method == "POST":
        form = BriefingStyleForm(request.POST, request.FILES)
    else:
        form = BriefingStyleForm(initial=current)
    done = submit(
        request,
        form,
        lambda: services.briefing_style_save(
            acting_user=viewer,
            org=org,
            template=form.cleaned_data["template"],
            **{key: form.cleaned_data[key] for key in services.STYLE_FIELDS},
        ),
        success=_("The briefing style was saved."),
    )
    if done.ok:
        return redirect("statistics:briefing_style", org_pk=org.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "statistics/briefing_style.html",
        {"form": form, "org": org, "current": current},
        status=status,
    )


@requires(BRIEF)
def briefing_style_template_view(request: HttpRequest, org_pk: int) -> HttpResponse:
    """The Word template the organization's briefings are made from, to edit in Word/WPS."""
    org = ORGANIZATION.get(viewer_of(request), org_pk, permission=BRIEF)
    response = HttpResponse(template_bytes(org), content_type=DOCX)
    response["Content-Disposition"] = f'attachment; filename="briefing-template-{org.pk}.docx"'
    return response
