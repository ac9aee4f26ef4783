"""Forms of reporting tasks: the task with its field rows, sending, filling, review."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.core.actors import Actor
from taizhang.organizations.models import Organization
from taizhang.reporting.models import FieldKind, ReportingTask, TaskField
from taizhang.reporting.permissions import ISSUE, TASK
from taizhang.reporting.selectors import FillRow, metric_choices
from taizhang.reporting.services import FieldIn

# The builder's kinds: the stored kinds plus "a ledger figure to confirm" (a number
# field naming a metric).
LEDGER = "ledger"
ROW_KEY = re.compile(r"^field-(\d+)-label$")


def builder_kinds() -> list[tuple[str, Any]]:
    return [(LEDGER, _("Ledger figure to confirm")), *FieldKind.choices]


def this_month() -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    start = today.replace(day=1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return start, following - dt.timedelta(days=1)


class DateInput(forms.DateInput):
    """An ``<input type="date">``: its value must be ISO (YYYY-MM-DD), never the
    locale's date format, which the browser would show as an empty field."""

    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class TaskForm(forms.Form):
    issuer = forms.ModelChoiceField(
        label=_("Issued by"), queryset=Organization.objects.none(), empty_label=None
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    instructions = forms.CharField(
        label=_("Instructions"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    period_start = forms.DateField(label=_("Period from"), widget=DateInput)
    period_end = forms.DateField(label=_("Period to"), widget=DateInput)
    deadline = forms.DateField(label=pgettext_lazy("reporting", "Deadline"), widget=DateInput)

    def __init__(self, *args: Any, viewer: Actor, task: ReportingTask | None = None, **kwargs: Any):
        if task is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "issuer": task.issuer_id,
                "title": task.title,
                "instructions": task.instructions,
                "period_start": task.period_start,
                "period_end": task.period_end,
                "deadline": task.deadline,
            }
        elif "initial" not in kwargs:
            start, end = this_month()
            kwargs["initial"] = {
                "period_start": start,
                "period_end": end,
                "deadline": end + dt.timedelta(days=5),
            }
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.fields["issuer"].queryset = TASK.org_choices(viewer, ISSUE)  # type: ignore[attr-defined]
        if task is not None:
            self.fields["issuer"].disabled = True
        self.metrics = dict(metric_choices(viewer))
        self.rows: list[dict[str, Any]] = []
        self.field_ins: list[FieldIn] = []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        data = self.data
        rows = []
        for key in data:
            match = ROW_KEY.match(key)
            if not match:
                continue
            i = match.group(1)
            rows.append(
                {
                    "i": i,
                    "label": data.get(f"field-{i}-label", "").strip(),
                    "kind": data.get(f"field-{i}-kind", ""),
                    "unit": data.get(f"field-{i}-unit", "").strip(),
                    "choices": data.get(f"field-{i}-choices", ""),
                    "metric": data.get(f"field-{i}-metric", ""),
                    "required": bool(data.get(f"field-{i}-required")),
                }
            )
        self.rows = rows
        field_ins = []
        for row in rows:
            if not row["label"] and row["kind"] != LEDGER:
                continue
            if row["kind"] == LEDGER:
                metric = row["metric"] if row["metric"] in self.metrics else ""
                if not metric:
                    self.add_error(None, _("Pick the ledger figure of each ledger-figure field."))
                    continue
                field_ins.append(
                    FieldIn(
                        label=row["label"] or self.metrics[metric],
                        kind=FieldKind.NUMBER,
                        required=row["required"],
                        unit_label=row["unit"],
                        metric=metric,
                    )
                )
            else:
                field_ins.append(
                    FieldIn(
                        label=row["label"],
                        kind=row["kind"],
                        required=row["required"],
                        unit_label=row["unit"],
                        choices=tuple(re.split(r"[,，、\n]", row["choices"])),
                    )
                )
        self.field_ins = field_ins
        return cleaned


def rows_of(task: ReportingTask) -> list[dict[str, Any]]:
    """A task's fields as builder rows (to edit a draft)."""
    return [
        {
            "i": f.order,
            "label": f.label,
            "kind": LEDGER if f.metric else f.kind,
            "unit": f.unit_label,
            "choices": "，".join(f.choices),
            "metric": f.metric,
            "required": f.required,
        }
        for f in task.fields.all()
    ]


def below(org: Organization) -> Any:
    """The open units directly below ``org``: whom a task is sent or relayed to."""
    return Organization.objects.filter(parent=org, is_active=True).order_by("sort_order", "path")


class OrgsForm(forms.Form):
    orgs = forms.ModelMultipleChoiceField(
        label=_("Receiving units"),
        queryset=Organization.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, org: Organization, exclude: Iterable[int] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        units = below(org).exclude(pk__in=list(exclude))
        field = self.fields["orgs"]
        field.queryset = units  # type: ignore[attr-defined]
        field.label_from_instance = lambda o: o.short_name or o.name  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial["orgs"] = [o.pk for o in units]


class RelayForm(OrgsForm):
    deadline = forms.DateField(label=_("Deadline for the units below"), widget=DateInput)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it sent back?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class FillForm(forms.Form):
    """One input per task field, named ``f<field id>``; the service validates values."""

    def __init__(self, *args: Any, rows: list[FillRow], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            self.fields[f"f{row.field.pk}"] = self._input(row.field, row.value)

    @staticmethod
    def _input(f: TaskField, value: Any) -> forms.Field:
        label = f"{f.label}（{f.unit_label}）" if f.unit_label else f.label
        common: dict[str, Any] = {"label": label, "required": False, "initial": value}
        if f.kind in (FieldKind.NUMBER, FieldKind.MONEY):
            return forms.CharField(
                max_length=30, widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common
            )
        if f.kind == FieldKind.DATE:
            return forms.CharField(widget=DateInput, **common)
        if f.kind == FieldKind.CHOICE:
            return forms.ChoiceField(choices=[("", "—"), *[(c, c) for c in f.choices]], **common)
        if f.kind == FieldKind.ATTACHMENT:
            common.pop("initial")
            return forms.FileField(**common)
        return forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), **common)

    def values(self) -> dict[int, Any]:
        return {
            row.field.pk: self.cleaned_data.get(f"f{row.field.pk}")
            for row in self.rows
            if row.field.kind != FieldKind.ATTACHMENT
        }

    def files_by_field(self) -> dict[int, Any]:
        found = {}
        for row in self.rows:
            if row.field.kind == FieldKind.ATTACHMENT:
                upload = self.cleaned_data.get(f"f{row.field.pk}")
                if upload:
                    found[row.field.pk] = upload
        return found

    def bound_rows(self) -> list[tuple[FillRow, Any]]:
        return [(row, self[f"f{row.field.pk}"]) for row in self.rows]
