"""Forms of notices: fields and their choices only (the services hold the rules)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from taizhang.core.actors import Actor
from taizhang.notices.models import Audience
from taizhang.notices.permissions import PUBLISH
from taizhang.notices.selectors import publisher_choices, unit_choices
from taizhang.notices.services import MAX_LEVELS
from taizhang.organizations.models import Organization
from taizhang.organizations.widgets import OrganizationPickField, bind_viewer

ACCEPT = ".pdf,.jpg,.jpeg,.png,.doc,.docx,.xls,.xlsx"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class UnitChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Units listed in tree order, indented by depth."""

    def label_from_instance(self, obj: Organization) -> str:
        return obj.name


LEVEL_CHOICES = [
    (1, _("Units directly below")),
    (2, _("Two levels below")),
    (3, _("Three levels below")),
][:MAX_LEVELS]


class NoticeForm(forms.Form):
    org = OrganizationPickField(purpose=PUBLISH, label=_("Publishing unit"))
    title = forms.CharField(
        label=_("Notice title"), max_length=200, widget=forms.TextInput(attrs={"size": 60})
    )
    body = forms.CharField(
        label=_("Notice text"),
        widget=forms.Textarea(attrs={"rows": 12, "style": "width:100%"}),
        help_text=_("Plain text; leave an empty line between paragraphs."),
    )
    audience = forms.ChoiceField(
        label=_("Sent to"), choices=Audience.choices, widget=forms.RadioSelect
    )
    levels = forms.TypedChoiceField(
        label=_("How far down"), choices=LEVEL_CHOICES, coerce=int, initial=1, required=False
    )
    chosen_units = UnitChoiceField(
        label=_("Chosen units"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    requires_ack = forms.BooleanField(
        label=_("Ask for an acknowledgement of receipt"), required=False
    )
    ack_deadline = forms.DateField(
        label=_("Acknowledge by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args: Any, viewer: Actor, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bind_viewer(self, viewer)
        self.fields["chosen_units"].queryset = unit_choices(viewer)  # type: ignore[attr-defined]
        if editing:
            # The publishing unit of a draft stays; write a new notice for another unit.
            del self.fields["org"]
        elif not self.is_bound and "org" not in self.initial:
            self.initial["org"] = publisher_choices(viewer).order_by("depth", "path").first()

    def clean_levels(self) -> int:
        return int(self.cleaned_data.get("levels") or 1)

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "body": data["body"],
            "audience": data["audience"],
            "levels": data["levels"],
            "chosen_units": list(data["chosen_units"]),
            "requires_ack": data["requires_ack"],
            "ack_deadline": data["ack_deadline"] if data["requires_ack"] else None,
        }
