from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taizhang.core.actors import Actor
from taizhang.organizations.models import Organization
from taizhang.organizations.permissions import ORGANIZATION


class RenameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    short_name = forms.CharField(label=_("Short name"), max_length=40)
    effective = forms.DateField(label=_("Effective from"), initial=timezone.localdate)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class MoveForm(forms.Form):
    """The new parent is named by its code and looked up among the organizations the
    viewer manages: an unknown code and one outside her part read the same."""

    new_parent_code = forms.CharField(label=_("New parent (code)"), max_length=32)
    effective = forms.DateField(label=_("Effective from"), initial=timezone.localdate)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer

    def clean_new_parent_code(self) -> Organization:
        code = self.cleaned_data["new_parent_code"]
        target = ORGANIZATION.org_choices(self.viewer).filter(code=code).first()
        if target is None:
            raise forms.ValidationError(_("No organization with this code in your scope."))
        return target
