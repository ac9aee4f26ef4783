from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from taizhang.core.access import requires
from taizhang.organizations.selectors import get_organization_for_viewer
from taizhang.people.selectors import can_view_personal, get_person_for_viewer, person_list
from taizhang.people.services import person_reveal


@requires("people.view")
def person_list_view(request: HttpRequest) -> HttpResponse:
    viewer: Any = request.user
    q = request.GET.get("q", "").strip()[:60]
    org = None
    if request.GET.get("org"):
        org = get_organization_for_viewer(viewer, request.GET["org"])
    persons = person_list(viewer=viewer, q=q, subtree_of=org).order_by("organization__path", "name")
    page = Paginator(persons, 50).get_page(request.GET.get("page"))
    return render(request, "people/list.html", {"page": page, "q": q, "org": org})


@requires("people.view")
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer: Any = request.user
    person = get_person_for_viewer(viewer, pk)
    return render(
        request,
        "people/detail.html",
        {"person": person, "can_reveal": can_view_personal(viewer, person)},
    )


@requires("people.view_personal")
@require_POST
def person_reveal_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the unmasked personal data in place; the reveal is audited."""
    viewer: Any = request.user
    person = get_person_for_viewer(viewer, pk)
    revealed = person_reveal(person=person, acting_user=viewer)
    if revealed is None:
        raise PermissionDenied
    return render(request, "people/_personal.html", {"person": person, "revealed": revealed})
