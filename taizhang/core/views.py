from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.i18n import set_language as django_set_language

from taizhang.core.access import login_required, public, requires
from taizhang.core.models import AuditEvent
from taizhang.core.registry import NAV_ITEMS, PERMISSIONS


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """What the user is responsible for and what they may do."""
    # The user model (accounts) explains its own grants: core imports no module above it.
    user: Any = request.user
    functions = user.functions()
    context = {
        "grants": user.grant_facts(),
        "functions": [PERMISSIONS[code] for code in functions if code in PERMISSIONS],
        "shortcuts": [item for item in NAV_ITEMS if item.permission in functions],
    }
    return render(request, "core/home.html", context)


@requires("audit.view")
def audit_list(request: HttpRequest) -> HttpResponse:
    """The audit trail, newest first. Only the audit administrator holds ``audit.view``."""
    events = AuditEvent.objects.select_related("actor").order_by("-id")
    action = request.GET.get("action", "").strip()
    if action:
        events = events.filter(action__startswith=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_list.html", {"page": page, "action": action})


set_language = public(django_set_language)
