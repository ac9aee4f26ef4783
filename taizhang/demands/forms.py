"""Forms validate input for the services; choices come from the demand scope policy
(``selectors.intake_org_choices`` and friends, built on ``permissions.DEMAND``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taizhang.core.actors import Actor
from taizhang.demands.models import Channel, DemandCategory, RequesterKind, Satisfaction
from taizhang.demands.selectors import enterprise_choices, handling_org_choices, intake_org_choices

# Django's form fields are generic for the type checker only.
if TYPE_CHECKING:
    _ModelChoiceField = forms.ModelChoiceField[Any]
else:
    _ModelChoiceField = forms.ModelChoiceField


WIDE = {"style": "width:100%"}


class OrgChoiceField(_ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        label: str = "　" * max(obj.depth - 1, 0) + obj.short_name
        return label


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DemandForm(forms.Form):
    channel = forms.ChoiceField(label=_("Intake channel"), choices=Channel.choices)
    category = forms.ModelChoiceField(
        label=_("Demand category"), queryset=DemandCategory.objects.none()
    )
    org = OrgChoiceField(label=_("Receiving organization"), queryset=DemandCategory.objects.none())
    location = OrgChoiceField(
        label=_("Where it arose"),
        queryset=DemandCategory.objects.none(),
        required=False,
        help_text=_(
            "Community or grid; used to route the demand. Blank: the receiving organization."
        ),
    )
    title = forms.CharField(
        label=_("Demand summary"), max_length=200, widget=forms.TextInput(attrs=WIDE)
    )
    content = forms.CharField(
        label=_("Demand content"), widget=forms.Textarea(attrs={"rows": 4, **WIDE})
    )
    requester_kind = forms.ChoiceField(
        label=_("Requester type"), choices=RequesterKind.choices, widget=forms.RadioSelect
    )
    requester_name = forms.CharField(label=_("Requester name"), max_length=100)
    enterprise = OrgChoiceField(
        label=_("Enterprise"), queryset=DemandCategory.objects.none(), required=False
    )
    requester_mobile = forms.RegexField(
        label=_("Contact mobile"), regex=r"^1\d{10}$", required=False, max_length=11
    )
    requester_address = forms.CharField(label=_("Contact address"), max_length=200, required=False)

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        orgs = intake_org_choices(viewer=viewer)
        self.fields["category"].queryset = DemandCategory.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["org"].queryset = orgs  # type: ignore[attr-defined]
        self.fields["location"].queryset = orgs  # type: ignore[attr-defined]
        self.fields["enterprise"].queryset = enterprise_choices(viewer=viewer)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("requester_kind") == RequesterKind.ENTERPRISE and not data.get("enterprise"):
            self.add_error("enterprise", _("Choose the enterprise this demand comes from."))
        return data


class AssignForm(forms.Form):
    handling_org = OrgChoiceField(
        label=_("Handling organization"),
        queryset=DemandCategory.objects.none(),
        required=False,
        help_text=_("Blank: the organization the routing rules pick."),
    )
    reason = forms.CharField(
        label=_("Reason for reassigning"), required=False, widget=forms.TextInput(attrs=WIDE)
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["handling_org"].queryset = handling_org_choices(viewer=viewer)  # type: ignore[attr-defined]


class ReplyForm(forms.Form):
    reply_text = forms.CharField(
        label=_("Reply to the requester"), widget=forms.Textarea(attrs={"rows": 3, **WIDE})
    )


class FollowUpForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("Requester's satisfaction"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Follow-up note"), required=False, widget=forms.TextInput(attrs=WIDE)
    )


class MergeForm(forms.Form):
    into = forms.IntegerField(
        label=_("Merge into demand no."),
        min_value=1,
        help_text=_("The id of the open demand that stays, e.g. 42 for SQ2026-00042."),
    )


class RaiseProblemForm(forms.Form):
    title = forms.CharField(
        label=_("Title of the problem"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs=WIDE),
    )
    deadline = forms.DateField(label=_("Rectification deadline"), widget=DateInput())

    def clean_deadline(self) -> dt.date:
        deadline: dt.date = self.cleaned_data["deadline"]
        if deadline < timezone.localdate():
            raise forms.ValidationError(_("The deadline cannot be in the past."))
        return deadline
