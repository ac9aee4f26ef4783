"""Forms validate input only; the views hand ``cleaned_data`` to one service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taizhang.core.actors import Actor
from taizhang.investment.models import EventKind, FollowUpKind, LeadStage, Source, SubsidyPolicy
from taizhang.investment.selectors import event_choices, org_choices, team_choices
from taizhang.people.widgets import PersonMultiPickField, PersonPickField, bind_viewer
from taizhang.projects.forms import OrgChoiceField, WanYuanField
from taizhang.projects.models import Category
from taizhang.projects.selectors import unit_choices

# Django's form fields are generic for the type checker only.
if TYPE_CHECKING:
    _ModelChoiceField = forms.ModelChoiceField[Any]
    _ModelMultipleChoiceField = forms.ModelMultipleChoiceField[Any]
else:
    _ModelChoiceField = forms.ModelChoiceField
    _ModelMultipleChoiceField = forms.ModelMultipleChoiceField


def _date(**kwargs: Any) -> forms.DateField:
    return forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
        **kwargs,
    )


class LateEntryForm(forms.Form):
    """A form for a dated step that a clerk may enter late (补录), saying why: the step
    keeps its real date and the record shows 补录 with the reason."""

    late_date_field = "on"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["late"] = forms.BooleanField(
            label=_("Late entry (补录): this happened on the date above, before today"),
            required=False,
        )
        self.fields["late_reason"] = forms.CharField(
            label=_("Why it is entered late"), max_length=200, required=False
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("late"):
            if not (data.get("late_reason") or "").strip():
                self.add_error("late_reason", _("Say why this is entered late."))
            day = data.get(self.late_date_field)
            if day is not None and day >= timezone.localdate():
                self.add_error(self.late_date_field, _("A late entry is dated before today."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        """The cleaned data for the service: ``late_reason`` only for a late entry."""
        data = dict(self.cleaned_data)
        late = data.pop("late", False)
        reason = data.pop("late_reason", "")
        data["late_reason"] = reason.strip() if late else ""
        return data


class TeamChoiceField(_ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.competition.name}）"


class LeadForm(LateEntryForm):
    enterprise = forms.CharField(label=_("Enterprise"), max_length=120)
    project_name = forms.CharField(label=_("Project"), max_length=120)
    sector = forms.CharField(label=_("Sector"), max_length=40)
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices)
    amount = WanYuanField(
        label=_("Intended investment (10k yuan)"),
        required=False,
        help_text=_("Leave it empty when the enterprise has not named a figure yet."),
    )
    org = OrgChoiceField(label=_("Organization"), queryset=None)
    team = TeamChoiceField(label=_("Team"), queryset=None, required=False)
    contacted_on = _date(label=_("First contact on"))
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, viewer: Actor, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = org_choices(viewer=viewer)  # type: ignore[attr-defined]
        self.fields["team"].queryset = team_choices(viewer=viewer)  # type: ignore[attr-defined]
        self.late_date_field = "contacted_on"
        if editing:
            # The first contact is history, not a column.
            for name in ("contacted_on", "late", "late_reason"):
                del self.fields[name]


class AdvanceForm(LateEntryForm):
    to_stage = forms.TypedChoiceField(label=_("Move to"), choices=LeadStage.choices, coerce=int)
    on = _date(label=_("Date"))
    signed_amount = WanYuanField(
        label=_("Signed investment (10k yuan), when signing"), required=False
    )
    event: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Signed at event"), queryset=None, required=False
    )
    reason = forms.CharField(
        label=_("Reason (needed when moving back)"), max_length=200, required=False
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = event_choices(viewer=viewer)  # type: ignore[attr-defined]


class FollowUpForm(forms.Form):
    """One entry of a lead's follow-up log (跟进记录)."""

    on = _date(label=_("Date"))
    kind = forms.ChoiceField(label=_("Kind"), choices=FollowUpKind.choices)
    our_people = PersonMultiPickField(
        label=_("Our people"), source="investment.responsible", required=False
    )
    our_side = forms.CharField(
        label=_("Our side, others"),
        max_length=200,
        required=False,
        help_text=_("People not on the registry, as text."),
    )
    their_side = forms.CharField(label=_("Met on their side"), max_length=200, required=False)
    content = forms.CharField(
        label=_("What was discussed"), widget=forms.Textarea(attrs={"rows": 3})
    )
    next_step = forms.CharField(label=_("Next step"), max_length=200, required=False)
    next_step_on = forms.DateField(
        label=_("Next step by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bind_viewer(self, viewer)


class LostForm(LateEntryForm):
    reason = forms.CharField(label=_("Why was it lost?"), max_length=200)
    on = _date(label=_("Date"))


class ConvertForm(forms.Form):
    category = forms.ChoiceField(label=_("Project category"), choices=Category.choices)
    lead_unit = OrgChoiceField(label=_("Lead unit"), queryset=None)
    # Searchable pickers over the candidates investment registers (manifest, issue 18).
    linked_leader = PersonPickField(
        label=_("Linked leader"), source="investment.linked_leader", required=False
    )
    responsible = PersonPickField(
        label=_("Responsible person"), source="investment.responsible", required=False
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = unit_choices()  # type: ignore[attr-defined]
        bind_viewer(self, viewer)


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    name = forms.CharField(label=_("Name"), max_length=120)
    held_on = _date(label=_("Date"))
    place = forms.CharField(label=_("Place"), max_length=120, required=False)
    organizer = forms.CharField(label=_("Organizer"), max_length=120, required=False)
    org = OrgChoiceField(label=_("Organization"), queryset=None)

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = org_choices(viewer=viewer)  # type: ignore[attr-defined]


class SubsidyForm(forms.Form):
    policy = forms.ModelChoiceField(label=_("Policy"), queryset=SubsidyPolicy.objects.none())
    enterprise = forms.CharField(label=_("Enterprise"), max_length=120)
    amount = WanYuanField(label=_("Amount (10k yuan)"))
    paid_on = _date(label=_("Paid on"))
    org = OrgChoiceField(label=_("Paying organization"), queryset=None)

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = org_choices(viewer=viewer)  # type: ignore[attr-defined]
        # Deactivated policies pay no more: only active ones are offered.
        self.fields["policy"].queryset = SubsidyPolicy.objects.filter(is_active=True)  # type: ignore[attr-defined]


class CompetitionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    org = OrgChoiceField(label=_("Organization"), queryset=None)
    starts_on = _date(label=_("Starts on"))
    ends_on = _date(label=_("Ends on"))
    min_cases = forms.IntegerField(label=_("Cases needed to be ranked"), min_value=1, initial=3)
    points_contact = forms.IntegerField(label=_("Points for first contact"), min_value=0, initial=1)
    points_negotiating = forms.IntegerField(
        label=_("Points for negotiating"), min_value=0, initial=2
    )
    points_signed = forms.IntegerField(label=_("Points for signing"), min_value=0, initial=5)
    points_landed = forms.IntegerField(label=_("Points for landing"), min_value=0, initial=8)
    points_started = forms.IntegerField(
        label=_("Points for construction start"), min_value=0, initial=10
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = org_choices(viewer=viewer)  # type: ignore[attr-defined]

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["points"] = {key: data.pop(key) for key in list(data) if key.startswith("points_")}
        return data


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=80)
    base = forms.CharField(label=_("Stationed in"), max_length=60, required=False)
    leader = PersonPickField(
        label=_("Team leader"), source="investment.responsible", required=False
    )
    members = PersonMultiPickField(
        label=_("Members"), source="investment.responsible", required=False
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bind_viewer(self, viewer)


class SubsidyPolicyForm(forms.Form):
    name = forms.CharField(label=_("Policy name"), max_length=120)
    issued_by = forms.CharField(label=_("Issued by"), max_length=120, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    sort_order = forms.IntegerField(label=_("Order in lists"), initial=100)

    def __init__(self, *args: Any, policy: SubsidyPolicy | None = None, **kwargs: Any) -> None:
        if policy is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": policy.name,
                    "issued_by": policy.issued_by,
                    "note": policy.note,
                    "sort_order": policy.sort_order,
                },
            )
        super().__init__(*args, **kwargs)
