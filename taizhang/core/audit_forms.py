"""The audit trail's filters (issue 18): time, operator, object type, action, outcome.

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

PARAMS = ("date_from", "date_to", "actor", "object_type", "action", "outcome")


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(label=pgettext_lazy("date range", "From"), required=False)
    date_to = forms.DateField(label=pgettext_lazy("date range", "To"), required=False)
    actor = forms.CharField(label=_("Operator"), required=False, max_length=60)
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    action = forms.CharField(label=_("Action"), required=False, max_length=80)
    outcome = forms.ChoiceField(label=_("Outcome"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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
        if data.get("object_type"):
            events = events.filter(object_type=data["object_type"])
        if data.get("action"):
            events = events.filter(action__startswith=data["action"].strip())
        if data.get("outcome"):
            events = events.filter(outcome=data["outcome"])
        return events
