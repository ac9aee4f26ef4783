"""The system administrator's page for the problem kinds (问题, 攻关事项, 调研课题 …),
with each kind's self-close rule. Kinds are deactivated, never deleted."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.forms import submit
from taizhang.core.versions import page_version, seen_version
from taizhang.problems import services
from taizhang.problems.forms import ProblemKindForm
from taizhang.problems.models import ProblemKind

CONFIGURE = "problems.configure"


@requires(CONFIGURE)
def kind_list_view(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = ProblemKindForm(request.POST or None)
    done = submit(
        request,
        form,
        lambda: services.problem_kind_create(**form.cleaned_data, acting_user=viewer),
        success=_("Problem kind added."),
    )
    if done.ok:
        return redirect("problems:kinds")
    return render(
        request, "problems/kinds.html", {"kinds": ProblemKind.objects.all(), "form": form}
    )


@requires(CONFIGURE)
def kind_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    kind = get_object_or_404(ProblemKind, pk=pk)
    seen = seen_version(request, kind)  # issue 19: another's change is shown, not lost
    form = ProblemKindForm(request.POST or None, kind=kind)
    done = submit(
        request,
        form,
        lambda: services.problem_kind_update(
            kind=kind, changes=form.cleaned_data, acting_user=viewer, version=seen
        ),
        success=_("Problem kind saved."),
    )
    if done.ok:
        return redirect("problems:kinds")
    return render(
        request,
        "problems/kind_edit.html",
        {
            "kind": kind,
            "form": form,
            "used": kind.problems.exists(),
            "version": page_version(form, kind, seen),
        },
    )


@requires(CONFIGURE)
@require_POST
def kind_active_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    kind = get_object_or_404(ProblemKind, pk=pk)
    active = not kind.is_active
    services.problem_kind_set_active(kind=kind, active=active, acting_user=viewer)
    messages.success(
        request, _("Problem kind reactivated.") if active else _("Problem kind deactivated.")
    )
    return redirect("problems:kinds")
