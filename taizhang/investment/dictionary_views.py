"""The system administrator's page for the subsidy policies (惠企政策) payments are
recorded under. Policies paid under are deactivated, never deleted."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.access import requires
from taizhang.core.actors import viewer_of
from taizhang.core.forms import submit
from taizhang.core.versions import page_version, seen_version
from taizhang.investment import services
from taizhang.investment.forms import SubsidyPolicyForm
from taizhang.investment.models import SubsidyPolicy
from taizhang.investment.permissions import CONFIGURE


@requires(CONFIGURE)
def policy_list_view(request: HttpRequest) -> HttpResponse:
    """Every policy with how many payments were made under it (district-wide counts: the
    dictionary is not booked on an organization, and no amount is shown)."""
    viewer = viewer_of(request)
    form = SubsidyPolicyForm(request.POST or None)
    done = submit(
        request,
        form,
        lambda: services.subsidy_policy_create(**form.cleaned_data, acting_user=viewer),
        success=_("Policy added."),
    )
    if done.ok:
        return redirect("investment:policies")
    policies = SubsidyPolicy.objects.annotate(payments=Count("subsidies"))
    return render(request, "investment/policies.html", {"policies": policies, "form": form})


@requires(CONFIGURE)
def policy_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    policy = get_object_or_404(SubsidyPolicy, pk=pk)
    seen = seen_version(request, policy)  # issue 19: another's change is shown, not lost
    form = SubsidyPolicyForm(request.POST or None, policy=policy)
    done = submit(
        request,
        form,
        lambda: services.subsidy_policy_update(
            policy=policy, changes=form.cleaned_data, acting_user=viewer, version=seen
        ),
        success=_("Policy saved."),
    )
    if done.ok:
        return redirect("investment:policies")
    context = {"policy": policy, "form": form, "version": page_version(form, policy, seen)}
    return render(request, "investment/policy_edit.html", context)


@requires(CONFIGURE)
@require_POST
def policy_active_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    policy = get_object_or_404(SubsidyPolicy, pk=pk)
    active = not policy.is_active
    services.subsidy_policy_set_active(policy=policy, active=active, acting_user=viewer)
    messages.success(request, _("Policy reactivated.") if active else _("Policy deactivated."))
    return redirect("investment:policies")
