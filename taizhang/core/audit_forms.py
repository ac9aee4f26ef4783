"""The audit trail's filters (issue 18): time, operator, organization, object type,
action, outcome.

The organization filter keeps the events whose object belongs to the chosen unit or a
unit below it (``AuditEvent.scope_org``, set from the object's scope policy); core asks
the organizations module through ``core.registry.AUDIT_ORG`` for the field and the
subtree, so it imports nothing of it. Events without an object (logins, exports) have no
organization and are left out by this filter.

The page, its export and the verification all read the same query string; a bad date or
a start after the end is an error the page shows, and the list is then empty rather than
unfiltered."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.core.audit_display import object_type_choices
from taizhang.core.models import AuditEvent, AuditOutcome
from taizhang.core.registry import AUDIT_ORG
from taizhang.core.widgets import ID_SUFFIX, bind_viewer

PARAMS = (
    "date_from",
    "date_to",
    "actor",
    "organization",
    "organization" + ID_SUFFIX,
    "object_type",
    "action",
    "outcome",
)


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(label=pgettext_lazy("date range", "From"), required=False)
    date_to = forms.DateField(label=pgettext_lazy("date range", "To"), required=False)
    actor = forms.CharField(label=_("Operator"), required=False, max_length=60)
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    action = forms.CharField(label=_("Action"), required=False, max_length=80)
    outcome = forms.ChoiceField(label=_("Outcome"), required=False)

    def __init__(self, *args: Any, viewer: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hook = AUDIT_ORG.get("hook")
        if hook is not None and viewer is not None:
            # After the operator, in the order the page shows the filters.
            fields = list(self.fields.items())
            fields.insert(3, ("organization", hook.field()))
            self.fields = dict(fields)
            bind_viewer(self, viewer)
        object_type = self.fields["object_type"]
        outcome = self.fields["outcome"]
        assert isinstance(object_type, forms.ChoiceField) and isinstance(outcome, forms.ChoiceField)
        object_type.choices = [("", _("All object types")), *object_type_choices()]
        outcome.choices = [("", _("All outcomes")), *AuditOutcome.choices]
        for name in ("date_from", "date_to"):
            self.fields[name].widget = forms.DateInput(attrs={"type": "date"})
        self.fields["actor"].widget.attrs["placeholder"] = _("Operator's name or account")
        self.fields["action"].widget.attrs["placeholder"] = _("Action, e.g. login or person.reveal")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data

    @property
    def active(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in PARAMS)

    def narrow(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        """``events`` narrowed by the valid filters; nothing when they are not valid."""
        if not self.is_bound:
            return events
        if not self.is_valid():
            return events.none()
        data = self.cleaned_data
        zone = timezone.get_current_timezone()
        if data.get("date_from"):
            start = dt.datetime.combine(data["date_from"], dt.time.min, tzinfo=zone)
            events = events.filter(occurred_at__gte=start)
        if data.get("date_to"):
            end = dt.datetime.combine(
                data["date_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=zone
            )
            events = events.filter(occurred_at__lt=end)
        if data.get("actor"):
            text = data["actor"].strip()
            events = events.filter(Q(actor_name__icontains=text) | Q(actor__username=text))
        hook = AUDIT_ORG.get("hook")
        if data.get("organization") and hook is not None:
            events = events.filter(scope_org__in=hook.subtree(data["organization"]))
        if data.get("object_type"):
            events = events.filter(object_type=data["object_type"])
        if data.get("action"):
            events = events.filter(action__startswith=data["action"].strip())
        if data.get("outcome"):
            events = events.filter(outcome=data["outcome"])
        return events
