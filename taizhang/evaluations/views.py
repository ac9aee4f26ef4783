"""Pages of competitions and awards: check permission, validate, call one service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import login_required, requires
from taizhang.core.actors import viewer_of
from taizhang.core.exports import export_respond
from taizhang.core.formatting import chinese_date
from taizhang.core.forms import Submission, int_or_none, submit
from taizhang.evaluations import services
from taizhang.evaluations.forms import (
    AwardForm,
    CompetitionForm,
    CriterionForm,
    DateForm,
    EntryForm,
    FromWinnersForm,
    JudgeForm,
    NominationForm,
    NoticeForm,
    ObjectionForm,
    ReviewForm,
    ScoreForm,
)
from taizhang.evaluations.models import (
    Aggregation,
    Award,
    AwardKind,
    Competition,
    CompetitionStatus,
    NominationStatus,
)
from taizhang.evaluations.permissions import can, conflict_reason, is_judge, judge_org_paths
from taizhang.evaluations.selectors import (
    award_list,
    award_nominations,
    award_objections,
    can_nominate,
    competition_entries,
    competition_judges,
    competition_list,
    competition_results,
    get_award_for_viewer,
    get_competition_for_viewer,
    get_entry,
    get_nomination,
    judge_sheet,
    published_list,
    results_visible,
    winner_competitions,
)
from taizhang.organizations.filters import ledger_filter_from_query

VIEW = "evaluations.view"
MANAGE = "evaluations.manage"


def _created(done: Submission[Any]) -> Any:
    """The primary key of what a successful submission created."""
    assert done.result is not None
    return done.result.pk


def _error_messages(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# Competitions ---------------------------------------------------------------------


def competition_filters(viewer: Any, get: Mapping[str, str]) -> dict[str, Any]:
    """The competition list's filters; its export reads the same ones (and one
    competition, from its page). The organization (and its subtree), the date range and
    "mine" are the shared ledger filters (``organizations/filters.py``)."""
    return {
        "ledger": ledger_filter_from_query(viewer, get, permission=VIEW, date_label=_("Date")),
        "year": int_or_none(get.get("year")),
        "competition": int_or_none(get.get("competition")),
    }


def award_filters(viewer: Any, get: Mapping[str, str]) -> dict[str, Any]:
    """The award list's filters; its export reads the same ones (and one award's list,
    or its honour roll alone, from the award's pages). The organization (and its
    subtree), the date range (published) and "mine" are the shared ledger filters."""
    kind = get.get("kind", "")
    status = get.get("status", "")
    return {
        "ledger": ledger_filter_from_query(
            viewer, get, permission=VIEW, date_label=_("Published on")
        ),
        "year": int_or_none(get.get("year")),
        "kind": kind if kind in AwardKind.values else "",
        "award": int_or_none(get.get("award")),
        "status": status if status in NominationStatus.values else "",
    }


@requires(VIEW)
def competition_export(request: HttpRequest) -> HttpResponse:
    """The competitions' entries with each criterion's score and the total, as an .xlsx.
    Filters the page would refuse (an organization outside the scope, bad dates): 404."""
    if competition_filters(viewer_of(request), request.GET)["ledger"].refused:
        raise Http404
    return export_respond(request, "evaluations.competition")


@requires(VIEW)
def nomination_export(request: HttpRequest) -> HttpResponse:
    """The awards' nominations and honour roll, in the columns their import reads back.
    Filters the page would refuse (an organization outside the scope, bad dates): 404."""
    if award_filters(viewer_of(request), request.GET)["ledger"].refused:
        raise Http404
    return export_respond(request, "evaluations.nomination")


@requires(VIEW)
def competition_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = None
    if viewer.has_function(MANAGE):
        form = CompetitionForm(request.POST or None, viewer=viewer)
        done = submit(
            request,
            form,
            lambda: services.competition_create(**form.cleaned_data, acting_user=viewer),
            success=_("The competition is set up."),
        )
        if done.ok:
            return redirect("evaluations:competition_detail", pk=_created(done))
    elif request.method == "POST":
        raise PermissionDenied
    filters = competition_filters(viewer, request.GET)
    competitions = list(
        competition_list(viewer=viewer, year=filters["year"], ledger=filters["ledger"])
    )
    return render(
        request,
        "evaluations/competition_list.html",
        {"competitions": competitions, "form": form, "ledger": filters["ledger"]},
    )


def _competition_context(
    request: HttpRequest, competition: Competition, **forms: Any
) -> dict[str, Any]:
    viewer = viewer_of(request)
    can_manage = can(viewer, "manage", competition)
    show_results = results_visible(viewer, competition)
    results: dict[int, Any] = {}
    raw: dict[int, Any] = {}
    if show_results and competition.status != CompetitionStatus.DRAFT:
        results = {r.entry_id: r for r in competition_results(competition)}
        if competition.normalization != "none":
            raw = {r.entry_id: r.final for r in competition_results(competition, method="none")}
    decided = competition.status in (CompetitionStatus.DECIDED, CompetitionStatus.PUBLISHED)
    entries = list(competition_entries(competition))
    if decided:
        entries.sort(key=lambda e: (e.rank is None, e.rank or 0, e.number))
    elif results:
        order = {r.entry_id: i for i, r in enumerate(results.values())}
        entries.sort(key=lambda e: order[e.pk])
    rows = [(entry, results.get(entry.pk), raw.get(entry.pk)) for entry in entries]
    has_side = can_manage and competition.status != CompetitionStatus.PUBLISHED
    context: dict[str, Any] = {
        "competition": competition,
        "criteria": list(competition.criteria.all()),
        "rows": rows,
        "judges": list(competition_judges(competition)) if can_manage else [],
        "can_manage": can_manage,
        "has_side": has_side,
        "decided": decided,
        "winners_total": sum(1 for entry in entries if entry.is_winner),
        "normalized": bool(raw),
        "trimmed": competition.aggregation == Aggregation.TRIMMED,
        "fallbacks": sum(1 for r in results.values() if r.trim_fallback),
        "show_results": show_results,
        "is_judge": is_judge(viewer, competition),
        "statuses": CompetitionStatus,
        "step_index": CompetitionStatus.values.index(competition.status),
        "weight_total": sum((c.weight for c in competition.criteria.all()), 0),
    }
    if can_manage:
        if competition.status == CompetitionStatus.DRAFT:
            context["criterion_form"] = forms.get("criterion_form") or CriterionForm(
                prefix="criterion"
            )
        if competition.status in (CompetitionStatus.DRAFT, CompetitionStatus.SCORING):
            context["entry_form"] = forms.get("entry_form") or EntryForm(
                prefix="entry", viewer=viewer
            )
            context["judge_form"] = forms.get("judge_form") or JudgeForm(
                prefix="judge", viewer=viewer, competition=competition
            )
        context["date_form"] = DateForm(prefix="step")
    return context


@requires(VIEW)
def competition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    competition = get_competition_for_viewer(viewer_of(request), pk)
    context = _competition_context(request, competition)
    return render(request, "evaluations/competition_detail.html", context)


def _managed_competition(request: HttpRequest, pk: int) -> Competition:
    competition = get_competition_for_viewer(viewer_of(request), pk)
    if not can(viewer_of(request), "manage", competition):
        raise PermissionDenied
    return competition


@requires(MANAGE)
@require_POST
def competition_add(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    """Add a criterion, an entry or a judge while the competition is being set up."""
    viewer = viewer_of(request)
    competition = _managed_competition(request, pk)
    forms_by_kind: dict[str, Any] = {
        "criterion": lambda: CriterionForm(request.POST, prefix="criterion"),
        "entry": lambda: EntryForm(request.POST, prefix="entry", viewer=viewer),
        "judge": lambda: JudgeForm(
            request.POST, prefix="judge", viewer=viewer, competition=competition
        ),
    }
    if what not in forms_by_kind:
        raise PermissionDenied
    form = forms_by_kind[what]()
    calls: dict[str, tuple[Any, str]] = {
        "criterion": (
            lambda: services.criterion_add(
                competition=competition, **form.cleaned_data, acting_user=viewer
            ),
            _("The criterion was added."),
        ),
        "entry": (
            lambda: services.entry_add(
                competition=competition, **form.cleaned_data, acting_user=viewer
            ),
            _("The entry was registered."),
        ),
        "judge": (
            lambda: services.judge_add(
                competition=competition, user=form.cleaned_data["user"], acting_user=viewer
            ),
            _("The judge was appointed."),
        ),
    }
    call, success = calls[what]
    if submit(request, form, call, success=success).ok:
        return redirect("evaluations:competition_detail", pk=competition.pk)
    context = _competition_context(request, competition, **{f"{what}_form": form})
    return render(request, "evaluations/competition_detail.html", context, status=422)


@requires(MANAGE)
@require_POST
def competition_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Open scoring, declare the winners, or publish the results."""
    viewer = viewer_of(request)
    competition = _managed_competition(request, pk)
    steps = {
        "open": (services.competition_open_scoring, _("Scoring is open.")),
        "decide": (services.competition_declare_winners, _("The winners were declared.")),
        "publish": (services.competition_publish, _("The results were published.")),
    }
    if step not in steps:
        raise PermissionDenied
    service, done = steps[step]
    form = DateForm(request.POST, prefix="step")
    on = form.cleaned_data["on"] if form.is_valid() else None
    try:
        service(competition=competition, on=on, acting_user=viewer)
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, done)
    return redirect("evaluations:competition_detail", pk=competition.pk)


