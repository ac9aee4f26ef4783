"""Pages of the report review: the intakes, a new report, and the review of its drafts.

The review page shows the cleaned text with every cited sentence marked and the drafts
grouped by kind, each with its fields to correct and its Confirm and Drop buttons (one
form per draft: the Drop button posts the same form elsewhere, so no script is needed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from taizhang.activities.forms import managed_orgs
from taizhang.activities.models import ActivityKind
from taizhang.core.access import requires
from taizhang.core.actors import Actor, viewer_of
from taizhang.core.forms import submit
from taizhang.core.jobs import job_reap, job_snapshot
from taizhang.core.registry import Label
from taizhang.extraction import services
from taizhang.extraction.forms import (
    IntakeForm,
    activity_defaults,
    draft_input,
    person_defaults,
)
from taizhang.extraction.kinds import KINDS
from taizhang.extraction.kinds import choices as kind_choices
from taizhang.extraction.labels import DRAFT_KINDS
from taizhang.extraction.models import Draft, DraftState, IntakeState, ReportIntake
from taizhang.extraction.permissions import INTAKE, MANAGE, VIEW
from taizhang.extraction.selectors import (
    get_draft_for_viewer,
    get_intake_for_viewer,
    intake_drafts,
    intake_list,
)
from taizhang.people.models import Gender
from taizhang.people.permissions import PERSON

PAGE_SIZE = 50
# Where a confirmed draft's record is shown.
OBJECT_PAGES = {
    "activities.activity": "activities:detail",
    "people.person": "people:detail",
    "projects.project": "projects:detail",
    "trainings.trainingclass": "trainings:detail",
    "investment.lead": "investment:lead_detail",
    "pairing.partnership": "pairing:partnership_detail",
    "evaluations.award": "evaluations:award_detail",
}
RUNNING = {IntakeState.QUEUED, IntakeState.EXTRACTING}

FIELD_LABELS: dict[str, Label] = {
    "name": pgettext_lazy("report extraction", "Name"),
    "title": pgettext_lazy("report extraction", "Title"),
    "kind": pgettext_lazy("report extraction", "Kind"),
    "date": pgettext_lazy("report extraction", "Date"),
    "place": pgettext_lazy("report extraction", "Place"),
    "leaders": pgettext_lazy("report extraction", "Leaders present"),
    "candidates": pgettext_lazy("report extraction", "Possible units"),
    "investment_yuan": pgettext_lazy("report extraction", "Investment (yuan)"),
    "area_m2": pgettext_lazy("report extraction", "Area (m²)"),
    "capacity": pgettext_lazy("report extraction", "Capacity"),
    "stage": pgettext_lazy("report extraction", "Stage"),
    "metric": pgettext_lazy("report extraction", "Metric"),
    "value": pgettext_lazy("report extraction", "Value"),
    "unit": pgettext_lazy("report extraction", "Unit"),
    "approximate": pgettext_lazy("report extraction", "Approximate (余)"),
    "period": pgettext_lazy("report extraction", "Period"),
}
HIDDEN_FACTS = {"org_ids"}


@dataclass
class Input:
    """One editable value of a draft card."""

    name: str
    label: Any
    kind: str  # "text", "date" or "select"
    value: str
    options: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    required: bool = False


@dataclass
class Card:
    draft: Draft
    inputs: list[Input]
    facts: list[tuple[Any, str]]
    errors: list[str]
    link: str
    confirmable: bool
    compared: dict[str, Any] | None = None


@dataclass
class Segment:
    text: str
    mark: str = ""
    drafts: list[int] = field(default_factory=list)


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return "、".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_plain(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def _facts(draft: Draft) -> list[tuple[Any, str]]:
    return [
        (FIELD_LABELS.get(key, key), _plain(value))
        for key, value in (draft.fields or {}).items()
        if key not in HIDDEN_FACTS and value not in (None, "", [])
    ]


def _link(draft: Draft) -> str:
    name = OBJECT_PAGES.get(draft.object_type)
    if not name or not draft.object_id:
        return ""
    try:
        return reverse(name, kwargs={"pk": int(draft.object_id)})
    except (NoReverseMatch, ValueError):
        return ""


def _segments(text: str, drafts: list[Draft]) -> list[Segment]:
    """The text cut at the cited sentences, each sentence a mark the cards link to."""
    spans: dict[tuple[int, int], list[int]] = {}
    for draft in drafts:
        if 0 <= draft.start < draft.end <= len(text):
            spans.setdefault((draft.start, draft.end), []).append(draft.pk)
    segments: list[Segment] = []
    position = 0
    for (start, end), ids in sorted(spans.items()):
        if start < position:
            continue  # overlapping citations: the first one is marked
        if start > position:
            segments.append(Segment(text[position:start]))
        segments.append(Segment(text[start:end], mark=f"s-{start}", drafts=ids))
        position = end
    if position < len(text):
        segments.append(Segment(text[position:]))
    return segments


def _with_errors(inputs: list[Input], errors: dict[str, list[str]]) -> list[str]:
    """Put each error on its input; what no input shows is the card's."""
    names = {i.name for i in inputs}
    for i in inputs:
        i.errors = list(errors.get(i.name, []))
    return [m for key, msgs in errors.items() if key not in names for m in msgs]


