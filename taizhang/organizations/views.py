from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import login_required, requires
from taizhang.core.actors import viewer_of
from taizhang.core.exports import export_respond
from taizhang.core.forms import int_or_none, submit
from taizhang.core.registry import ORG_SOURCES, PERMISSIONS
from taizhang.core.versions import seen_version, version_of
from taizhang.organizations.forms import (
    CloseForm,
    CreateChildForm,
    GroupingForm,
    MemberAddForm,
    MemberEndForm,
    MergeForm,
    MoveForm,
    RenameForm,
    ReorderForm,
)
from taizhang.organizations.models import GroupingMembership, Organization
from taizhang.organizations.permissions import GROUPING, MANAGE, ORGANIZATION, VIEW
from taizhang.organizations.scope import has_function
from taizhang.organizations.selectors import (
    get_grouping_for_viewer,
    get_organization_for_viewer,
    grouping_list,
    grouping_memberships,
    groupings_of,
    organization_breadcrumbs,
    organization_children,
    organization_children_in,
    organization_roots,
    organization_search,
)
from taizhang.organizations.services import (
    grouping_create,
    grouping_member_add,
    grouping_member_end,
    organization_close,
    organization_create,
    organization_merge,
    organization_move,
    organization_rename,
    organization_reorder,
)
from taizhang.people.permissions import PERSON
from taizhang.people.selectors import current_positions


def _detail_context(request: HttpRequest, org: Organization) -> dict[str, Any]:
    viewer = viewer_of(request)
    # Read first (it reloads ``org``), so the rename form's values are not older.
    version = seen_version(request, org) if request.method != "POST" else version_of(org)
    return {
        "org": org,
        "version": version,
        "breadcrumbs": organization_breadcrumbs(viewer=viewer, org=org),
        "children": organization_children(viewer=viewer, parent=org),
        "positions": list(current_positions(viewer=viewer, organization=org)),
        "sees_people": PERSON.scope(viewer).covers(org),
        "groupings": groupings_of(viewer=viewer, organization=org, on=timezone.localdate()),
        "why": ORGANIZATION.explain(viewer, org),
        "can_manage": ORGANIZATION.can_manage(viewer, org),
        "rename_form": RenameForm(
            prefix="rename", initial={"name": org.name, "short_name": org.short_name}
        ),
        "move_form": MoveForm(prefix="move", viewer=viewer),
        "child_form": CreateChildForm(prefix="child", parent_kind=org.kind),
        "close_form": CloseForm(prefix="close"),
        "merge_form": MergeForm(prefix="merge", viewer=viewer),
    }


def list_filters(viewer: Any, get: Any) -> dict[str, Any]:
    """The tree page's filters from the query string (the opened unit, the search box);
    the export reads the same ones. A unit outside the scope is the same 404 as none."""
    org = get.get("org")
    return {
        "subtree_of": get_organization_for_viewer(viewer, org) if org else None,
        "q": get.get("q", "").strip()[:60],
    }


@requires(VIEW)
def tree(request: HttpRequest) -> HttpResponse:
    """The tree browser: the viewer's top organizations, one of them opened on the right."""
    viewer = viewer_of(request)
    roots = organization_roots(viewer=viewer)
    filters = list_filters(viewer, request.GET)
    selected = filters["subtree_of"]
    if selected is None and roots:
        selected = roots[0]
    q = filters["q"]
    context: dict[str, Any] = {
        "roots": roots,
        "q": q,
        "found": organization_search(viewer=viewer, q=q) if q else None,
        "can_import": has_function(viewer, MANAGE),
    }
    if selected is not None:
        context.update(_detail_context(request, selected))
    return render(request, "organizations/tree.html", context)


@requires(VIEW)
def organization_export(request: HttpRequest) -> HttpResponse:
    """The units the page shows (the opened unit's subtree, the search) as an .xlsx."""
    return export_respond(request, "organizations.organization")


@requires(VIEW)
def children(request: HttpRequest, pk: int) -> HttpResponse:
    """The children of one node, as a nested list for htmx to expand in place."""
    viewer = viewer_of(request)
    parent = get_organization_for_viewer(viewer, pk)
    nodes = organization_children(viewer=viewer, parent=parent)
    return render(request, "organizations/_nodes.html", {"nodes": nodes})