def _judged(request: HttpRequest, pk: int) -> tuple[Competition, list[Any]]:
    competition = get_competition_for_viewer(viewer_of(request), pk)
    sheet = judge_sheet(viewer=viewer_of(request), competition=competition)
    if sheet is None:
        raise PermissionDenied
    return competition, sheet


@login_required
def judge_sheet_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The scoring sheet of a judge named to the competition (the appointment, not a
    role, offers scoring); entries from the judge's own subtree are greyed out."""
    competition, sheet = _judged(request, pk)
    criteria = list(competition.criteria.all())
    for row in sheet:
        row.cells = [row.scores.get(c.pk) for c in criteria]
    done = sum(1 for row in sheet if row.scored)
    open_rows = sum(1 for row in sheet if not row.conflict)
    return render(
        request,
        "evaluations/judge_sheet.html",
        {
            "competition": competition,
            "criteria": criteria,
            "sheet": sheet,
            "done": done,
            "open_rows": open_rows,
            "conflicts": len(sheet) - open_rows,
            "scoring": competition.status == CompetitionStatus.SCORING,
        },
    )


@login_required
def score_view(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    competition, sheet = _judged(request, pk)
    entry = get_entry(viewer, competition, entry_pk)
    reason = conflict_reason(judge_org_paths(viewer), entry)
    row = next(r for r in sheet if r.entry.pk == entry.pk)
    criteria = list(competition.criteria.all())
    form = ScoreForm(request.POST or None, criteria=criteria, initial_scores=row.scores)
    status = 200
    if request.method == "POST":
        try:
            done = submit(
                request,
                form,
                lambda: services.score_record(
                    entry=entry, judge_user=viewer, values=form.values(), acting_user=viewer
                ),
                success=_("Scores for %(entry)s were saved.") % {"entry": entry.title},
            )
        except services.ConflictOfInterest as refused:
            messages.error(request, refused.reason)
            return redirect("evaluations:judge_sheet", pk=competition.pk)
        if done.ok:
            return redirect("evaluations:judge_sheet", pk=competition.pk)
        status = 422
    following = next(
        (r.entry for r in sheet if not r.conflict and not r.scored and r.entry.pk != entry.pk),
        None,
    )
    return render(
        request,
        "evaluations/score_form.html",
        {
            "competition": competition,
            "entry": entry,
            "form": form,
            "conflict": reason,
            "scoring": competition.status == CompetitionStatus.SCORING,
            "can_score": can(viewer, "score", entry),
            "following": following,
        },
        status=status,
    )


# Awards -----------------------------------------------------------------------------


@requires(VIEW)
def award_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = None
    if viewer.has_function(MANAGE):
        form = AwardForm(request.POST or None, viewer=viewer)
        done = submit(
            request,
            form,
            lambda: services.award_create(**form.cleaned_data, acting_user=viewer),
            success=_("The award was set up."),
        )
        if done.ok:
            return redirect("evaluations:award_detail", pk=_created(done))
    elif request.method == "POST":
        raise PermissionDenied
    filters = award_filters(viewer, request.GET)
    kind, ledger = filters["kind"], filters["ledger"]
    awards = list(award_list(viewer=viewer, year=filters["year"], kind=kind, ledger=ledger))
    return render(
        request,
        "evaluations/award_list.html",
        {
            "awards": awards,
            "form": form,
            "kinds": AwardKind.choices,
            "kind": kind,
            "ledger": ledger,
            "can_import": viewer.has_function(MANAGE),
        },
    )


def _award_context(request: HttpRequest, award: Award, **forms: Any) -> dict[str, Any]:
    viewer = viewer_of(request)
    can_manage = can(viewer, "manage", award)
    nominations = list(award_nominations(viewer=viewer, award=award))
    counts = dict.fromkeys(NominationStatus.values, 0)
    for nomination in nominations:
        counts[nomination.status] += 1
    context: dict[str, Any] = {
        "award": award,
        "nominations": nominations,
        "counts": counts,
        "can_manage": can_manage,
        "statuses": NominationStatus,
        "objections": list(award_objections(viewer=viewer, award=award)) if can_manage else [],
        "on_notice": award.notice_start is not None and award.published_on is None,
        "notice_over": award.notice_over(timezone.localdate()),
        "notice_start_text": chinese_date(award.notice_start) if award.notice_start else "",
        "notice_end_text": chinese_date(award.notice_end) if award.notice_end else "",
    }
    if can_nominate(viewer, award) and award.notice_start is None:
        context["nomination_form"] = forms.get("nomination_form") or NominationForm(
            prefix="nominate", viewer=viewer, takes_organizations=award.takes_organizations
        )
    if can_manage and award.published_on is None:
        if award.notice_start is None:
            context["review_form"] = ReviewForm(prefix="review")
            competitions = winner_competitions(viewer=viewer, award=award)
            if competitions:
                context["winners_form"] = forms.get("winners_form") or FromWinnersForm(
                    prefix="winners", competitions=competitions
                )
        context["notice_form"] = forms.get("notice_form") or NoticeForm(
            prefix="notice",
            initial=(
                {"start": award.notice_start, "end": award.notice_end}
                if award.notice_start
                else None
            ),
        )
        if award.notice_start is not None:
            context["objection_form"] = forms.get("objection_form") or ObjectionForm(
                prefix="objection"
            )
        context["date_form"] = DateForm(prefix="step")
    return context


@requires(VIEW)
def award_detail(request: HttpRequest, pk: int) -> HttpResponse:
    award = get_award_for_viewer(viewer_of(request), pk)
    return render(request, "evaluations/award_detail.html", _award_context(request, award))


def _managed_award(request: HttpRequest, pk: int) -> Award:
    award = get_award_for_viewer(viewer_of(request), pk)
    if not can(viewer_of(request), "manage", award):
        raise PermissionDenied
    return award


@requires(MANAGE)
@require_POST
def nominate_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    award = get_award_for_viewer(viewer, pk)
    if not can_nominate(viewer, award):
        raise PermissionDenied
    form = NominationForm(
        request.POST,
        prefix="nominate",
        viewer=viewer,
        takes_organizations=award.takes_organizations,
    )
    done = submit(
        request,
        form,
        lambda: services.nomination_create(award=award, **form.cleaned_data, acting_user=viewer),
        success=_("The nomination was recorded."),
    )
    if done.ok:
        return redirect("evaluations:award_detail", pk=award.pk)
    context = _award_context(request, award, nomination_form=form)
    return render(request, "evaluations/award_detail.html", context, status=422)


@requires(MANAGE)
@require_POST
def review_view(request: HttpRequest, pk: int, nomination_pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    award = _managed_award(request, pk)
    nomination = get_nomination(viewer, award, nomination_pk)
    form = ReviewForm(request.POST, prefix="review")
    if form.is_valid():
        try:
            services.nomination_review(
                nomination=nomination,
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data["note"],
                acting_user=viewer,
            )
        except ValidationError as exc:
            _error_messages(request, exc)
        else:
            messages.success(request, _("The review was recorded."))
    else:
        messages.error(request, _("Choose approve or reject."))
    return redirect("evaluations:award_detail", pk=award.pk)


@requires(MANAGE)
@require_POST
def award_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    award = _managed_award(request, pk)
    form = DateForm(request.POST, prefix="step")
    on = form.cleaned_data["on"] if form.is_valid() else None
    try:
        services.award_publish(award=award, on=on, acting_user=viewer)
    except ValidationError as exc:
        _error_messages(request, exc)
        return redirect("evaluations:award_detail", pk=award.pk)
    messages.success(request, _("The list was published."))
    return redirect("evaluations:award_published", pk=award.pk)


@requires(MANAGE)
@require_POST
def award_notice_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Put the reviewed list on public notice (公示), or move its dates."""
    viewer = viewer_of(request)
    award = _managed_award(request, pk)
    form = NoticeForm(request.POST, prefix="notice")
    done = submit(
        request,
        form,
        lambda: services.award_notice_set(award=award, **form.cleaned_data, acting_user=viewer),
        success=_("The list is on public notice."),
    )
    if done.ok:
        return redirect("evaluations:award_detail", pk=award.pk)
    context = _award_context(request, award, notice_form=form)
    return render(request, "evaluations/award_detail.html", context, status=422)


@requires(MANAGE)
@require_POST
def objection_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Record an objection raised during the public notice, with how it was settled."""
    viewer = viewer_of(request)
    award = _managed_award(request, pk)
    form = ObjectionForm(request.POST, prefix="objection")
    done = submit(
        request,
        form,
        lambda: services.objection_record(award=award, **form.cleaned_data, acting_user=viewer),
        success=_("The objection was recorded."),
    )
    if done.ok:
        return redirect("evaluations:award_detail", pk=award.pk)
    context = _award_context(request, award, objection_form=form)
    return render(request, "evaluations/award_detail.html", context, status=422)


@requires(MANAGE)
@require_POST
def from_winners_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The winners of a competition become nominations of this award (no duplicates)."""
    viewer = viewer_of(request)
    award = _managed_award(request, pk)
    form = FromWinnersForm(
        request.POST,
        prefix="winners",
        competitions=winner_competitions(viewer=viewer, award=award),
    )
    if not form.is_valid():
        context = _award_context(request, award, winners_form=form)
        return render(request, "evaluations/award_detail.html", context, status=422)
    try:
        done = services.nominations_from_winners(
            award=award, competition=form.chosen(), acting_user=viewer
        )
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(
            request,
            _(
                "%(n)s winners were nominated; %(already)s already on the list, "
                "%(unfit)s not of the kind this award honours."
            )
            % {"n": len(done.created), "already": done.already, "unfit": done.unfit},
        )
    return redirect("evaluations:award_detail", pk=award.pk)


@requires(VIEW)
def honour_roll_export(request: HttpRequest) -> HttpResponse:
    """光荣榜 of a published award (``?award=``) as an .xlsx; 404 for a missing award,
    one out of scope, or one not published yet."""
    award = get_award_for_viewer(viewer_of(request), int_or_none(request.GET.get("award")))
    if award.published_on is None:
        raise Http404
    return export_respond(request, "evaluations.honour_roll")


@requires(VIEW)
def award_published_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The published honour roll (表彰名单) of one award."""
    award = get_award_for_viewer(viewer_of(request), pk)
    if award.published_on is None:
        raise Http404
    printable = request.GET.get("print") == "1"
    return render(
        request,
        "evaluations/award_print.html" if printable else "evaluations/award_published.html",
        {
            "award": award,
            "honoured": list(published_list(award)),
            "published_text": chinese_date(award.published_on),
        },
    )
