from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RenameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    short_name = forms.CharField(label=_("Short name"), max_length=40)
    effective = forms.DateField(label=_("Effective from"), initial=timezone.localdate)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class MoveForm(forms.Form):
    new_parent_code = forms.CharField(label=_("New parent (code)"), max_length=32)
    effective = forms.DateField(label=_("Effective from"), initial=timezone.localdate)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
