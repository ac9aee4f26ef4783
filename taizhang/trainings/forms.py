"""Forms validate input for the services; choices come from the viewer's scope."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from taizhang.activities.forms import (
    WIDE,
    DateInput,
    OrgChoiceField,
    TimeInput,
    persons_by_names,
)
from taizhang.core.actors import Actor
from taizhang.organizations.models import Organization
from taizhang.trainings.models import Enrollment, SessionKind, TrainingSeries
from taizhang.trainings.permissions import MANAGE, TRAINING_CLASS, TRAINING_SERIES, VIEW


class SeriesForm(forms.Form):
    """A training series (培训系列) and its plan; the organizer only when starting one."""

    org = OrgChoiceField(label=_("Organizer"), queryset=Organization.objects.none())
    title = forms.CharField(
        label=_("Series title"),
        max_length=120,
        widget=forms.TextInput(attrs=WIDE),
        help_text=_("For example 网格员业务能力培训班."),
    )
    planned_classes = forms.IntegerField(label=_("Planned number of classes"), min_value=1)
    planned_trainees = forms.IntegerField(
        label=_("Planned number of trainees (person-times)"), min_value=0
    )
    description = forms.CharField(
        label=_("Series description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, **WIDE}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput())

    def __init__(self, *args: Any, viewer: Actor, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["org"]
        else:
            del self.fields["version"]
            self.fields["org"].queryset = TRAINING_SERIES.org_choices(viewer).filter(  # type: ignore[attr-defined]
                depth__lte=3, is_active=True
            )


class SeriesChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title}（{obj.org.short_name}）"


class ClassForm(forms.Form):
    org = OrgChoiceField(label=_("Organizer"), queryset=Organization.objects.none())
    series = SeriesChoiceField(
        label=_("Training series"),
        queryset=TrainingSeries.objects.none(),
        required=False,
        help_text=_("A class of a series is numbered within the series."),
    )
    number = forms.IntegerField(label=_("Class number (期次)"), min_value=1)
    title = forms.CharField(
        label=_("Class title"), max_length=160, widget=forms.TextInput(attrs=WIDE)
    )
    start_date = forms.DateField(label=_("First day"), widget=DateInput())
    end_date = forms.DateField(label=_("Last day"), widget=DateInput())
    venue = forms.CharField(label=_("Training venue"), max_length=160, required=False)
    capacity = forms.IntegerField(label=_("Planned number of trainees"), min_value=1)
    min_attendance_pct = forms.IntegerField(
        label=_("Minimum attendance (%)"), min_value=0, max_value=100, initial=80
    )
    reflection_required = forms.BooleanField(
        label=_("A written reflection is required to graduate"), required=False, initial=True
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = TRAINING_CLASS.org_choices(viewer).filter(  # type: ignore[attr-defined]
            depth__lte=3, is_active=True
        )
        self.fields["series"].queryset = (  # type: ignore[attr-defined]
            TRAINING_SERIES.queryset(viewer, MANAGE).select_related("org").order_by("title")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        series, org = data.get("series"), data.get("org")
        if series is not None and org is not None and series.org_id != org.pk:
            self.add_error("series", _("The series belongs to another organizer."))
        return data


class SessionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Session type"), choices=SessionKind.choices)
    title = forms.CharField(
        label=_("Session title"), max_length=160, widget=forms.TextInput(attrs=WIDE)
    )
    day = forms.DateField(label=_("Session day"), widget=DateInput())
    start_time = forms.TimeField(label=_("Session starts"), widget=TimeInput())
    end_time = forms.TimeField(label=_("Session ends"), widget=TimeInput())
    speaker = forms.CharField(
        label=_("Lecturer"),
        max_length=60,
        required=False,
        help_text=_("Name of a person in your scope."),
    )
    speaker_note = forms.CharField(
        label=_("Lecturer's affiliation"),
        max_length=80,
        required=False,
        help_text=_("For lecturers from outside, e.g. 市委党校教授."),
    )
    location = forms.CharField(label=_("Session location"), max_length=120, required=False)

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["speaker_person"] = None
        if data.get("speaker"):
            try:
                data["speaker_person"] = persons_by_names(self.viewer, data["speaker"])[0]
            except forms.ValidationError as error:
                self.add_error("speaker", error)
        return data


class QuotaForm(forms.Form):
    org = OrgChoiceField(label=_("Sending organization"), queryset=Organization.objects.none())
    quota = forms.IntegerField(label=_("Places"), min_value=0)

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Places go to organizations the organizer's staff may see.
        self.fields["org"].queryset = TRAINING_CLASS.org_choices(viewer, VIEW).filter(  # type: ignore[attr-defined]
            depth__lte=3, is_active=True
        )


class EnrollForm(forms.Form):
    names = forms.CharField(
        label=_("Trainees to enroll"),
        widget=forms.Textarea(attrs={"rows": 3, **WIDE}),
        help_text=_("Names separated by 、 or one per line."),
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            data["persons"] = persons_by_names(self.viewer, data.get("names", ""))
        except forms.ValidationError as error:
            self.add_error("names", error)
        return data


class SheetForm(forms.Form):
    present = forms.ModelMultipleChoiceField(
        label=_("Present"), queryset=Enrollment.objects.none(), required=False
    )

    def __init__(self, *args: Any, training_class: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["present"].queryset = training_class.enrollments.all()  # type: ignore[attr-defined]


class ReflectionForm(forms.Form):
    enrollment = forms.ModelChoiceField(label=_("Trainee"), queryset=Enrollment.objects.none())
    title = forms.CharField(
        label=_("Reflection title"), max_length=160, widget=forms.TextInput(attrs=WIDE)
    )
    text = forms.CharField(
        label=_("Reflection text"), widget=forms.Textarea(attrs={"rows": 6, **WIDE})
    )

    def __init__(self, *args: Any, training_class: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["enrollment"]
        field.queryset = (  # type: ignore[attr-defined]
            training_class.enrollments.filter(reflection__isnull=True)
            .select_related("person")
            .order_by("person__name")
        )
        field.label_from_instance = lambda e: e.person.name  # type: ignore[attr-defined]


class ReadForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), max_length=200, required=False)