class _Choices:
    """What the cards' drop-downs offer, fetched once per page and only when needed."""

    def __init__(self, viewer: Actor, drafts: list[Draft]) -> None:
        pending = [d for d in drafts if d.state == DraftState.PENDING]
        self.kinds: list[tuple[str, str]] = []
        self.kind_ids: dict[str, int] = {}
        self.orgs: list[tuple[str, str]] = []
        self.persons: dict[str, list[tuple[str, str]]] = {}
        if any(d.kind == "activity" for d in pending):
            rows = list(ActivityKind.objects.filter(is_active=True).order_by("sort_order", "pk"))
            self.kinds = [(str(k.pk), k.name) for k in rows]
            self.kind_ids = {k.code: k.pk for k in rows}
        if any(d.kind == "activity" or d.kind in KINDS for d in pending):
            # One list of units for every card: each module's form refuses a unit
            # outside its own right there (a field error on the card).
            self.orgs = [
                (str(o.pk), "　" * max(o.depth - 1, 0) + o.short_name)
                for o in managed_orgs(viewer).only("pk", "depth", "short_name")
            ]
        self.more = kind_choices(viewer, pending, self.orgs)
        names = {str(d.fields.get("name") or "") for d in pending if d.kind == "person"}
        names.discard("")
        if names:
            found = (
                PERSON.queryset(viewer)
                .filter(name__in=names)
                .select_related("organization")
                .order_by("name", "pk")
            )
            for person in found:
                label = f"{person.name}（{person.organization.short_name}）"
                self.persons.setdefault(person.name, []).append((str(person.pk), label))


def _inputs(draft: Draft, choices: _Choices, values: dict[str, str]) -> list[Input]:
    if draft.kind == "activity":
        v = {**activity_defaults(draft, choices.kind_ids), **values}
        orgs = choices.orgs
        if v["org"] not in {pk for pk, _label in orgs}:
            orgs = [("", "—"), *orgs]
        return [
            Input("org", _("Holding organization"), "select", v["org"], orgs, required=True),
            Input(
                "kind",
                _("Activity kind"),
                "select",
                v["kind"],
                [("", "—"), *choices.kinds],
                required=True,
            ),
            Input("title", _("Topic"), "text", v["title"], required=True),
            Input("held_on", _("Date held"), "date", v["held_on"], required=True),
            Input("venue", _("Venue"), "text", v["venue"]),
        ]
    if draft.kind == "person":
        v = {**person_defaults(draft), **values}
        genders = [("", "—"), *[(str(c), str(label)) for c, label in Gender.choices]]
        linked = [("", _("Add as an external person")), *choices.persons.get(v["name"], [])]
        return [
            Input("person", _("Person"), "select", v["person"], linked),
            Input("name", pgettext_lazy("report extraction", "Name"), "text", v["name"]),
            Input("gender", _("Gender"), "select", v["gender"], genders),
            Input("affiliation", _("Affiliation"), "text", v["affiliation"]),
        ]
    if draft.kind in KINDS:
        spec = KINDS[draft.kind]
        v = {**spec.defaults(draft), **values}
        inputs = []
        for f in spec.inputs(draft, v):
            options = choices.more.options(f.options, draft) if f.type == "select" else []
            value = v.get(f.name, "")
            if f.type == "select" and value not in {pk for pk, _label in options}:
                value = ""  # every list starts with an empty choice
            inputs.append(Input(f.name, f.label, f.type, value, options, required=f.required))
        return inputs
    return []


