"""Forms validate input only; the views hand ``cleaned_data`` to one service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taizhang.core.actors import Actor
from taizhang.evaluations.models import (
    Aggregation,
    AwardKind,
    Competition,
    Criterion,
    EntryKind,
    Normalization,
)
from taizhang.evaluations.scoring import plain
from taizhang.evaluations.selectors import (
    judge_user_choices,
    nominee_org_choices,
    org_choices,
)
from taizhang.organizations.models import OrgKind
from taizhang.people.widgets import PersonPickField, bind_viewer

# Django's form fields are generic for the type checker only.
if TYPE_CHECKING:
    _ModelChoiceField = forms.ModelChoiceField[Any]
else:
    _ModelChoiceField = forms.ModelChoiceField


UNIT_KINDS = [
    OrgKind.DISTRICT_COMMITTEE,
    OrgKind.WORKING_COMMITTEE,
    OrgKind.ORGAN,
    OrgKind.SUBDISTRICT,
    OrgKind.COMMITTEE,
    OrgKind.VILLAGE,
]


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


class UserChoiceField(_ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.person.name}（{obj.person.organization.short_name}，{obj.username}）"


class CompetitionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    org = OrgChoiceField(label=_("Organizing unit"), queryset=None)
    held_on = _date(label=_("Date"))
    normalization = forms.ChoiceField(
        label=_("Per-judge normalization"), choices=Normalization.choices
    )
    aggregation = forms.ChoiceField(
        label=_("Final score rule"),
        choices=Aggregation.choices,
        initial=Aggregation.MEAN,
        required=False,
        help_text=_("With fewer than three judges the plain mean is taken."),
    )
    winners_count = forms.IntegerField(label=_("Number of winners"), min_value=1, initial=10)
    description = forms.CharField(
        label=_("About the competition"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "org", org_choices(viewer=viewer).filter(kind__in=UNIT_KINDS[:4]))

    def clean_aggregation(self) -> str:
        return self.cleaned_data.get("aggregation") or Aggregation.MEAN


class CriterionForm(forms.Form):
    name = forms.CharField(label=_("Criterion"), max_length=80)
    weight = forms.DecimalField(label=_("Weight"), max_digits=7, decimal_places=4, min_value=0)
    max_score = forms.DecimalField(
        label=_("Maximum score"), max_digits=6, decimal_places=2, min_value=0
    )


class EntryForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of entry"), choices=EntryKind.choices)
    title = forms.CharField(label=_("Title (brand name)"), max_length=120, required=False)
    org = OrgChoiceField(label=_("Entry owner"), queryset=None, required=False)
    # Searchable pickers over the candidates evaluations registers (manifest, issue 18).
    person = PersonPickField(label=_("Person"), source="evaluations.entry_person", required=False)
    summary = forms.CharField(
        label=_("About the entry"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(
            self,
            "org",
            org_choices(viewer=viewer).filter(
                kind__in=[*UNIT_KINDS, OrgKind.ENTERPRISE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH]
            ),
        )
        bind_viewer(self, viewer)


class JudgeForm(forms.Form):
    user = UserChoiceField(label=_("Judge (a user linked to a person)"), queryset=None)

    def __init__(
        self, *args: Any, viewer: Actor, competition: Competition | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "user", judge_user_choices(viewer=viewer, competition=competition))


class DateForm(forms.Form):
    on = _date(label=_("Date"))


class ScoreForm(forms.Form):
    """One field per criterion, named ``c<id>``, bounded by the criterion's maximum."""

    def __init__(
        self, *args: Any, criteria: list[Criterion], initial_scores: dict[int, Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"c{criterion.pk}"] = forms.DecimalField(
                label=f"{criterion.name}（0–{plain(criterion.max_score)}）",
                max_digits=6,
                decimal_places=2,
                min_value=0,
                max_value=criterion.max_score,
                initial=initial_scores.get(criterion.pk),
                # Two decimals, as the rule allows (issue 18: steps of 0.5 refused 8.75).
                widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
            )

    def values(self) -> dict[int, Any]:
        return {c.pk: self.cleaned_data[f"c{c.pk}"] for c in self.criteria}


class AwardForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AwardKind.choices)
    name = forms.CharField(label=_("Name"), max_length=120)
    org = OrgChoiceField(label=_("Awarding organization"), queryset=None)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    quota = forms.IntegerField(label=_("Quota"), min_value=1)

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "org", org_choices(viewer=viewer).filter(kind__in=UNIT_KINDS[:4]))
        self.fields["year"].initial = timezone.localdate().year


class NominationForm(forms.Form):
    org = OrgChoiceField(label=_("Nominated organization"), queryset=None, required=False)
    person = PersonPickField(
        label=_("Nominated person"), source="evaluations.nominee", required=False
    )
    deeds = forms.CharField(
        label=_("Deeds"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, viewer: Actor, takes_organizations: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if takes_organizations:
            del self.fields["person"]
            self.fields["org"].required = True
            _queryset(
                self,
                "org",
                nominee_org_choices(viewer=viewer).exclude(
                    kind__in=[OrgKind.DISTRICT_COMMITTEE, OrgKind.GRID, OrgKind.BUILDING]
                ),
            )
        else:
            del self.fields["org"]
            self.fields["person"].required = True
            bind_viewer(self, viewer)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
    )
    note = forms.CharField(label=_("Note (needed to reject)"), max_length=200, required=False)


class NoticeForm(forms.Form):
    """The public notice (公示) period of an award's list, both days included."""

    start = _date(label=_("Public notice from"))
    end = forms.DateField(
        label=_("Public notice until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ObjectionForm(forms.Form):
    received_on = _date(label=_("Received on"))
    text = forms.CharField(label=_("Objection"), widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.CharField(
        label=_("How it was settled"), widget=forms.Textarea(attrs={"rows": 2})
    )


class FromWinnersForm(forms.Form):
    competition = forms.TypedChoiceField(label=_("Competition"), coerce=int, choices=())

    def __init__(self, *args: Any, competitions: list[Competition], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.competitions = {c.pk: c for c in competitions}
        field = self.fields["competition"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [
            (c.pk, f"{c.name}（{c.org.short_name or c.org.name}）") for c in competitions
        ]

    def chosen(self) -> Competition:
        return self.competitions[self.cleaned_data["competition"]]
