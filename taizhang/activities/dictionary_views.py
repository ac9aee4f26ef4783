"""The system administrator's page for the activity dictionaries: activity kinds and
venue categories. Entries are deactivated, never deleted (activities point to them)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.activities import services
from taizhang.activities.forms import DictionaryEntryForm
from taizhang.activities.models import ActivityKind, VenueCategory
from taizhang.activities.permissions import CONFIGURE
from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.forms import submit
from taizhang.core.versions import page_version, seen_version

MODELS: dict[str, type[ActivityKind] | type[VenueCategory]] = {
    "kind": ActivityKind,
    "venue": VenueCategory,
}


def _entry(which: str, pk: int) -> ActivityKind | VenueCategory:
    if which == "kind":
        return get_object_or_404(ActivityKind, pk=pk)
    if which == "venue":
        return get_object_or_404(VenueCategory, pk=pk)
    raise Http404


@requires(CONFIGURE)
def dictionaries_view(request: HttpRequest) -> HttpResponse:
    """Both dictionaries, deactivated entries too, each with a form to add one."""
    viewer = viewer_of(request)
    which = request.POST.get("which", "")
    forms = {
        key: DictionaryEntryForm(request.POST if which == key else None, prefix=key)
        for key in MODELS
    }
    if which in forms:
        form = forms[which]

        def create() -> Any:
            data = form.cleaned_data
            create_entry = (
                services.activity_kind_create if which == "kind" else services.venue_category_create
            )
            return create_entry(**data, acting_user=viewer)

        if submit(request, form, create, success=_("Entry added.")).ok:
            return redirect("activities:dictionaries")
    return render(
        request,
        "activities/dictionaries.html",
        {
            "kinds": ActivityKind.objects.all(),
            "venues": VenueCategory.objects.all(),
            "kind_form": forms["kind"],
            "venue_form": forms["venue"],
        },
    )


@requires(CONFIGURE)
def dictionary_edit_view(request: HttpRequest, which: str, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    entry = _entry(which, pk)
    seen = seen_version(request, entry)  # issue 19: another's change is shown, not lost
    form = DictionaryEntryForm(request.POST or None, entry=entry)

    def update() -> Any:
        if isinstance(entry, ActivityKind):
            return services.activity_kind_update(
                kind=entry, changes=form.cleaned_data, acting_user=viewer, version=seen
            )
        return services.venue_category_update(
            category=entry, changes=form.cleaned_data, acting_user=viewer, version=seen
        )

    if submit(request, form, update, success=_("Entry saved.")).ok:
        return redirect("activities:dictionaries")
    context = {
        "entry": entry,
        "which": which,
        "form": form,
        "version": page_version(form, entry, seen),
    }
    return render(request, "activities/dictionary_edit.html", context)


@requires(CONFIGURE)
@require_POST
def dictionary_active_view(request: HttpRequest, which: str, pk: int) -> HttpResponse:
    """Deactivate an entry (kept on the records that have it) or reactivate it."""
    viewer = viewer_of(request)
    entry = _entry(which, pk)
    active = not entry.is_active
    if isinstance(entry, ActivityKind):
        services.activity_kind_set_active(kind=entry, active=active, acting_user=viewer)
    else:
        services.venue_category_set_active(category=entry, active=active, acting_user=viewer)
    messages.success(request, _("Entry reactivated.") if active else _("Entry deactivated."))
    return redirect("activities:dictionaries")
