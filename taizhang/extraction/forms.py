"""The new-report form, and the review form's values turned into a service's input.

A draft's edited values are validated by the owning module's own form
(``activities.forms.ActivityForm``, ``people.forms.PersonForm``), so a date or a unit
is refused on the review page exactly as on the ledger's own page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from taizhang.activities.forms import ActivityForm
from taizhang.activities.models import ActivityKind, AttendanceMode
from taizhang.activities.services import ActivityIn
from taizhang.core.actors import Actor
from taizhang.core.widgets import bind_viewer
from taizhang.extraction.models import Draft, ReportIntake
from taizhang.extraction.permissions import MANAGE
from taizhang.extraction.services import MAX_UPLOAD_BYTES, PersonIn
from taizhang.organizations.widgets import OrganizationPickField
from taizhang.people.forms import PersonForm
from taizhang.people.permissions import PERSON

# The extraction's event kinds (events.KINDS) that name an activity kind of the ledger.
ACTIVITY_KINDS = {
    "集中学习": "group_study",
    "党课": "party_lecture",
    "主题党日": "party_day",
    "宣讲": "outreach_talk",
    "会议": "meeting",
    "调研考察": "survey",
    "志愿服务": "volunteer",
}
TITLE_CHARS = 80
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH_DAY = re.compile(r"--(\d{2})-(\d{2})")


class IntakeForm(forms.Form):
    title = forms.CharField(label=_("Report title"), max_length=200)
    org = OrganizationPickField(label=_("Booked on"), purpose=MANAGE)
    report_year = forms.IntegerField(
        label=_("Report year"),
        min_value=2000,
        max_value=2100,
        required=False,
        help_text=_("When the report's dates give no year and it has no dateline."),
    )
    text = forms.CharField(
        label=_("Report text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "style": "width:100%"}),
    )
    file = forms.FileField(
        label=_("Or a file (.txt or .docx)"),
        required=False,
        help_text=_("Up to 5 MB; text in UTF-8 or GB18030."),
    )

    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        bind_viewer(self, viewer)

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is None:
            return None
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(gettext("The file is larger than 5 MB."))
        if not upload.name.lower().endswith((".txt", ".docx")):
            raise forms.ValidationError(gettext("Upload a .txt or .docx file."))
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("text") or "").strip() and not data.get("file"):
            self.add_error("text", gettext("Paste the report's text or upload its file."))
        return data


def report_year(intake: ReportIntake) -> int | None:
    year = intake.report_year or (intake.meta or {}).get("year")
    return int(year) if year else None


def draft_day(value: Any, year: int | None) -> str:
    """The ISO day a draft's date stands for: the first day of a range, the report's
    year for a date written without one; empty when the text gives no day."""
    first = str(value or "").split("/")[0]
    if _DAY.fullmatch(first):
        return first
    match = _MONTH_DAY.fullmatch(first)
    if match and year:
        try:
            return dt.date(year, int(match[1]), int(match[2])).isoformat()
        except ValueError:
            return ""
    return ""


def draft_title(sentence: str) -> str:
    title = sentence.strip().rstrip("。；;")
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"


def late_summary(intake: ReportIntake, sentence: str) -> str:
    return gettext("Late entry (补录) from the report “%(title)s”: %(sentence)s") % {
        "title": intake.title,
        "sentence": sentence,
    }


def activity_defaults(draft: Draft, kinds: Mapping[str, int]) -> dict[str, str]:
    """What the review form shows for an activity draft before anyone edits it.
    ``kinds``: activity kind code → id."""
    fields = draft.fields or {}
    org_ids = fields.get("org_ids") or []
    code = ACTIVITY_KINDS.get(str(fields.get("kind") or ""), "")
    return {
        "org": str(org_ids[0] if org_ids else draft.intake.org_id),
        "kind": str(kinds.get(code, "")),
        "title": draft_title(draft.sentence),
        "held_on": draft_day(fields.get("date"), report_year(draft.intake)),
        "venue": str(fields.get("place") or "")[:120],
    }


def person_defaults(draft: Draft) -> dict[str, str]:
    fields = draft.fields or {}
    return {
        "name": str(fields.get("name") or ""),
        "gender": "",
        "affiliation": str(fields.get("title") or "")[:120],
        "person": "",
    }


def _refuse(form: forms.Form, rename: Mapping[str, str] | None = None) -> ValidationError:
    rename = rename or {}
    return ValidationError(
        {rename.get(field, field): list(errors) for field, errors in form.errors.items()}
    )


def _activity_input(draft: Draft, values: Mapping[str, Any], viewer: Actor) -> ActivityIn:
    kinds = dict(ActivityKind.objects.filter(is_active=True).values_list("code", "pk"))
    data = {**activity_defaults(draft, kinds)}
    data.update({k: values[k] for k in data if k in values})
    data.update(
        {
            "mode": "offline",
            "attendance_mode": AttendanceMode.HEADCOUNT,
            "headcount": "0",
            "summary": late_summary(draft.intake, draft.sentence),
        }
    )
    form = ActivityForm(data, viewer=viewer)
    if not form.is_valid():
        raise _refuse(form)
    d = form.cleaned_data
    return ActivityIn(
        org=d["org"],
        kind=d["kind"],
        title=d["title"],
        held_on=d["held_on"],
        venue=d["venue"],
        mode=d["mode"],
        summary=d["summary"],
        attendance_mode=AttendanceMode.HEADCOUNT,
        headcount=0,
    )


def _person_input(draft: Draft, values: Mapping[str, Any], viewer: Actor) -> PersonIn:
    data = {**person_defaults(draft)}
    data.update({k: values[k] for k in data if k in values})
    linked = str(data.get("person") or "").strip()
    if linked:
        person = PERSON.resolve(viewer, linked, field="person")
        return PersonIn(person=person)
    form = PersonForm(
        {
            "organization": str(draft.intake.org_id),
            "name": data["name"],
            "gender": data["gender"],
            "is_external": "on",
            "affiliation": data["affiliation"],
        },
        viewer=viewer,
    )
    if not form.is_valid():
        # The intake's organization is where the person is kept: outside the viewer's
        # register it is refused like on the people page, shown against the link.
        raise _refuse(form, {"organization": "person"})
    d = form.cleaned_data
    return PersonIn(name=d["name"], gender=d["gender"], affiliation=d["affiliation"])


def draft_input(draft: Draft, values: Mapping[str, Any], viewer: Actor) -> Any:
    """The service input for confirming ``draft`` with the review form's ``values``, or
    a ``ValidationError`` by field; None for a kind not confirmed yet."""
    from taizhang.extraction.kinds import KINDS

    if draft.kind == "activity":
        return _activity_input(draft, values, viewer)
    if draft.kind == "person":
        return _person_input(draft, values, viewer)
    if draft.kind in KINDS:
        return KINDS[draft.kind].clean(draft, {k: str(v) for k, v in values.items()}, viewer)
    return None
