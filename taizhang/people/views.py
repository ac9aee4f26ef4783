from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import AUTHENTICATED, requires
from taizhang.core.actors import viewer_of
from taizhang.core.exports import export_respond
from taizhang.core.forms import submit
from taizhang.core.registry import PERSON_SOURCES
from taizhang.organizations.models import OrgKind
from taizhang.organizations.permissions import ORGANIZATION
from taizhang.organizations.scope import has_function
from taizhang.organizations.selectors import get_organization_for_viewer
from taizhang.people.forms import (
    CommunityReportForm,
    PersonForm,
    PersonTransferForm,
    PositionAssignForm,
    PositionEndForm,
)
from taizhang.people.imports import KIND
from taizhang.people.models import Person, Position
from taizhang.people.permissions import COMMUNITY_REPORT, MANAGE, PERSON, can_view_personal
from taizhang.people.selectors import (
    community_reports,
    get_community_report_for_viewer,
    get_person_for_viewer,
    person_list,
    person_positions,
    person_transfers,
)
from taizhang.people.services import (
    community_report_create,
    community_report_end,
    person_create,
    person_reveal,
    person_transfer,
    position_assign,
    position_end,
)
from taizhang.people.widgets import PAGE, search_candidates


def list_filters(viewer: Any, get: Any) -> dict[str, Any]:
    """The list's filters from the query string; the export reads the same ones."""
    org = get_organization_for_viewer(viewer, get["org"]) if get.get("org") else None
    return {
        "q": get.get("q", "").strip()[:60],
        "subtree_of": org,
        "external": True if get.get("external") == "1" else None,
    }


@requires("people.view")
def person_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    filters = list_filters(viewer, request.GET)
    q, org, external = filters["q"], filters["subtree_of"], filters["external"]
    persons = person_list(viewer=viewer, **filters).order_by("organization__path", "name")
    page = Paginator(persons, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "people/list.html",
        {
            "page": page,
            "q": q,
            "org": org,
            "external": external,
            "can_create": PERSON.org_choices(viewer).exists(),
            "can_import": viewer.has_function(MANAGE),
            # Units to narrow the list to (their whole subtree); branches are left out to
            # keep the picker short, their people show under the unit above.
            "org_options": ORGANIZATION.queryset(viewer)
            .exclude(kind=OrgKind.BRANCH)
            .order_by("path")
            .only("pk", "short_name", "depth"),
        },
    )


@requires("people.view")
def person_export(request: HttpRequest) -> HttpResponse:
    """The filtered register as an .xlsx (a background task when it is large); personal
    data masked unless the viewer may see it, and then audited as a reveal."""
    return export_respond(request, KIND)


@requires("people.manage")
def person_create_view(request: HttpRequest) -> HttpResponse:
    """Record a person, internal or external, where the clerk keeps the register."""
    viewer = viewer_of(request)
    form = PersonForm(request.POST or None, viewer=viewer)
    done = submit(
        request,
        form,
        lambda: person_create(acting_user=viewer, **form.cleaned_data),
        success=_("The person has been recorded."),
    )
    if done.ok and done.result is not None:
        return redirect("people:detail", pk=done.result.pk)
    return render(request, "people/form.html", {"form": form})


def _render_detail(
    request: HttpRequest,
    person: Person,
    *,
    assign_form: PositionAssignForm | None = None,
    end_form: PositionEndForm | None = None,
    end_pk: int | None = None,
    status: int = 200,
) -> HttpResponse:
    viewer = viewer_of(request)
    positions = list(person_positions(viewer=viewer, person=person))
    manage = PERSON.scope(viewer, PERSON.manage)
    for position in positions:
        position.can_end = position.end_date is None and manage.covers(position.organization)  # type: ignore[attr-defined]
        if position.can_end:  # type: ignore[attr-defined]
            # One small form per open position; distinct ids keep the labels apart.
            position.end_form = (  # type: ignore[attr-defined]
                end_form
                if end_form is not None and position.pk == end_pk
                else PositionEndForm(auto_id=f"id_pos{position.pk}_%s")
            )
    can_appoint = PERSON.org_choices(viewer).exists()
    return render(
        request,
        "people/detail.html",
        {
            "person": person,
            "can_reveal": can_view_personal(viewer, person),
            "positions": positions,
            "transfers": list(person_transfers(viewer=viewer, person=person)),
            "can_appoint": can_appoint,
            "can_transfer": PERSON.can_manage(viewer, person),
            "assign_form": assign_form
            or (PositionAssignForm(viewer=viewer) if can_appoint else None),
            "end_pk": end_pk,
        },
        status=status,
    )


@requires("people.view")
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, get_person_for_viewer(viewer_of(request), pk))


