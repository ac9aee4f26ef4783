"""Forms validate input for the services; choices come from the demand scope policy
(``selectors.intake_org_choices`` and friends, built on ``permissions.DEMAND``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taizhang.core.actors import Actor
from taizhang.demands.models import (
    Channel,
    DelegatedService,
    DemandCategory,
    RequesterKind,
    Satisfaction,
)
from taizhang.demands.permissions import DELEGATED_SERVICE
from taizhang.demands.selectors import (
    configure_org_choices,
    enterprise_choices,
    handling_org_choices,
    intake_org_choices,
)
from taizhang.organizations.models import OrgKind

# Django's form fields are generic for the type checker only.
if TYPE_CHECKING:
    _ModelChoiceField = forms.ModelChoiceField[Any]
else:
    _ModelChoiceField = forms.ModelChoiceField


WIDE = {"style": "width:100%"}
# Where services are delegated to: subdistricts and the working committees that run them.
SUBDISTRICT_KINDS = (OrgKind.SUBDISTRICT, OrgKind.WORKING_COMMITTEE)


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
        label=_("Contact mobile"),
        regex=r"^1\d{10}$",
        required=False,
        max_length=11,
        error_messages={"invalid": _("Enter the 11-digit mobile number, starting with 1.")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
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


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class LateEntryForm(forms.Form):
    """补录: a step that took place earlier, entered with its real moment and a reason."""

    late = forms.BooleanField(label=_("Late entry (补录)"), required=False)
    occurred_at = forms.DateTimeField(
        label=_("When it really took place"), required=False, widget=DateTimeInput()
    )
    late_reason = forms.CharField(
        label=_("Reason for the late entry"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs=WIDE),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("late"):
            data["occurred_at"], data["late_reason"] = None, ""
            return data
        occurred_at = data.get("occurred_at")
        if occurred_at is None and "occurred_at" not in self.errors:
            self.add_error("occurred_at", _("Give the date and time the step really took place."))
        elif occurred_at is not None and occurred_at > timezone.now():
            self.add_error("occurred_at", _("A step cannot be dated in the future."))
        if not (data.get("late_reason") or "").strip():
            self.add_error("late_reason", _("Say why the step is entered only now."))
        return data


class ReplyForm(LateEntryForm):
    reply_text = forms.CharField(
        label=_("Reply to the requester"), widget=forms.Textarea(attrs={"rows": 3, **WIDE})
    )
    field_order = ["reply_text"]


class FollowUpForm(LateEntryForm):
    satisfaction = forms.ChoiceField(
        label=_("Requester's satisfaction"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Follow-up note"), required=False, widget=forms.TextInput(attrs=WIDE)
    )
    field_order = ["satisfaction", "note"]


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


class CategoryForm(forms.Form):
    """A demand category: ``code`` only when created (demands and rules name it)."""

    code = forms.SlugField(
        label=_("Category code"),
        max_length=40,
        help_text=_("Letters, digits and hyphens; used by the API. Cannot be changed later."),
    )
    name = forms.CharField(label=_("Category name"), max_length=40)
    default_org = OrgChoiceField(
        label=_("Default handling organization"), queryset=DemandCategory.objects.none()
    )
    time_limit_days = forms.IntegerField(
        label=_("Time limit (working days)"), min_value=1, max_value=365
    )
    for_enterprises = forms.BooleanField(label=_("Enterprise matter"), required=False)
    sort_order = forms.IntegerField(label=_("Order in lists"), initial=0)

    def __init__(
        self, *args: Any, viewer: Actor, category: DemandCategory | None = None, **kwargs: Any
    ) -> None:
        if category is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": category.name,
                    "default_org": category.default_org_id,
                    "time_limit_days": category.time_limit_days,
                    "for_enterprises": category.for_enterprises,
                    "sort_order": category.sort_order,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["default_org"].queryset = configure_org_choices(viewer=viewer)  # type: ignore[attr-defined]
        if category is not None:
            del self.fields["code"]


class RoutingRuleForm(forms.Form):
    area = OrgChoiceField(
        label=_("Area"),
        queryset=DemandCategory.objects.none(),
        help_text=_("Demands arising in this area or below it."),
    )
    handling_org = OrgChoiceField(label=_("Handled by"), queryset=DemandCategory.objects.none())

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        orgs = configure_org_choices(viewer=viewer)
        self.fields["area"].queryset = orgs  # type: ignore[attr-defined]
        self.fields["handling_org"].queryset = orgs  # type: ignore[attr-defined]


class DelegatedServiceForm(forms.Form):
    org = OrgChoiceField(label=_("Subdistrict"), queryset=DemandCategory.objects.none())
    name = forms.CharField(
        label=_("Delegated service"), max_length=120, widget=forms.TextInput(attrs=WIDE)
    )
    category = forms.ModelChoiceField(
        label=_("Demand category"), queryset=DemandCategory.objects.none(), required=False
    )
    delegated_by = forms.CharField(label=_("Delegated by"), max_length=60, required=False)
    delegated_on = forms.DateField(label=_("Delegated on"), widget=DateInput())

    def __init__(
        self, *args: Any, viewer: Actor, service: DelegatedService | None = None, **kwargs: Any
    ) -> None:
        if service is not None:
            kwargs.setdefault(
                "initial",
                {
                    "org": service.org_id,
                    "name": service.name,
                    "category": service.category_id,
                    "delegated_by": service.delegated_by,
                    "delegated_on": service.delegated_on,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = DELEGATED_SERVICE.org_choices(viewer).filter(  # type: ignore[attr-defined]
            kind__in=SUBDISTRICT_KINDS
        )
        # A deactivated category is not offered, except the one this row already has.
        active = Q(is_active=True)
        if service is not None and service.category_id is not None:
            active |= Q(pk=service.category_id)
        self.fields["category"].queryset = DemandCategory.objects.filter(active)  # type: ignore[attr-defined]
