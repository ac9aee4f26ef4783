"""The system administrator's pages for the demand dictionaries: categories with their
time limits and routing, and the services delegated to subdistricts.

Each write goes through one service in ``services.py`` (audited); organizations in the
forms come from the configuration policies' choices (``demands.configure`` scope).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import login_required, requires
from taizhang.core.actors import viewer_of
from taizhang.core.forms import submit
from taizhang.core.versions import page_version, seen_version, version_of
from taizhang.demands import services
from taizhang.demands.forms import CategoryForm, DelegatedServiceForm, RoutingRuleForm
from taizhang.demands.models import DemandCategory
from taizhang.demands.permissions import (
    CONFIGURE,
    DELEGATED_SERVICE,
    ROUTING_RULE,
    VIEW,
)
from taizhang.demands.selectors import categories_with_rules, delegated_services


@requires(CONFIGURE)
def dictionaries_view(request: HttpRequest) -> HttpResponse:
    """字典管理: one page linking every dictionary the administrator keeps."""
    user: Any = request.user
    links = [
        (_("Demand categories, time limits and routing"), "demands:categories", CONFIGURE),
        (_("Services delegated to subdistricts"), "demands:delegated", CONFIGURE),
        (_("Working-day calendar"), "core:calendar", "core.configure_calendar"),
        (_("Activity kinds and venues"), "activities:dictionaries", "activities.configure"),
        (_("Problem kinds"), "problems:kinds", "problems.configure"),
        (_("Subsidy policies"), "investment:policies", "investment.configure"),
    ]
    entries = []
    for label, url_name, permission in links:
        if not user.has_function(permission):
            continue
        try:
            entries.append((label, reverse(url_name)))
        except NoReverseMatch:  # a module that has no dictionary page (yet)
            continue
    return render(request, "demands/dictionaries.html", {"entries": entries})


@requires(CONFIGURE)
def category_list_view(request: HttpRequest) -> HttpResponse:
    """Every category, deactivated ones too, with the routing rules in the admin's scope."""
    viewer = viewer_of(request)
    form = CategoryForm(request.POST or None, viewer=viewer)
    done = submit(
        request,
        form,
        lambda: services.demand_category_create(**form.cleaned_data, acting_user=viewer),
        success=_("Category added."),
    )
    if done.ok:
        return redirect("demands:categories")
    return render(
        request,
        "demands/categories.html",
        {"categories": categories_with_rules(viewer=viewer, include_inactive=True), "form": form},
    )


@requires(CONFIGURE)
def category_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    category = get_object_or_404(DemandCategory.objects.select_related("default_org"), pk=pk)
    seen = seen_version(request, category)  # issue 19: another's change is shown, not lost
    form = CategoryForm(request.POST or None, viewer=viewer, category=category)
    rule_form = RoutingRuleForm(viewer=viewer, prefix="rule")
    done = submit(
        request,
        form,
        lambda: services.demand_category_update(
            category=category, changes=form.cleaned_data, acting_user=viewer, version=seen
        ),
        success=_("Category saved."),
    )
    if done.ok:
        return redirect("demands:category_edit", pk=category.pk)
    return _edit_page(request, category, form, rule_form, page_version(form, category, seen))


def _edit_page(
    request: HttpRequest,
    category: DemandCategory,
    form: Any,
    rule_form: Any,
    version: int | None = None,
) -> HttpResponse:
    viewer = viewer_of(request)
    rules = (
        ROUTING_RULE.queryset(viewer, CONFIGURE)
        .filter(category=category)
        .select_related("area", "handling_org")
        .order_by("area__path")
    )
    return render(
        request,
        "demands/category_edit.html",
        {
            "category": category,
            "form": form,
            "version": version_of(category) if version is None else version,
            "rule_form": rule_form,
            "rules": rules,
            "used": category.demand_set.exists(),
        },
    )


@requires(CONFIGURE)
@require_POST
def category_active_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate (never delete: demands point to categories) or reactivate."""
    viewer = viewer_of(request)
    category = get_object_or_404(DemandCategory, pk=pk)
    if category.is_active:
        services.demand_category_deactivate(category=category, acting_user=viewer)
        messages.success(request, _("Category deactivated: it is no longer offered."))
    else:
        services.demand_category_reactivate(category=category, acting_user=viewer)
        messages.success(request, _("Category reactivated."))
    return redirect("demands:category_edit", pk=category.pk)


@requires(CONFIGURE)
@require_POST
def routing_rule_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    category = get_object_or_404(DemandCategory, pk=pk)
    rule_form = RoutingRuleForm(request.POST, viewer=viewer, prefix="rule")
    done = submit(
        request,
        rule_form,
        lambda: services.routing_rule_set(
            category=category,
            area=rule_form.cleaned_data["area"],
            handling_org=rule_form.cleaned_data["handling_org"],
            acting_user=viewer,
        ),
        success=_("Routing rule saved."),
    )
    if done.ok:
        return redirect("demands:category_edit", pk=category.pk)
    form = CategoryForm(viewer=viewer, category=category)
    return _edit_page(request, category, form, rule_form)


@requires(CONFIGURE)
@require_POST
def routing_rule_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    rule = ROUTING_RULE.get(viewer, pk, permission=CONFIGURE)
    services.routing_rule_delete(rule=rule, acting_user=viewer)
    messages.success(request, _("Routing rule removed."))
    return redirect("demands:category_edit", pk=rule.category_id)


@login_required
def delegated_services_view(request: HttpRequest) -> HttpResponse:
    """Which services each subdistrict now handles itself (下放街道事项清单): read with
    ``demands.view``, kept with ``demands.configure``."""
    user: Any = request.user
    can_configure = user.has_function(CONFIGURE)
    if not (can_configure or user.has_function(VIEW)):
        raise PermissionDenied
    viewer = viewer_of(request)
    return render(
        request,
        "demands/delegated.html",
        {
            "groups": delegated_services(viewer=viewer),
            "categories": categories_with_rules(viewer=viewer),
            "can_configure": can_configure,
        },
    )


@requires(CONFIGURE)
def delegated_service_create_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = DelegatedServiceForm(request.POST or None, viewer=viewer)
    done = submit(
        request,
        form,
        lambda: services.delegated_service_create(**form.cleaned_data, acting_user=viewer),
        success=_("Delegated service added."),
    )
    if done.ok:
        return redirect("demands:delegated")
    return render(request, "demands/delegated_form.html", {"form": form, "service": None})


@requires(CONFIGURE)
def delegated_service_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    service = DELEGATED_SERVICE.get(viewer, pk, permission=CONFIGURE)
    seen = seen_version(request, service)  # issue 19: another's change is shown, not lost
    form = DelegatedServiceForm(request.POST or None, viewer=viewer, service=service)
    done = submit(
        request,
        form,
        lambda: services.delegated_service_update(
            service=service, changes=form.cleaned_data, acting_user=viewer, version=seen
        ),
        success=_("Delegated service saved."),
    )
    if done.ok:
        return redirect("demands:delegated")
    context = {"form": form, "service": service, "version": page_version(form, service, seen)}
    return render(request, "demands/delegated_form.html", context)


@requires(CONFIGURE)
@require_POST
def delegated_service_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    service = DELEGATED_SERVICE.get(viewer, pk, permission=CONFIGURE)
    services.delegated_service_delete(service=service, acting_user=viewer)
    messages.success(request, _("Delegated service removed."))
    return redirect("demands:delegated")
