from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.core.actors import Actor
from taizhang.organizations.models import PARENT_KINDS, ROOT_ONLY_KINDS, OrgKind
from taizhang.organizations.permissions import MANAGE, VIEW
from taizhang.organizations.widgets import OrganizationPickField, bind_viewer


class RenameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    short_name = forms.CharField(label=_("Short name"), max_length=40)
    effective = forms.DateField(label=_("Effective from"), initial=timezone.localdate)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class _ViewerForm(forms.Form):
    def __init__(self, *args: Any, viewer: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        bind_viewer(self, viewer)


class MoveForm(_ViewerForm):
    """The new parent is picked (or its code or exact name typed) among the open
    organizations the viewer manages: unknown and outside her part read the same."""

    new_parent = OrganizationPickField(label=_("New parent"), purpose=MANAGE, tree=True)
    effective = forms.DateField(label=_("Effective from"), initial=timezone.localdate)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


def child_kind_choices(parent_kind: str) -> list[tuple[str, Any]]:
    """The kinds a child of ``parent_kind`` may have (models.PARENT_KINDS)."""
    return [
        (value, label)
        for value, label in OrgKind.choices
        if value not in ROOT_ONLY_KINDS
        and (value not in PARENT_KINDS or parent_kind in PARENT_KINDS[value])
    ]


class CreateChildForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=OrgKind.choices)
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=120)
    short_name = forms.CharField(label=_("Short name"), max_length=40, required=False)
    valid_from = forms.DateField(label=_("Effective from"), initial=timezone.localdate)

    def __init__(self, *args: Any, parent_kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = child_kind_choices(parent_kind)  # type: ignore[attr-defined]


class CloseForm(forms.Form):
    closed_on = forms.DateField(label=_("Closed on"), initial=timezone.localdate)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class MergeForm(_ViewerForm):
    into = OrganizationPickField(label=_("Merge into"), purpose=MANAGE, tree=True)
    merged_on = forms.DateField(label=_("Effective from"), initial=timezone.localdate)


class ReorderForm(forms.Form):
    child = forms.IntegerField(widget=forms.HiddenInput)
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])


class GroupingForm(_ViewerForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.CharField(
        label=_("Kind"), max_length=60, required=False, help_text=_("e.g. 联创协作组")
    )
    owner = OrganizationPickField(
        label=pgettext_lazy("grouping", "Lead organization"), purpose=MANAGE
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class MemberAddForm(_ViewerForm):
    organization = OrganizationPickField(label=_("Member unit"), purpose=VIEW)
    joined_on = forms.DateField(label=_("Joined on"), initial=timezone.localdate)


class MemberEndForm(forms.Form):
    left_on = forms.DateField(label=_("Left on"), initial=timezone.localdate)
