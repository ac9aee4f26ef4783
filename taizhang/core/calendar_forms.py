"""The form of the working-day calendar page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class WorkdayOverrideForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    is_workday = forms.TypedChoiceField(
        label=_("The day is"),
        choices=[("0", _("a rest day (holiday)")), ("1", _("a working day (make-up day)"))],
    )
    name = forms.CharField(
        label=_("Holiday or make-up day"),
        max_length=60,
        required=False,
        help_text=_("For example 春节 or 春节调休."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
