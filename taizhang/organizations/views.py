from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import requires
from taizhang.core.actors import Actor
from taizhang.core.forms import submit
from taizhang.organizations.forms import MoveForm, RenameForm
from taizhang.organizations.models import Organization
from taizhang.organizations.permissions import MANAGE, ORGANIZATION, VIEW
from taizhang.organizations.selectors import (
    get_organization_for_viewer,
    organization_breadcrumbs,
    organization_children,
    organization_roots,
)
from taizhang.organizations.services import organization_move, organization_rename
from taizhang.people.permissions import PERSON
from taizhang.people.selectors import current_positions


def _detail_context(request: HttpRequest, org: Organization) -> dict[str, Any]:
    viewer: Actor = request.user  # type: ignore[assignment]
    return {
        "org": org,
        "breadcrumbs": organization_breadcrumbs(viewer=viewer, org=org),
        "children": organization_children(viewer=viewer, parent=org),
        "positions": list(current_positions(viewer=viewer, organization=org)),
        "sees_people": PERSON.scope(viewer).covers(org),
        "groupings": list(org.groupings.all()),
        "why": ORGANIZATION.explain(viewer, org),
        "can_manage": ORGANIZATION.can_manage(viewer, org),
        "rename_form": RenameForm(
            prefix="rename", initial={"name": org.name, "short_name": org.short_name}
        ),
        "move_form": MoveForm(prefix="move", viewer=viewer),
    }


@requires(VIEW)
def tree(request: HttpRequest) -> HttpResponse:
    """The tree browser: the viewer's top organizations, one of them opened on the right."""
    viewer: Actor = request.user  # type: ignore[assignment]
    roots = organization_roots(viewer=viewer)
    selected_id = request.GET.get("org")
    selected = get_organization_for_viewer(viewer, selected_id) if selected_id else None
    if selected is None and roots:
        selected = roots[0]
    context: dict[str, Any] = {"roots": roots}
    if selected is not None:
        context.update(_detail_context(request, selected))
    return render(request, "organizations/tree.html", context)


@requires(VIEW)
def children(request: HttpRequest, pk: int) -> HttpResponse:
    """The children of one node, as a nested list for htmx to expand in place."""
    viewer: Actor = request.user  # type: ignore[assignment]
    parent = get_organization_for_viewer(viewer, pk)
    nodes = organization_children(viewer=viewer, parent=parent)
    return render(request, "organizations/_nodes.html", {"nodes": nodes})


@requires(VIEW)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer: Actor = request.user  # type: ignore[assignment]
    org = get_organization_for_viewer(viewer, pk)
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect(f"{reverse('organizations:tree')}?org={org.pk}")
    return render(request, "organizations/_detail.html", _detail_context(request, org))


def _report(request: HttpRequest, form: Any) -> None:
    """The rename and move forms live on the tree page: their errors become messages."""
    for errors in form.errors.values():
        for problem in errors:
            messages.error(request, str(problem))


def _back_to(org: Organization) -> HttpResponse:
    return redirect(f"{reverse('organizations:tree')}?org={org.pk}")


@requires(MANAGE)
@require_POST
def rename(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename an organization from a date; the old name stays in its history. The
    service refuses an organization outside the manager's part of the tree."""
    viewer: Actor = request.user  # type: ignore[assignment]
    org = get_organization_for_viewer(viewer, pk)
    form = RenameForm(request.POST, prefix="rename")
    done = submit(
        request,
        form,
        lambda: organization_rename(
            organization=org,
            name=form.cleaned_data["name"],
            short_name=form.cleaned_data["short_name"],
            effective=form.cleaned_data["effective"],
            reason=form.cleaned_data["reason"],
            acting_user=viewer,
        ),
        success=_("The organization has been renamed."),
    )
    if not done.ok:
        _report(request, form)
    return _back_to(org)


@requires(MANAGE)
@require_POST
def move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move an organization and its subtree under another parent in the manager's scope."""
    viewer: Actor = request.user  # type: ignore[assignment]
    org = get_organization_for_viewer(viewer, pk)
    form = MoveForm(request.POST, prefix="move", viewer=viewer)
    done = submit(
        request,
        form,
        lambda: organization_move(
            organization=org,
            new_parent=form.cleaned_data["new_parent_code"],
            effective=form.cleaned_data["effective"],
            reason=form.cleaned_data["reason"],
            acting_user=viewer,
        ),
        success=_("The organization has been moved."),
    )
    if not done.ok:
        _report(request, form)
    return _back_to(org)
