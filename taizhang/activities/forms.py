"""Forms validate input for the services; choices come from the viewer's scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.activities.models import (
    ActivityKind,
    ActivityMode,
    AttachmentKind,
    AttendanceMode,
    Campaign,
    CampaignTeam,
    VenueCategory,
)
from taizhang.activities.permissions import ACTIVITY, CAMPAIGN_TEAM, VIEW
from taizhang.activities.selectors import sign_in_base
from taizhang.core.actors import Actor
from taizhang.organizations.models import Grouping, GroupingMembership, Organization
from taizhang.organizations.permissions import GROUPING
from taizhang.organizations.selectors import groupings_of
from taizhang.organizations.widgets import OrganizationMultiPickField, bind_viewer
from taizhang.people.models import Person
from taizhang.people.permissions import PERSON
from taizhang.people.widgets import match_names

WIDE = {"style": "width:100%"}
# Deeper levels (building branches) are too many for a drop-down; they hold few activities.
FORM_DEPTH = 4


# Django's form fields are generic for the type checker only.
if TYPE_CHECKING:
    _OrgField = forms.ModelChoiceField[Organization]
else:
    _OrgField = forms.ModelChoiceField


class OrgChoiceField(_OrgField):
    def label_from_instance(self, obj: Organization) -> str:
        return "　" * max(obj.depth - 1, 0) + obj.short_name


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


def managed_orgs(viewer: Actor) -> QuerySet[Organization]:
    """Where the viewer may record activities (the policy's ``org_choices``)."""
    return ACTIVITY.org_choices(viewer).filter(depth__lte=FORM_DEPTH, is_active=True)


def grouping_choices(viewer: Actor, *, members_of: QuerySet[Organization]) -> QuerySet[Grouping]:
    """Groupings the viewer may see (``GROUPING``) that one of ``members_of`` belongs to
    today; the service checks the holding organization's membership on the day held."""
    today = timezone.localdate()
    current = GroupingMembership.objects.filter(
        Q(joined_on__isnull=True) | Q(joined_on__lte=today),
        Q(left_on__isnull=True) | Q(left_on__gt=today),
        organization__in=members_of.values("pk"),
    )
    return GROUPING.queryset(viewer).filter(pk__in=current.values("grouping_id")).order_by("name")


def groupings_of_org(viewer: Actor, org: Organization, on: dt.date) -> QuerySet[Grouping]:
    """The groupings ``org`` belongs to on ``on`` among those the viewer sees."""
    ids = [g.pk for g in groupings_of(viewer=viewer, organization=org, on=on)]
    return GROUPING.queryset(viewer).filter(pk__in=ids).order_by("name")


def _speaker_fields() -> dict[str, forms.Field]:
    """The fields an activity's form adds for external speakers, co-hosts and sessions."""
    return {
        "speaker_name": forms.CharField(
            label=_("External speaker"),
            max_length=60,
            required=False,
            help_text=_("A speaker from outside the registry, e.g. a teacher of the Party school."),
        ),
        "speaker_title": forms.CharField(
            label=_("Speaker's title or affiliation"),
            max_length=120,
            required=False,
            help_text=_("For example 区委党校副教授."),
        ),
        "co_orgs": OrganizationMultiPickField(
            label=_("Co-hosting organizations"),
            source="activities.co_hosts",
            required=False,
            help_text=_("Units of the tree that hosted it together; they do not see it for that."),
        ),
        "co_host_names": forms.CharField(
            label=_("Co-hosts outside the tree"),
            required=False,
            widget=forms.Textarea(attrs={"rows": 2, **WIDE}),
            help_text=_("Companies, schools or other bodies, one per line."),
        ),
        "sessions": forms.IntegerField(
            label=pgettext_lazy("activity", "Number of sessions"),
            min_value=1,
            initial=1,
            required=False,
            help_text=_(
                "When one entry stands for repeated sessions (先后7次宣讲): the briefing "
                "counts each session."
            ),
        ),
    }


NEW_FIELDS = ("speaker_name", "speaker_title", "co_orgs", "co_host_names", "sessions")


def _insert_after(form: forms.Form, after: str, extra: dict[str, forms.Field]) -> None:
    fields = list(form.fields.items())
    index = [name for name, _field in fields].index(after) + 1
    form.fields = dict(fields[:index] + list(extra.items()) + fields[index:])


def persons_by_names(viewer: Actor, text: str, *, near: Organization | None = None) -> list[Person]:
    """Resolve names (separated by 、 , ; or new lines) to persons the viewer may see
    (the one person rule, ``PERSON``, cross-tree rules included); see
    ``people.widgets.match_names`` for namesakes (王芳（锦绣社区）) and ``near``."""
    return match_names(PERSON.queryset(viewer), text, near=near)


class ActivityForm(forms.Form):
    org = OrgChoiceField(label=_("Holding organization"), queryset=Organization.objects.none())
    kind = forms.ModelChoiceField(label=_("Activity kind"), queryset=ActivityKind.objects.none())
    title = forms.CharField(label=_("Topic"), max_length=160, widget=forms.TextInput(attrs=WIDE))
    held_on = forms.DateField(label=_("Date held"), widget=DateInput())
    start_time = forms.TimeField(label=_("Start time"), required=False, widget=TimeInput())
    end_time = forms.TimeField(label=_("End time"), required=False, widget=TimeInput())
    mode = forms.ChoiceField(label=_("Online or offline"), choices=ActivityMode.choices)
    venue = forms.CharField(label=_("Venue"), max_length=120, required=False)
    venue_category = forms.ModelChoiceField(
        label=_("Venue category"), queryset=VenueCategory.objects.none(), required=False
    )
    speaker = forms.CharField(
        label=_("Speaker"),
        max_length=60,
        required=False,
        help_text=_("Name of a person in your scope."),
    )
    materials = forms.CharField(
        label=_("Materials"), required=False, widget=forms.Textarea(attrs={"rows": 2, **WIDE})
    )
    summary = forms.CharField(
        label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3, **WIDE})
    )
    team = forms.ModelChoiceField(
        label=_("Campaign team"),
        queryset=CampaignTeam.objects.none(),
        required=False,
        help_text=_("When the activity counts for a campaign."),
    )
    grouping = forms.ModelChoiceField(
        label=_("Grouping"),
        queryset=Grouping.objects.none(),
        required=False,
        help_text=_("When the activity is work of a grouping the holding organization is in."),
    )
    attendance_mode = forms.ChoiceField(
        label=_("Attendance recorded as"),
        choices=AttendanceMode.choices,
        widget=forms.RadioSelect,
        initial=AttendanceMode.LIST,
    )
    headcount = forms.IntegerField(
        label=_("Headcount"),
        min_value=0,
        required=False,
        help_text=_("Only when the list of attendees is not known."),
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.fields["org"].queryset = managed_orgs(viewer)  # type: ignore[attr-defined]
        self.fields["kind"].queryset = ActivityKind.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["venue_category"].queryset = VenueCategory.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["team"].queryset = (  # type: ignore[attr-defined]
            CAMPAIGN_TEAM.queryset(viewer).select_related("campaign").order_by("campaign_id", "pk")
        )
        self.fields["team"].label_from_instance = lambda t: f"{t.campaign.title} · {t.name}"  # type: ignore[attr-defined]
        self.fields["grouping"].queryset = grouping_choices(  # type: ignore[attr-defined]
            viewer, members_of=managed_orgs(viewer)
        )
        _insert_after(self, "speaker", _speaker_fields())
        bind_viewer(self, viewer)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("sessions"):
            data["sessions"] = 1
        speaker = data.get("speaker") or ""
        data["speaker_person"] = None
        if speaker:
            try:
                data["speaker_person"] = persons_by_names(
                    self.viewer, speaker, near=data.get("org")
                )[0]
            except forms.ValidationError as error:
                self.add_error("speaker", error)
        if (
            data.get("attendance_mode") == AttendanceMode.HEADCOUNT
            and data.get("headcount") is None
        ):
            self.add_error("headcount", _("Give the headcount, or record the list of attendees."))
        return data


class AttendanceForm(forms.Form):
    attendance_mode = forms.ChoiceField(
        label=_("Attendance recorded as"), choices=AttendanceMode.choices, widget=forms.RadioSelect
    )
    headcount = forms.IntegerField(label=_("Headcount"), min_value=0, required=False)
    attendees = forms.ModelMultipleChoiceField(
        label=_("Attendees"), queryset=Person.objects.none(), required=False
    )
    extra_names = forms.CharField(
        label=_("Other attendees by name"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, **WIDE}),
        help_text=_("Persons from outside the holding organization, separated by 、"),
    )

    def __init__(self, *args: Any, viewer: Actor, activity: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.activity = activity
        # The sign-in sheet offers the persons the viewer may see, no others.
        self.fields["attendees"].queryset = PERSON.queryset(  # type: ignore[attr-defined]
            viewer, base=sign_in_base(activity)
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        persons = list(data.get("attendees") or [])
        try:
            persons += persons_by_names(
                self.viewer, data.get("extra_names", ""), near=self.activity.org
            )
        except forms.ValidationError as error:
            self.add_error("extra_names", error)
        data["persons"] = persons
        if data.get("attendance_mode") == AttendanceMode.HEADCOUNT:
            if data.get("headcount") is None:
                self.add_error("headcount", _("Give the headcount."))
            data["persons"] = []
        return data


class CampaignForm(forms.Form):
    org = OrgChoiceField(label=_("Organizing organization"), queryset=Organization.objects.none())
    title = forms.CharField(
        label=_("Campaign title"), max_length=120, widget=forms.TextInput(attrs=WIDE)
    )
    kind = forms.ModelChoiceField(
        label=_("Activity kind"), queryset=ActivityKind.objects.none(), required=False
    )
    target_count = forms.IntegerField(label=_("Target number of activities"), min_value=1)
    start_date = forms.DateField(label=_("Start date"), widget=DateInput())
    end_date = forms.DateField(label=_("End date"), widget=DateInput())
    venue_categories = forms.ModelMultipleChoiceField(
        label=_("Venue categories to reach"),
        queryset=VenueCategory.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(
        label=_("Campaign description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, **WIDE}),
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = managed_orgs(viewer)  # type: ignore[attr-defined]
        self.fields["kind"].queryset = ActivityKind.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["venue_categories"].queryset = VenueCategory.objects.filter(is_active=True)  # type: ignore[attr-defined]


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name of the team"), max_length=80)
    org = OrgChoiceField(label=_("Team organization"), queryset=Organization.objects.none())
    quota = forms.IntegerField(label=_("Quota of activities"), min_value=0, initial=0)
    leader = forms.CharField(label=_("Leader of the team"), max_length=60, required=False)
    members = forms.CharField(
        label=_("Team members"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, **WIDE}),
        help_text=_("Names separated by 、"),
    )

    def __init__(self, *args: Any, viewer: Actor, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        lower, upper = campaign.org.subtree_bounds
        self.fields["org"].queryset = ACTIVITY.org_choices(viewer, VIEW).filter(  # type: ignore[attr-defined]
            path__gte=lower, path__lt=upper, depth__lte=FORM_DEPTH
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        near = data.get("org")
        data["leader_person"] = None
        try:
            if data.get("leader"):
                data["leader_person"] = persons_by_names(self.viewer, data["leader"], near=near)[0]
        except forms.ValidationError as error:
            self.add_error("leader", error)
        try:
            data["member_persons"] = persons_by_names(
                self.viewer, data.get("members", ""), near=near
            )
        except forms.ValidationError as error:
            self.add_error("members", error)
        return data


class VolunteerForm(forms.Form):
    org = OrgChoiceField(label=_("Community served"), queryset=Organization.objects.none())
    person = forms.CharField(
        label=_("Volunteer"), max_length=60, help_text=_("Name of a member in your scope.")
    )
    served_on = forms.DateField(label=_("Date served"), widget=DateInput())
    hours = forms.DecimalField(
        label=_("Hours"), min_value=Decimal("0.5"), max_value=Decimal(24), decimal_places=1
    )
    content = forms.CharField(
        label=_("Service content"), max_length=160, widget=forms.TextInput(attrs=WIDE)
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        units = managed_orgs(viewer).filter(kind__in=["committee", "community", "village"])
        self.fields["org"].queryset = units  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("person"):
            try:
                data["person_obj"] = persons_by_names(self.viewer, data["person"])[0]
            except forms.ValidationError as error:
                self.add_error("person", error)
        return data


class RaiseProblemForm(forms.Form):
    title = forms.CharField(
        label=_("Problem found"), max_length=200, widget=forms.TextInput(attrs=WIDE)
    )
    description = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 2, **WIDE})
    )
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput())


class ActivityEditForm(forms.Form):
    """Correct an activity's details; its organization and attendance are kept."""

    kind = forms.ModelChoiceField(label=_("Activity kind"), queryset=ActivityKind.objects.none())
    title = forms.CharField(label=_("Topic"), max_length=160, widget=forms.TextInput(attrs=WIDE))
    held_on = forms.DateField(label=_("Date held"), widget=DateInput())
    start_time = forms.TimeField(label=_("Start time"), required=False, widget=TimeInput())
    end_time = forms.TimeField(label=_("End time"), required=False, widget=TimeInput())
    mode = forms.ChoiceField(label=_("Online or offline"), choices=ActivityMode.choices)
    venue = forms.CharField(label=_("Venue"), max_length=120, required=False)
    venue_category = forms.ModelChoiceField(
        label=_("Venue category"), queryset=VenueCategory.objects.none(), required=False
    )
    speaker = forms.CharField(
        label=_("Speaker"),
        max_length=60,
        required=False,
        help_text=_("Name of a person in your scope."),
    )
    materials = forms.CharField(
        label=_("Materials"), required=False, widget=forms.Textarea(attrs={"rows": 2, **WIDE})
    )
    summary = forms.CharField(
        label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3, **WIDE})
    )
    grouping = forms.ModelChoiceField(
        label=_("Grouping"), queryset=Grouping.objects.none(), required=False
    )

    def __init__(self, *args: Any, viewer: Actor, activity: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.activity = activity
        kept = activity.grouping
        if kept is not None and not GROUPING.covers(viewer, kept):
            # A grouping the viewer may not see was never shown: it stays as it is.
            del self.fields["grouping"]
        else:
            choices = groupings_of_org(viewer, activity.org, activity.held_on)
            if kept is not None:
                choices = choices | GROUPING.queryset(viewer).filter(pk=kept.pk)
            self.fields["grouping"].queryset = choices.distinct()  # type: ignore[attr-defined]
        # A deactivated kind or venue category is not offered, but the activity keeps its own.
        kinds = ActivityKind.objects.filter(Q(is_active=True) | Q(pk=activity.kind_id))
        venues = VenueCategory.objects.filter(Q(is_active=True) | Q(pk=activity.venue_category_id))
        self.fields["kind"].queryset = kinds  # type: ignore[attr-defined]
        self.fields["venue_category"].queryset = venues  # type: ignore[attr-defined]
        _insert_after(self, "speaker", _speaker_fields())
        bind_viewer(self, viewer)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in NEW_FIELDS:
            # A form sent without these (an older page, a script) leaves them as they are.
            widget = self.fields[name].widget
            if widget.value_omitted_from_data(self.data, self.files, self.add_prefix(name)):
                data.pop(name, None)
        if data.get("sessions", 1) is None:
            data.pop("sessions")
        if "co_orgs" in data:
            # Co-hosts the viewer could not pick were never shown: they stay.
            field: Any = self.fields["co_orgs"]
            offered = set(field.candidates().values_list("pk", flat=True))
            kept = [o for o in self.activity.co_orgs.all() if o.pk not in offered]
            data["co_orgs"] = [*data["co_orgs"], *kept]
        speaker = data.pop("speaker", "") or ""
        kept = self.activity.speaker
        if not speaker and kept is not None and not PERSON.covers(self.viewer, kept):
            # A speaker the viewer may not see was never shown: leave it as it is.
            return data
        data["speaker"] = None
        if speaker:
            try:
                data["speaker"] = persons_by_names(self.viewer, speaker, near=self.activity.org)[0]
            except forms.ValidationError as error:
                self.add_error("speaker", error)
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by core's upload policy in the service."""

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


class AttachmentForm(forms.Form):
    """Evidence files of one kind for an activity."""

    kind = forms.ChoiceField(label=_("Kind of attachment"), choices=AttachmentKind.choices)
    attachments = MultipleFileField(label=_("Files"))


class DictionaryEntryForm(forms.Form):
    """An activity kind or a venue category; ``code`` only when created."""

    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("Letters, digits and hyphens; used by the API. Cannot be changed later."),
    )
    name = forms.CharField(label=_("Name"), max_length=40)
    sort_order = forms.IntegerField(label=_("Order in lists"), initial=100)

    def __init__(self, *args: Any, entry: Any = None, **kwargs: Any) -> None:
        if entry is not None:
            kwargs.setdefault("initial", {"name": entry.name, "sort_order": entry.sort_order})
        super().__init__(*args, **kwargs)
        if entry is not None:
            del self.fields["code"]