def _review_context(
    request: HttpRequest,
    intake: ReportIntake,
    *,
    errors: dict[int, dict[str, list[str]]] | None = None,
    values: dict[int, dict[str, str]] | None = None,
) -> dict[str, Any]:
    viewer = viewer_of(request)
    job = intake.job
    if job is not None and intake.state in RUNNING:
        job = job_reap(job)
        if job.finished:
            intake.refresh_from_db()
    drafts = intake_drafts(intake) if intake.state not in RUNNING else []
    can_manage = INTAKE.can_manage(viewer, intake)
    choices = _Choices(viewer, drafts) if can_manage else None
    cards: dict[str, list[Card]] = {kind: [] for kind in DRAFT_KINDS}
    for draft in drafts:
        pending = draft.state == DraftState.PENDING
        inputs = (
            _inputs(draft, choices, (values or {}).get(draft.pk, {}))
            if pending and choices is not None
            else []
        )
        card_errors = _with_errors(inputs, (errors or {}).get(draft.pk, {}))
        card = Card(
            draft=draft,
            inputs=inputs,
            facts=_facts(draft),
            errors=card_errors,
            link=_link(draft),
            confirmable=draft.kind in services.CONFIRMABLE,
        )
        cards.setdefault(draft.kind, []).append(card)
    _compare_figures(viewer, cards.get("reported_figure", []))
    counts = {state: sum(d.state == state for d in drafts) for state in DraftState.values}
    groups = [
        {"kind": kind, "label": DRAFT_KINDS.get(kind, kind), "cards": found}
        for kind, found in cards.items()
        if found
    ]
    own_job = job is not None and job.created_by_id == getattr(viewer, "pk", None)
    return {
        "intake": intake,
        "job": job,
        "own_job": own_job,
        "snapshot": job_snapshot(job) if job is not None else None,
        "running": intake.state in RUNNING,
        "segments": _segments(intake.text, drafts),
        "groups": groups,
        "counts": counts,
        "can_manage": can_manage,
    }


def _compare_figures(viewer: Actor, cards: list[Card]) -> None:
    """Put beside each figure what the records say for its unit and period (one query
    for the units, one per figure compared)."""
    from taizhang.extraction.compare import compare
    from taizhang.extraction.kinds import KINDS as SPECS
    from taizhang.organizations.models import Organization

    wanted: list[tuple[Card, str, str, str]] = []
    for card in cards:
        draft = card.draft
        confirmed = (draft.fields or {}).get("confirmed")
        if confirmed:
            org, start, end = (
                str(confirmed["org"]),
                confirmed["period_start"],
                confirmed["period_end"],
            )
        else:
            values = {i.name: i.value for i in card.inputs} or SPECS[draft.kind].defaults(draft)
            org, start, end = values["org"], values["period_start"], values["period_end"]
            offered = {pk for i in card.inputs if i.name == "org" for pk, _label in i.options}
            if card.inputs and org not in offered:
                continue  # only a unit the card offers is named beside the figure
        if org.isdigit() and start and end:
            wanted.append((card, org, start, end))
    if not wanted:
        return
    orgs = Organization.objects.in_bulk({int(org) for _card, org, _s, _e in wanted})
    cache: dict[Any, Any] = {}
    for card, org, start, end in wanted:
        found = compare(
            viewer, card.draft, org=orgs.get(int(org)), start=start, end=end, cache=cache
        )
        if found is not None:
            card.compared = {"metric": found.metric, "text": found.text, "differs": found.differs}


@requires(VIEW)
def intake_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    intakes = intake_list(viewer=viewer)[:PAGE_SIZE]
    return render(
        request,
        "extraction/list.html",
        {"intakes": intakes, "can_create": request.user.has_function(MANAGE)},  # type: ignore[union-attr]
    )


@requires(MANAGE)
def intake_create_view(request: HttpRequest) -> HttpResponse:
    """Paste or upload a report; its extraction runs in the background."""
    viewer = viewer_of(request)
    form = IntakeForm(request.POST or None, request.FILES or None, viewer=viewer)

    def bring_in() -> ReportIntake:
        d = form.cleaned_data
        upload = d.get("file")
        return services.intake_create(
            org=d["org"],
            title=d["title"],
            text=d.get("text") or "",
            file_name=upload.name if upload else "",
            content=upload.read() if upload else b"",
            report_year=d.get("report_year"),
            acting_user=viewer,
        )

    done = submit(request, form, bring_in)
    if done.result is not None:
        return redirect("extraction:detail", pk=done.result.pk)
    return render(request, "extraction/form.html", {"form": form})