@requires(VIEW)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
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
    viewer = viewer_of(request)
    org = get_organization_for_viewer(viewer, pk)
    seen = seen_version(request, org)  # issue 19: another's change is shown, not lost
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
            version=seen,
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
    viewer = viewer_of(request)
    org = get_organization_for_viewer(viewer, pk)
    form = MoveForm(request.POST, prefix="move", viewer=viewer)
    done = submit(
        request,
        form,
        lambda: organization_move(
            organization=org,
            new_parent=form.cleaned_data["new_parent"],
            effective=form.cleaned_data["effective"],
            reason=form.cleaned_data["reason"],
            acting_user=viewer,
        ),
        success=_("The organization has been moved."),
    )
    if not done.ok:
        _report(request, form)
    return _back_to(org)


@login_required
def pick(request: HttpRequest) -> HttpResponse:
    """Suggestions for the organization picker: at most 20 organizations matching the
    typed text where the viewer holds ``purpose`` (a registered function), or among the
    candidates of a registered ``source``; open ones only, each with its path. Holding no
    such function anywhere (or not the source's permission) is a 403."""
    viewer = viewer_of(request)
    field = request.GET.get("field", "")
    text = request.GET.get("q") or (request.GET.get(field, "") if field else "")
    source = ORG_SOURCES.get(request.GET.get("source", ""))
    if source is not None:
        # A module's own choice set (``core.registry.OrgSource``): its candidates only.
        if not has_function(viewer, source.permission):
            raise PermissionDenied
        found = organization_search(
            viewer=viewer, q=text[:60], open_only=True, within=source.candidates(viewer)
        )
    else:
        purpose = request.GET.get("purpose", "")
        if purpose not in PERMISSIONS or not has_function(viewer, purpose):
            raise PermissionDenied
        found = organization_search(viewer=viewer, q=text[:60], permission=purpose, open_only=True)
    return render(
        request,
        "organizations/_pick.html",
        {"found": found, "target": request.GET.get("target", ""), "q": text},
    )


@login_required
def pick_tree(request: HttpRequest) -> HttpResponse:
    """The organization picker's tree: the top units where the viewer holds ``purpose``,
    or one such unit's children (``parent``) where she holds it too, each with whether it
    has children; closed units are shown but cannot be chosen. A parent outside that
    scope is the same 404 as a missing one."""
    viewer = viewer_of(request)
    purpose = request.GET.get("purpose", "")
    if purpose not in PERMISSIONS or not has_function(viewer, purpose):
        raise PermissionDenied
    parent_id = int_or_none(request.GET.get("parent"))
    if parent_id is None:
        nodes = organization_roots(viewer=viewer, permission=purpose)
    else:
        parent = ORGANIZATION.get(viewer, parent_id, permission=purpose)
        nodes = organization_children_in(viewer=viewer, parent=parent, permission=purpose)
    choosable = {node.pk for node in nodes if node.closed_on is None}
    return render(
        request,
        "organizations/_pick_tree.html",
        {
            "nodes": nodes,
            "choosable": choosable,
            "purpose": purpose,
            "target": request.GET.get("target", ""),
            "top": parent_id is None,
        },
    )


@requires(MANAGE)
@require_POST
def create_child(request: HttpRequest, pk: int) -> HttpResponse:
    """Create a subordinate unit; the service refuses a parent outside the manager's
    part of the tree, a closed parent and a kind that may not sit there."""
    viewer = viewer_of(request)
    parent = get_organization_for_viewer(viewer, pk)
    form = CreateChildForm(request.POST, prefix="child", parent_kind=parent.kind)
    done = submit(
        request,
        form,
        lambda: organization_create(
            parent=parent,
            kind=form.cleaned_data["kind"],
            code=form.cleaned_data["code"],
            name=form.cleaned_data["name"],
            short_name=form.cleaned_data["short_name"],
            valid_from=form.cleaned_data["valid_from"],
            acting_user=viewer,
        ),
        success=_("The organization has been created."),
    )
    if not done.ok:
        _report(request, form)
        return _back_to(parent)
    assert done.result is not None
    return _back_to(done.result)