@requires("people.manage")
@require_POST
def position_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    """任免: appoint the person to a position in an organization the clerk manages."""
    viewer = viewer_of(request)
    person = get_person_for_viewer(viewer, pk)
    form = PositionAssignForm(request.POST, viewer=viewer)
    done = submit(
        request,
        form,
        lambda: position_assign(person=person, acting_user=viewer, **form.cleaned_data),
        success=_("The appointment has been recorded."),
    )
    if done.ok:
        return redirect("people:detail", pk=person.pk)
    return _render_detail(request, person, assign_form=form, status=422)


@requires("people.manage")
@require_POST
def position_end_view(request: HttpRequest, pk: int, position_pk: int) -> HttpResponse:
    """End one of the person's positions (in an organization the clerk manages)."""
    viewer = viewer_of(request)
    person = get_person_for_viewer(viewer, pk)
    position = get_object_or_404(Position, pk=position_pk, person=person)
    form = PositionEndForm(request.POST, auto_id=f"id_pos{position.pk}_%s")
    done = submit(
        request,
        form,
        lambda: position_end(position=position, acting_user=viewer, **form.cleaned_data),
        success=_("The position has been ended."),
    )
    if done.ok:
        return redirect("people:detail", pk=person.pk)
    return _render_detail(request, person, end_form=form, end_pk=position.pk, status=422)


@requires("people.manage")
def person_transfer_view(request: HttpRequest, pk: int) -> HttpResponse:
    """调动: move the record to another organization the clerk also manages."""
    viewer = viewer_of(request)
    person = get_person_for_viewer(viewer, pk)
    if not PERSON.can_manage(viewer, person):
        raise PermissionDenied
    form = PersonTransferForm(request.POST or None, viewer=viewer, exclude=person.organization)
    done = submit(
        request,
        form,
        lambda: person_transfer(person=person, acting_user=viewer, **form.cleaned_data),
        success=_("The person has been transferred."),
    )
    if done.ok:
        return redirect("people:detail", pk=person.pk)
    return render(request, "people/transfer.html", {"person": person, "form": form})


@requires("people.view_personal")
@require_POST
def person_reveal_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the unmasked personal data in place; the reveal is audited."""
    viewer = viewer_of(request)
    person = get_person_for_viewer(viewer, pk)
    revealed = person_reveal(person=person, acting_user=viewer)
    if revealed is None:
        raise PermissionDenied
    return render(request, "people/_personal.html", {"person": person, "revealed": revealed})


@requires("people.view")
def community_report_list(request: HttpRequest, org_id: int) -> HttpResponse:
    """双报到 at one community: who reported and is serving now, and the form that
    records a new report (for whoever keeps the community's people)."""
    viewer = viewer_of(request)
    community = get_organization_for_viewer(viewer, org_id)
    can_record = COMMUNITY_REPORT.scope(viewer, COMMUNITY_REPORT.manage).covers(community)
    form = CommunityReportForm(request.POST or None)
    done = submit(
        request,
        form,
        lambda: community_report_create(
            community=community,
            reported_on=form.cleaned_data["reported_on"],
            name=form.cleaned_data["name"],
            mobile=form.cleaned_data["mobile"],
            acting_user=viewer,
        ),
        success=_("The report has been recorded."),
    )
    if done.ok:
        return redirect("people:community_reports", org_id=community.pk)
    return render(
        request,
        "people/community_reports.html",
        {
            "community": community,
            "reports": community_reports(viewer=viewer, community=community),
            "form": form,
            "can_record": can_record,
        },
    )


@requires("people.manage")
@require_POST
def community_report_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    """End a report today: from now on the community no longer sees the member."""
    viewer = viewer_of(request)
    report = get_community_report_for_viewer(viewer, pk)
    community_report_end(report=report, ended_on=timezone.localdate(), acting_user=viewer)
    messages.success(request, _("The report has been ended."))
    return redirect(reverse("people:community_reports", kwargs={"org_id": report.community_id}))


@requires(AUTHENTICATED)
def person_pick(request: HttpRequest) -> HttpResponse:
    """Suggestions for the person picker (``people/widgets.py``): at most ``PAGE``
    candidates of a registered source whose name contains the typed text. The source
    decides who may be named; a viewer without its permission gets a 403."""
    viewer = viewer_of(request)
    source = PERSON_SOURCES.get(request.GET.get("source", ""))
    if source is None or not has_function(viewer, source.permission):
        raise PermissionDenied
    field = request.GET.get("field", "")
    text = request.GET.get("q") or (request.GET.get(field, "") if field else "")
    found, more = search_candidates(viewer, source.name, text)
    context = {
        "found": found,
        "more": more,
        "page": PAGE,
        "target": request.GET.get("target", ""),
        "q": text,
    }
    return render(request, "people/_pick.html", context)