@requires(VIEW)
def intake_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The review page: progress while the extraction runs, then the drafts."""
    intake = get_intake_for_viewer(viewer_of(request), pk)
    context = _review_context(request, intake)
    if getattr(request, "htmx", False):
        if context["running"]:
            return render(request, "extraction/_progress.html", context)
        # The extraction ended while the page polled: show the whole review.
        return HttpResponse(headers={"HX-Refresh": "true"})
    return render(request, "extraction/review.html", context)


def _back(draft: Draft) -> HttpResponse:
    return redirect(reverse("extraction:detail", kwargs={"pk": draft.intake_id}) + f"#d-{draft.pk}")


@require_POST
@requires(MANAGE)
def draft_confirm_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm one draft with the values on its card: a refused value is shown on it."""
    viewer = viewer_of(request)
    draft = get_draft_for_viewer(viewer, pk)
    posted = {k: str(v) for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    try:
        data = draft_input(draft, posted, viewer)
        services.draft_confirm(draft=draft, data=data, acting_user=viewer)
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            messages.error(request, "；".join(error.messages))
            return _back(draft)
        messages.error(request, _("The draft was not confirmed: correct the marked values."))
        context = _review_context(
            request,
            draft.intake,
            errors={draft.pk: error.message_dict},
            values={draft.pk: posted},
        )
        return render(request, "extraction/review.html", context)
    messages.success(request, _("The draft is confirmed and its record written."))
    return _back(draft)


def _card_values(request: HttpRequest, pk: int) -> dict[str, str]:
    """The values of one card of the review form (its inputs are named ``d<pk>-<name>``)."""
    prefix = f"d{pk}-"
    return {k[len(prefix) :]: str(v) for k, v in request.POST.items() if k.startswith(prefix)}


def _selected(request: HttpRequest) -> set[int]:
    return {int(v) for v in request.POST.getlist("selected") if str(v).isdigit()}


@require_POST
@requires(MANAGE)
def intake_decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The review form, one POST: confirm or drop one card (``confirm``/``drop`` = its id),
    or several (``bulk`` = ``confirm_all``, ``confirm_selected``, ``drop_selected``).
    Each draft is decided in its own savepoint, so one refused draft undoes no other;
    a refused one keeps its card's values and shows why."""
    viewer = viewer_of(request)
    intake = get_intake_for_viewer(viewer, pk)
    INTAKE.require(viewer, intake)
    pending = [d for d in intake_drafts(intake) if d.state == DraftState.PENDING]
    bulk = request.POST.get("bulk", "")
    one_confirm, one_drop = request.POST.get("confirm", ""), request.POST.get("drop", "")
    if one_confirm.isdigit():
        to_confirm, to_drop = {int(one_confirm)}, set()
    elif one_drop.isdigit():
        to_confirm, to_drop = set(), {int(one_drop)}
    elif bulk == "confirm_all":
        to_confirm, to_drop = {d.pk for d in pending}, set()
    elif bulk == "confirm_selected":
        to_confirm, to_drop = _selected(request), set()
    elif bulk == "drop_selected":
        to_confirm, to_drop = set(), _selected(request)
    else:
        to_confirm, to_drop = set(), set()
    if not to_confirm and not to_drop:
        messages.error(request, _("Choose the drafts to decide."))
        return redirect("extraction:detail", pk=intake.pk)
    errors: dict[int, dict[str, list[str]]] = {}
    values: dict[int, dict[str, str]] = {}
    confirmed = dropped = 0
    for draft in pending:
        if draft.pk in to_drop:
            services.draft_drop(draft=draft, acting_user=viewer)
            dropped += 1
            continue
        if draft.pk not in to_confirm:
            continue
        posted = _card_values(request, draft.pk)
        try:
            with transaction.atomic():  # this draft's savepoint
                data = draft_input(draft, posted, viewer)
                services.draft_confirm(draft=draft, data=data, acting_user=viewer)
        except ValidationError as error:
            errors[draft.pk] = (
                error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
            )
            values[draft.pk] = posted
            continue
        except PermissionDenied as error:
            errors[draft.pk] = {"": [str(error) or _("You may not write this record.")]}
            values[draft.pk] = posted
            continue
        confirmed += 1
    if errors:
        messages.error(
            request,
            _(
                "%(confirmed)d confirmed, %(failed)d could not be confirmed "
                "(see each draft for the reason)."
            )
            % {"confirmed": confirmed, "failed": len(errors)},
        )
        intake.refresh_from_db()
        context = _review_context(request, intake, errors=errors, values=values)
        return render(request, "extraction/review.html", context)
    if confirmed:
        messages.success(request, _("%(count)d confirmed.") % {"count": confirmed})
    if dropped:
        messages.success(
            request, _("%(count)d dropped; nothing was written for them.") % {"count": dropped}
        )
    return redirect("extraction:detail", pk=intake.pk)


@require_POST
@requires(MANAGE)
def draft_drop_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    draft = get_draft_for_viewer(viewer, pk)
    try:
        services.draft_drop(draft=draft, acting_user=viewer)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, _("The draft is dropped; nothing was written for it."))
    return _back(draft)
