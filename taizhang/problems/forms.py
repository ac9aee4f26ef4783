"""Forms validate input for the services; choices come from the scope policies.

Owning unit: the problem policy's manage scope; lead unit and co-units: those plus the
units of the district (``unit_choices``); responsible person: the one rule for persons
(``PERSON``); linked leader: the shared leader candidates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taizhang.core.actors import Actor
from taizhang.organizations.widgets import OrganizationMultiPickField
from taizhang.people.widgets import PersonMultiPickField, PersonPickField, bind_viewer
from taizhang.problems.models import ProblemCategory, ProblemKind, ProblemSource
from taizhang.problems.selectors import owner_choices, unit_choices

# Django's form fields are generic for the type checker only.
if TYPE_CHECKING:
    _ModelChoiceField = forms.ModelChoiceField[Any]
else:
    _ModelChoiceField = forms.ModelChoiceField


class OrgChoiceField(_ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        label: str = "　" * max(obj.depth - 1, 0) + obj.short_name
        return label


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _check_late(form: forms.Form, data: dict[str, Any], date_field: str) -> None:
    """A 补录 needs the day the step was taken (before today) and a reason."""
    if not data.get("late"):
        return
    day = data.get(date_field)
    if not day:
        form.add_error(date_field, _("Give the date the step was taken."))
    elif day >= timezone.localdate():
        form.add_error(date_field, _("A late entry is for a step taken before today."))
    if not (data.get("late_reason") or "").strip():
        form.add_error("late_reason", _("Say why the step is entered late."))


def _late_field() -> forms.BooleanField:
    return forms.BooleanField(
        label=_("Late entry (补录)"),
        required=False,
        help_text=_("The step was taken before today and is recorded now."),
    )


def _reason_field() -> forms.CharField:
    return forms.CharField(label=_("Why it is entered late"), required=False, max_length=200)


class LateEntryForm(forms.Form):
    """A lifecycle step, optionally recorded late (补录) with its real date and a reason."""

    late = _late_field()
    occurred_on = forms.DateField(
        label=_("Date the step was taken"), required=False, widget=DateInput()
    )
    late_reason = _reason_field()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_late(self, data, "occurred_on")
        return data

    def late_entry(self) -> tuple[Any, str] | None:
        """(the day, the reason) of a late entry, or ``None`` for a step taken now."""
        data = self.cleaned_data
        if not data.get("late"):
            return None
        return data["occurred_on"], data["late_reason"].strip()


class ProblemForm(forms.Form):
    title = forms.CharField(label=_("Problem title"), max_length=200)
    description = forms.CharField(
        label=_("Problem description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "style": "width:100%"}),
    )
    kind = forms.ModelChoiceField(label=_("Problem kind"), queryset=ProblemKind.objects.none())
    source = forms.ChoiceField(label=_("Where it came from"), choices=ProblemSource.choices)
    category = forms.ChoiceField(label=_("Problem category"), choices=ProblemCategory.choices)
    org = OrgChoiceField(label=_("Owning unit"), queryset=ProblemKind.objects.none())
    lead_unit = OrgChoiceField(
        label=_("Lead unit"),
        queryset=ProblemKind.objects.none(),
        help_text=_("A unit of the district (a bureau) may lead: it then sees this item."),
    )
    co_units = OrganizationMultiPickField(
        label=_("Co-units"), source="problems.co_units", required=False
    )
    # Searchable pickers over the candidates problems registers (manifest, issue 18).
    linked_leader = PersonPickField(
        label=_("Linked leader"), source="problems.linked_leader", required=False
    )
    responsible = PersonPickField(
        label=_("Responsible person"), source="problems.responsible", required=False
    )
    deadline = forms.DateField(label=_("Rectification deadline"), widget=DateInput())
    solved_on_spot = forms.BooleanField(
        label=_("Solved on the spot during a visit (现场解决)"), required=False
    )
    origin_type = forms.CharField(required=False, widget=forms.HiddenInput, max_length=60)
    origin_id = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    late = _late_field()
    raised_on = forms.DateField(
        label=_("Put on the ledger on"),
        required=False,
        widget=DateInput(),
        help_text=_("Only for a late entry: the day it was put on the ledger."),
    )
    late_reason = _reason_field()

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = unit_choices(viewer=viewer)
        self.fields["kind"].queryset = ProblemKind.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["org"].queryset = owner_choices(viewer=viewer)  # type: ignore[attr-defined]
        self.fields["lead_unit"].queryset = units  # type: ignore[attr-defined]
        bind_viewer(self, viewer)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_late(self, data, "raised_on")
        deadline = data.get("deadline")
        # A late entry may carry a deadline already past: the item is overdue at once.
        if deadline and not data.get("late") and deadline < timezone.localdate():
            self.add_error("deadline", _("The deadline cannot be in the past."))
        return data

    def late_entry(self) -> tuple[Any, str] | None:
        data = self.cleaned_data
        if not data.get("late"):
            return None
        return data["raised_on"], data["late_reason"].strip()


class ProblemEditForm(ProblemForm):
    """The details of a problem not yet submitted; owner, source and origin stay."""

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, viewer=viewer, **kwargs)
        for name in (
            "org",
            "source",
            "origin_type",
            "origin_id",
            "late",
            "raised_on",
            "late_reason",
        ):
            del self.fields[name]
        # A deactivated kind is not offered, but the problem keeps its own.
        current = self.initial.get("kind")
        self.fields["kind"].queryset = ProblemKind.objects.filter(  # type: ignore[attr-defined]
            Q(is_active=True) | Q(pk=current)
        )

    def clean(self) -> dict[str, Any]:
        return forms.Form.clean(self) or {}


class StartForm(LateEntryForm):
    measures = forms.CharField(
        label=_("Rectification measures"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "style": "width:100%"}),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.doc,.docx,.xls,.xlsx"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class SubmitForm(LateEntryForm):
    evidence_text = forms.CharField(
        label=_("What was done"), widget=forms.Textarea(attrs={"rows": 4, "style": "width:100%"})
    )
    attachments = MultipleFileField(label=_("Evidence files"), required=False)


class VerifyForm(LateEntryForm):
    note = forms.CharField(
        label=_("Sign-off note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "style": "width:100%"}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason given"), widget=forms.Textarea(attrs={"rows": 2, "style": "width:100%"})
    )


class ProblemKindForm(forms.Form):
    """A problem kind; ``code`` only when created."""

    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("Letters, digits and hyphens; used by the API. Cannot be changed later."),
    )
    name = forms.CharField(label=_("Name"), max_length=40)
    sort_order = forms.IntegerField(label=_("Order in lists"), initial=100)
    self_close_allowed = forms.BooleanField(
        label=_("Whoever raised an item or submitted its evidence may also close it out"),
        required=False,
        help_text=_("Off by default: duties kept apart. Turn on for a unit's own tasks."),
    )

    def __init__(self, *args: Any, kind: ProblemKind | None = None, **kwargs: Any) -> None:
        if kind is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": kind.name,
                    "sort_order": kind.sort_order,
                    "self_close_allowed": kind.self_close_allowed,
                },
            )
        super().__init__(*args, **kwargs)
        if kind is not None:
            del self.fields["code"]


class InstructionForm(forms.Form):
    """领导交办: who instructed, what, to which unit and by when."""

    title = forms.CharField(label=_("Instruction title"), max_length=200)
    leader = PersonPickField(label=_("Instructing leader"), source="problems.linked_leader")
    org = OrgChoiceField(label=_("Handling unit"), queryset=None)
    content = forms.CharField(
        label=_("Instruction text"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 20}),
        help_text=_("The leader's words as written in the instruction (批示原文)."),
    )
    issued_on = forms.DateField(label=_("Instructed on"), widget=DateInput())
    deadline = forms.DateField(label=_("To be completed by"), widget=DateInput())

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = owner_choices(viewer=viewer)  # type: ignore[attr-defined]
        bind_viewer(self, viewer)


class InstructionCompleteForm(forms.Form):
    result = forms.CharField(
        label=_("Result"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 20}),
        help_text=_("What was done, as reported to the leader."),
    )
    done_on = forms.DateField(
        label=_("Day of completion"), widget=DateInput(), initial=timezone.localdate
    )


class ResearchTopicForm(forms.Form):
    """调研课题: the topic, who does it, and (when created) the day it was chosen."""

    title = forms.CharField(label=_("Research topic"), max_length=200)
    org = OrgChoiceField(label=_("Unit doing the research"), queryset=None)
    lead_leader = PersonPickField(
        label=_("Leading leader"), source="problems.linked_leader", required=False
    )
    team = PersonMultiPickField(
        label=_("Research team"), source="problems.responsible", required=False
    )
    team_text = forms.CharField(
        label=_("Research team (as written)"),
        required=False,
        max_length=200,
        help_text=_("Or name the team in words, e.g. 区委政研室、区发改委联合课题组."),
    )
    description = forms.CharField(
        label=_("Aims and scope"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "style": "width:100%"}),
    )
    chosen_on = forms.DateField(
        label=_("Topic chosen on"), widget=DateInput(), initial=timezone.localdate
    )
    late_reason = forms.CharField(
        label=_("Why it is entered late"),
        required=False,
        max_length=200,
        help_text=_("Needed when the topic was chosen before today (补录)."),
    )

    def __init__(self, *args: Any, viewer: Actor, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:  # the unit and the day of choice are the topic's history
            for name in ("org", "chosen_on", "late_reason"):
                del self.fields[name]
        else:
            self.fields["org"].queryset = owner_choices(viewer=viewer)  # type: ignore[attr-defined]
        bind_viewer(self, viewer)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day = data.get("chosen_on")
        if day and day < timezone.localdate() and not (data.get("late_reason") or "").strip():
            self.add_error("late_reason", _("Say why the step is entered late."))
        return data


class ResearchAdvanceForm(LateEntryForm):
    """The move to the next stage, taken today or recorded late (补录)."""

    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 20}),
    )


class ResearchReportForm(forms.Form):
    report_title = forms.CharField(label=_("Report title"), max_length=200)
    report_on = forms.DateField(
        label=_("Report date"), widget=DateInput(), initial=timezone.localdate
    )
    report_file = forms.FileField(
        label=_("Report file"),
        required=False,
        help_text=_("PDF, Word or an image of the report; or write its text below."),
    )
    report_text = forms.CharField(
        label=_("Report text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 20}),
    )


class ResearchOutcomeForm(forms.Form):
    text = forms.CharField(
        label=_("What was adopted"),
        max_length=300,
        help_text=_("A policy document issued, a mechanism set up, a measure taken up."),
    )
    adopted_on = forms.DateField(
        label=_("Adopted on"), widget=DateInput(), initial=timezone.localdate
    )
