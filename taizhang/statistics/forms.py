"""Forms of statistics."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taizhang.organizations.models import Organization
from taizhang.organizations.scope import scope_for
from taizhang.statistics.periods import Period, PeriodError

# Briefings are written for committees, subdistricts, organs and communities, not for
# grids and buildings: the choice lists the top levels of the viewer's scope.
BRIEFING_DEPTH = 3


class BriefingForm(forms.Form):
    org = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Organization"))
    period = forms.CharField(
        label=_("Reporting period"),
        max_length=30,
        help_text=_("2026-11, 2026-Q3, 2026 or 2026-01-05..2026-03-20"),
    )

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = scope_for(viewer, "statistics.brief")
        choices = Organization.objects.filter(scope.org_q(), is_active=True).order_by("path")
        top = choices.values_list("depth", flat=True).first()
        if top is not None:
            choices = choices.filter(depth__lte=top + BRIEFING_DEPTH - 1)
        self.fields["org"].queryset = choices  # type: ignore[attr-defined]
        self.fields["org"].label_from_instance = lambda org: (  # type: ignore[attr-defined]
            "　" * max(org.depth - (top or 0), 0) + org.name
        )

    def clean_period(self) -> Period:
        try:
            period = Period.parse(self.cleaned_data["period"], today=timezone.localdate())
        except PeriodError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if period.start > timezone.localdate():
            raise forms.ValidationError(_("The period has not begun yet."))
        return period