@requires(MANAGE)
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close an organization from a date, with a reason; its records and history stay."""
    viewer = viewer_of(request)
    org = get_organization_for_viewer(viewer, pk)
    form = CloseForm(request.POST, prefix="close")
    done = submit(
        request,
        form,
        lambda: organization_close(
            organization=org,
            closed_on=form.cleaned_data["closed_on"],
            reason=form.cleaned_data["reason"],
            acting_user=viewer,
        ),
        success=_("The organization has been closed."),
    )
    if not done.ok:
        _report(request, form)
    return _back_to(org)


@requires(MANAGE)
@require_POST
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge an organization into another: children move, the merged one is closed."""
    viewer = viewer_of(request)
    org = get_organization_for_viewer(viewer, pk)
    form = MergeForm(request.POST, prefix="merge", viewer=viewer)
    done = submit(
        request,
        form,
        lambda: organization_merge(
            organization=org,
            into=form.cleaned_data["into"],
            merged_on=form.cleaned_data["merged_on"],
            acting_user=viewer,
        ),
        success=_("The organization has been merged."),
    )
    if not done.ok:
        _report(request, form)
        return _back_to(org)
    return _back_to(form.cleaned_data["into"])


@requires(MANAGE)
@require_POST
def reorder(request: HttpRequest, pk: int) -> HttpResponse:
    """Move one subordinate unit up or down among its siblings."""
    viewer = viewer_of(request)
    parent = get_organization_for_viewer(viewer, pk)
    form = ReorderForm(request.POST)
    if not form.is_valid():
        raise Http404
    order = list(Organization.objects.filter(parent=parent).order_by("sort_order", "path"))
    index = next((i for i, o in enumerate(order) if o.pk == form.cleaned_data["child"]), None)
    if index is None:
        raise Http404
    swap = index - 1 if form.cleaned_data["direction"] == "up" else index + 1
    if 0 <= swap < len(order):
        order[index], order[swap] = order[swap], order[index]
        organization_reorder(parent=parent, order=order, acting_user=viewer)
    return _back_to(parent)


# --- groupings -----------------------------------------------------------------------


@requires(VIEW)
def groupings(request: HttpRequest) -> HttpResponse:
    """The groupings the viewer sees (through their owners), and a form to create one."""
    viewer = viewer_of(request)
    form = GroupingForm(request.POST or None, viewer=viewer)
    can_create = has_function(viewer, MANAGE)
    if request.method == "POST":
        if not can_create:
            raise PermissionDenied
        done = submit(
            request,
            form,
            lambda: grouping_create(
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                owner=form.cleaned_data["owner"],
                members=[],
                description=form.cleaned_data["description"],
                acting_user=viewer,
            ),
            success=_("The grouping has been created."),
        )
        if done.ok and done.result is not None:
            return redirect("organizations:grouping", done.result.pk)
    return render(
        request,
        "organizations/groupings.html",
        {"groupings": grouping_list(viewer=viewer), "form": form, "can_create": can_create},
    )


@requires(VIEW)
def grouping(request: HttpRequest, pk: int) -> HttpResponse:
    """One grouping: its current and past members (those the viewer may see)."""
    viewer = viewer_of(request)
    group = get_grouping_for_viewer(viewer, pk)
    memberships = grouping_memberships(viewer=viewer, grouping=group)
    return render(
        request,
        "organizations/grouping.html",
        {
            "grouping": group,
            "current": [m for m in memberships if m.left_on is None],
            "past": [m for m in memberships if m.left_on is not None],
            "can_manage": GROUPING.can_manage(viewer, group),
            "add_form": MemberAddForm(prefix="add", viewer=viewer),
            "end_form": MemberEndForm(prefix="end"),
        },
    )


@requires(MANAGE)
@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    group = get_grouping_for_viewer(viewer, pk)
    form = MemberAddForm(request.POST, prefix="add", viewer=viewer)
    done = submit(
        request,
        form,
        lambda: grouping_member_add(
            grouping=group,
            organization=form.cleaned_data["organization"],
            joined_on=form.cleaned_data["joined_on"],
            acting_user=viewer,
        ),
        success=_("The unit has joined the grouping."),
    )
    if not done.ok:
        _report(request, form)
    return redirect("organizations:grouping", group.pk)


@requires(MANAGE)
@require_POST
def member_end(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    group = get_grouping_for_viewer(viewer, pk)
    membership = GroupingMembership.objects.filter(grouping=group, pk=member_pk).first()
    if membership is None:
        raise Http404
    form = MemberEndForm(request.POST, prefix="end")
    done = submit(
        request,
        form,
        lambda: grouping_member_end(
            membership=membership, left_on=form.cleaned_data["left_on"], acting_user=viewer
        ),
        success=_("The membership has ended."),
    )
    if not done.ok:
        _report(request, form)
    return redirect("organizations:grouping", group.pk)
