"""Forms validate input only; the views hand ``cleaned_data`` to one service."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.core.actors import Actor
from taizhang.pairing.models import AmbassadorRole, Indicator, PartnershipKind, ProjectState
from taizhang.pairing.selectors import (
    helper_choices,
    org_choices,
    village_choices,
)
from taizhang.people.widgets import PersonPickField, bind_viewer

# Django's form fields are generic for the type checker only.
if TYPE_CHECKING:
    _ModelChoiceField = forms.ModelChoiceField[Any]
else:
    _ModelChoiceField = forms.ModelChoiceField


def _date(**kwargs: Any) -> forms.DateField:
    return forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
        **kwargs,
    )


def _queryset(form: forms.Form, name: str, queryset: Any) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


class OrgChoiceField(_ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        label: str = obj.short_name or obj.name
        return label


class PersonChoiceField(_ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.organization.short_name}）"


WAN = Decimal(10_000)


class WanYuanField(forms.DecimalField):
    """Typed in 万元 as clerks do, kept as exact integer yuan."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 4)
        kwargs.setdefault("min_value", 0)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int):
            return f"{(Decimal(value) / WAN).normalize():f}"
        return value

    def clean(self, value: Any) -> int | None:
        amount = super().clean(value)
        return None if amount is None else int(amount * WAN)


class ProjectForm(forms.Form):
    """A pair's assistance project (帮扶项目); funds in 万元."""

    name = forms.CharField(label=_("Project name"), max_length=120)
    funds = WanYuanField(label=_("Funds (10k yuan)"), initial=0)
    state = forms.ChoiceField(label=_("State"), choices=ProjectState.choices)
    starts_on = _date(label=_("Starts on"))
    completed_on = forms.DateField(
        label=pgettext_lazy("assistance project", "Completed on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    helper = OrgChoiceField(
        label=_("Helping unit"),
        queryset=None,
        required=False,
        help_text=_("Empty: the pair's helping organization."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "helper", helper_choices())

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["funds"] = data.get("funds") or 0
        return data


class PairForm(forms.Form):
    helper = OrgChoiceField(label=_("Helping organization"), queryset=None)
    village = OrgChoiceField(label=_("Village or community"), queryset=None)
    starts_on = _date(label=_("From"))
    ends_on = forms.DateField(
        label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    target_income = forms.IntegerField(
        label=_("Collective income target (yuan)"), min_value=0, initial=500_000
    )
    target_year = forms.IntegerField(
        label=_("Target year (empty: the last year of the period)"),
        min_value=2000,
        max_value=2100,
        required=False,
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "helper", helper_choices())
        _queryset(self, "village", village_choices(viewer=viewer))


class ValueForm(forms.Form):
    indicator = forms.ChoiceField(label=_("Indicator"), choices=Indicator.choices)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    value = forms.IntegerField(label=_("Value (yuan, or a count for projects)"), min_value=0)
    late_reason = forms.CharField(
        label=_("Late entry (补录): why a past year's value is entered now"),
        max_length=200,
        required=False,
    )


class CorrectionForm(forms.Form):
    new_value = forms.IntegerField(label=_("Corrected value"), min_value=0)
    reason = forms.CharField(label=_("Reason for the correction"), max_length=200)


class PartnershipForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PartnershipKind.choices)
    title = forms.CharField(label=_("Title"), max_length=160)
    partner = forms.CharField(label=_("Partner (outside body)"), max_length=120)
    org = OrgChoiceField(label=_("Our organization"), queryset=None)
    signed_on = _date(label=_("Signed on"))
    ends_on = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    place = forms.CharField(label=_("Place"), max_length=120, required=False)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "org", org_choices(viewer=viewer))


class AmbassadorForm(forms.Form):
    # A searchable picker over every person the viewer may see (manifest, issue 18).
    person = PersonPickField(label=_("Person"), source="pairing.ambassador")
    role = forms.ChoiceField(label=_("Appointed as"), choices=AmbassadorRole.choices)
    appointed_on = _date(label=_("Appointed on"))
    ends_on = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bind_viewer(self, viewer)


class EndForm(forms.Form):
    ends_on = _date(label=_("Ends on"))
