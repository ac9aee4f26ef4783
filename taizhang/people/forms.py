"""Forms for recording persons and 双报到 reports; choices come from the policies."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.core.actors import Actor
from taizhang.organizations.models import Organization
from taizhang.people.models import Gender, PositionTitle
from taizhang.people.permissions import PERSON


class PersonForm(forms.Form):
    """A new person, internal or external (from outside the district), booked on an
    organization where the viewer keeps the register."""

    organization: forms.ModelChoiceField[Organization] = forms.ModelChoiceField(
        label=_("Organization"), queryset=Organization.objects.none()
    )
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=60)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices)
    mobile = forms.CharField(label=_("Mobile number"), max_length=20, required=False)
    id_number = forms.CharField(label=_("ID number"), max_length=18, required=False)
    birth_date = forms.DateField(label=_("Date of birth"), required=False)
    is_external = forms.BooleanField(
        label=_("External person"),
        required=False,
        help_text=_("From outside the district: an expert, lecturer, talent or judge."),
    )
    affiliation = forms.CharField(
        label=_("Affiliation"),
        max_length=120,
        required=False,
        help_text=_("The external person's own unit."),
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = PERSON.org_choices(viewer)  # type: ignore[attr-defined]


class CommunityReportForm(forms.Form):
    """双报到: the member says who they are; the register finds them."""

    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=60)
    mobile = forms.CharField(label=_("Mobile number"), max_length=20)
    reported_on = forms.DateField(label=_("Reported on"), initial=timezone.localdate)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PositionAssignForm(forms.Form):
    """任免: a position in an organization where the viewer keeps the register."""

    organization: forms.ModelChoiceField[Organization] = forms.ModelChoiceField(
        label=_("Organization"), queryset=Organization.objects.none()
    )
    title = forms.ChoiceField(label=_("Position"), choices=PositionTitle.choices)
    start_date = forms.DateField(label=_("From"), initial=timezone.localdate, widget=_date_input())
    document_number = forms.CharField(
        label=_("Document number"),
        max_length=60,
        required=False,
        help_text=_("The appointment's 任免文号, if any."),
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = PERSON.org_choices(viewer)  # type: ignore[attr-defined]


class PositionEndForm(forms.Form):
    end_date = forms.DateField(
        label=pgettext_lazy("position", "Last day"),
        initial=timezone.localdate,
        widget=_date_input(),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class PersonTransferForm(forms.Form):
    """调动: the new organization, among those where the viewer keeps the register."""

    organization: forms.ModelChoiceField[Organization] = forms.ModelChoiceField(
        label=_("New organization"), queryset=Organization.objects.none()
    )
    transferred_on = forms.DateField(
        label=_("Transferred on"), initial=timezone.localdate, widget=_date_input()
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    end_positions = forms.BooleanField(
        label=_("End the positions held in the old organization"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, viewer: Actor, exclude: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = PERSON.org_choices(viewer).exclude(pk=exclude.pk)  # type: ignore[attr-defined]
