"""Forms validate input only; the views hand ``cleaned_data`` to one service."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.core.actors import Actor
from taizhang.organizations.widgets import OrganizationMultiPickField
from taizhang.people.widgets import PersonPickField, bind_viewer
from taizhang.projects.models import Category, MajorLevel, Stage
from taizhang.projects.selectors import org_choices, responsible_choices, unit_choices

# Django's form fields are generic for the type checker only.
if TYPE_CHECKING:
    _ModelChoiceField = forms.ModelChoiceField[Any]
    _ModelMultipleChoiceField = forms.ModelMultipleChoiceField[Any]
else:
    _ModelChoiceField = forms.ModelChoiceField
    _ModelMultipleChoiceField = forms.ModelMultipleChoiceField


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
            return yuan_to_wan(value)
        return value

    def clean(self, value: Any) -> int | None:
        amount = super().clean(value)
        if amount is None:
            return None
        return int(amount * WAN)


def yuan_to_wan(value: int | None) -> str | None:
    """Integer yuan as a plain 万元 string for an input: 960000000 → "96000"."""
    if value is None:
        return None
    return f"{(Decimal(value) / WAN).normalize():f}"


class OrgChoiceField(_ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        label: str = obj.short_name or obj.name
        return label


class OrgMultipleChoiceField(_ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        label: str = obj.short_name or obj.name
        return label


class PersonChoiceField(_ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.organization.short_name}）"


class ProjectForm(forms.Form):
    name = forms.CharField(label=_("Project name"), max_length=120)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    major_level = forms.ChoiceField(
        label=_("Major project level"),
        choices=[("", _("Not a major project")), *MajorLevel.choices],
        required=False,
    )
    org = OrgChoiceField(label=_("Owning organization"), queryset=None)
    lead_unit = OrgChoiceField(label=_("Lead unit"), queryset=None)
    co_units = OrganizationMultiPickField(
        label=_("Co-units"), source="projects.co_units", required=False
    )
    # Searchable pickers over the candidates projects registers (manifest, issue 18).
    linked_leader = PersonPickField(
        label=_("Linked leader"), source="projects.linked_leader", required=False
    )
    responsible = PersonPickField(
        label=_("Responsible person"), source="projects.responsible", required=False
    )
    location = forms.CharField(label=_("Location"), max_length=120, required=False)
    total_investment = WanYuanField(label=_("Total investment (10k yuan)"))
    plan_year = forms.IntegerField(
        label=_("Plan year"), min_value=2000, max_value=2100, required=False
    )
    annual_planned_investment = WanYuanField(
        label=_("Planned investment this year (10k yuan)"), required=False
    )
    building_area = forms.DecimalField(
        label=_("Building area (m²)"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    land_area = forms.DecimalField(
        label=_("Land (mu)"), max_digits=10, decimal_places=2, min_value=0, required=False
    )
    capacity = forms.DecimalField(
        label=_("Capacity"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    capacity_unit = forms.CharField(
        label=_("Capacity unit"),
        max_length=20,
        required=False,
        help_text=_("e.g. 万吨/年"),
    )
    expected_jobs = forms.IntegerField(label=_("Expected jobs"), min_value=0, required=False)
    description = forms.CharField(
        label=pgettext_lazy("project", "Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = org_choices(viewer=viewer)  # type: ignore[attr-defined]
        # Any unit may be named lead or co-unit: naming one grants it nothing.
        units = unit_choices()
        self.fields["lead_unit"].queryset = units  # type: ignore[attr-defined]
        bind_viewer(self, viewer)

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["annual_planned_investment"] = data.get("annual_planned_investment") or 0
        return data


class LateEntryForm(forms.Form):
    """补录: a past step entered afterwards is marked, with the reason, by the clerk."""

    late = forms.BooleanField(
        label=_("Late entry (补录): this happened earlier and is recorded now"), required=False
    )
    late_reason = forms.CharField(label=_("Why it is entered late"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("late") and not (data.get("late_reason") or "").strip():
            self.add_error("late_reason", _("Say why this is entered late."))
        return data

    def late_entry_reason(self) -> str:
        """The reason handed to the service: empty unless the entry is marked 补录."""
        if not self.cleaned_data.get("late"):
            return ""
        reason: str = self.cleaned_data.get("late_reason") or ""
        return reason.strip()


class StageMoveForm(LateEntryForm):
    to_stage = forms.TypedChoiceField(label=_("Move to"), choices=Stage.choices, coerce=int)
    on = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )
    reason = forms.CharField(
        label=_("Reason (needed when moving back)"), max_length=200, required=False
    )
    field_order = ["to_stage", "on", "reason", "late", "late_reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The progress form on the same page has fields of the same names: ids of its
        # own, so each label names its own field (the names posted stay the same).
        kwargs.setdefault("auto_id", "id_move_%s")
        super().__init__(*args, **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ProgressForm(LateEntryForm):
    reported_on = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )
    text = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 3}))
    completed_investment = WanYuanField(
        label=_("Investment completed since last report (10k yuan)"), required=False
    )
    to_stage = forms.TypedChoiceField(
        label=_("Stage reached (optional)"),
        choices=[("", "—"), *Stage.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    reason = forms.CharField(label=_("Reason for moving back"), max_length=200, required=False)
    attachments = MultipleFileField(label=_("Evidence"), required=False)
    field_order = [
        "reported_on",
        "text",
        "completed_investment",
        "to_stage",
        "reason",
        "attachments",
        "late",
        "late_reason",
    ]

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reporter"] = PersonChoiceField(
            label=_("Reported by"),
            queryset=responsible_choices(viewer=viewer).select_related("organization"),
            required=False,
        )


class ScheduleForm(forms.Form):
    """One planned date per stage."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for stage in Stage:
            self.fields[f"planned_{stage.value}"] = forms.DateField(
                label=stage.label,
                required=False,
                # The table's row names the stage; the field says it too.
                widget=forms.DateInput(
                    attrs={"type": "date", "aria-label": stage.label}, format="%Y-%m-%d"
                ),
            )

    def planned(self) -> dict[int, Any]:
        return {stage.value: self.cleaned_data.get(f"planned_{stage.value}") for stage in Stage}


class BatchForm(forms.Form):
    """集中开工: the organizer, the name and the day of a groundbreaking batch."""

    name = forms.CharField(
        label=_("Batch name"),
        max_length=160,
        help_text=_("e.g. 2026年第四批重大项目集中开工"),
    )
    org = OrgChoiceField(label=_("Organizer"), queryset=None)
    held_on = forms.DateField(
        label=_("Date of the groundbreaking"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    place = forms.CharField(label=_("Place"), max_length=120, required=False)

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = org_choices(viewer=viewer)  # type: ignore[attr-defined]


class BatchProjectsForm(forms.Form):
    """Projects to put into a batch, from those the clerk manages that are in none."""

    projects: _ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Projects"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    break_ground = forms.BooleanField(
        label=_("Record groundbreaking on the batch's date for projects not yet started"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["projects"]
        field.queryset = candidates  # type: ignore[attr-defined]
        field.label_from_instance = lambda project: (  # type: ignore[attr-defined]
            f"{project.name}（{project.org.short_name}，{project.get_stage_display()}）"
        )
