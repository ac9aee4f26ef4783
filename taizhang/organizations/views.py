from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import requires
from taizhang.organizations.forms import MoveForm, RenameForm
from taizhang.organizations.models import Organization
from taizhang.organizations.scope import scope_for
from taizhang.organizations.selectors import (
    get_organization_for_viewer,
    organization_breadcrumbs,
    organization_children,
    organization_roots,
)
from taizhang.organizations.services import organization_move, organization_rename
from taizhang.people.selectors import current_positions

VIEW = "organizations.view"
MANAGE = "organizations.manage"


def _detail_context(request: HttpRequest, org: Organization) -> dict[str, Any]:
    viewer: Any = request.user
    return {
        "org": org,
        "breadcrumbs": organization_breadcrumbs(viewer=viewer, org=org),
        "children": organization_children(viewer=viewer, parent=org),
        "positions": list(current_positions(viewer=viewer, organization=org)),
        "groupings": list(org.groupings.all()),
        "why": scope_for(viewer, VIEW).explain(org),
        "can_manage": scope_for(viewer, MANAGE).covers(org),
        "rename_form": RenameForm(
            prefix="rename", initial={"name": org.name, "short_name": org.short_name}
        ),
        "move_form": MoveForm(prefix="move"),
    }


@requires(VIEW)
def tree(request: HttpRequest) -> HttpResponse:
    """The tree browser: the viewer's top organizations, one of them opened on the right."""
    viewer: Any = request.user
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
    viewer: Any = request.user
    parent = get_organization_for_viewer(viewer, pk)
    nodes = organization_children(viewer=viewer, parent=parent)
    return render(request, "organizations/_nodes.html", {"nodes": nodes})


@requires(VIEW)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer: Any = request.user
    org = get_organization_for_viewer(viewer, pk)
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect(f"{reverse('organizations:tree')}?org={org.pk}")
    return render(request, "organizations/_detail.html", _detail_context(request, org))


def _managed(request: HttpRequest, pk: int) -> Organization:
    viewer: Any = request.user
    org = get_organization_for_viewer(viewer, pk)
    if not scope_for(viewer, MANAGE).covers(org):
        raise Http404
    return org


def _report(request: HttpRequest, form: Any, error: ValidationError | None = None) -> None:
    problems = [str(m) for m in error.messages] if error else []
    problems += [str(m) for errors in form.errors.values() for m in errors]
    for problem in problems:
        messages.error(request, problem)


@requires(MANAGE)
@require_POST
def rename(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename an organization from a date; the old name stays in its history."""
    org = _managed(request, pk)
    form = RenameForm(request.POST, prefix="rename")
    if form.is_valid():
        try:
            organization_rename(
                organization=org,
                name=form.cleaned_data["name"],
                short_name=form.cleaned_data["short_name"],
                effective=form.cleaned_data["effective"],
                reason=form.cleaned_data["reason"],
                acting_user=request.user,
            )
        except ValidationError as error:
            _report(request, form, error)
        else:
            messages.success(request, _("The organization has been renamed."))
    else:
        _report(request, form)
    return redirect(f"{reverse('organizations:tree')}?org={org.pk}")


@requires(MANAGE)
@require_POST
def move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move an organization and its subtree under another parent in the manager's scope."""
    org = _managed(request, pk)
    form = MoveForm(request.POST, prefix="move")
    if form.is_valid():
        target = Organization.objects.filter(code=form.cleaned_data["new_parent_code"]).first()
        if target is None or not scope_for(request.user, MANAGE).covers(target):
            messages.error(request, _("No organization with this code in your scope."))
        else:
            try:
                organization_move(
                    organization=org,
                    new_parent=target,
                    effective=form.cleaned_data["effective"],
                    reason=form.cleaned_data["reason"],
                    acting_user=request.user,
                )
            except ValidationError as error:
                _report(request, form, error)
            else:
                messages.success(request, _("The organization has been moved."))
    else:
        _report(request, form)
    return redirect(f"{reverse('organizations:tree')}?org={org.pk}")
