"""The audit trail in people's words (issue 18): what was done to what, which fields
changed, and the values as a clerk would write them.

An event keeps its action (``project.update``), its object type (a model's
``app_label.model``) and its changes as ``{field: [old, new]}`` with raw values (ids,
choice codes, integer yuan, ISO dates). Nothing here changes what is stored: the page
and the export read every event through ``describe``, which

* names the action from the object type's verbose name and the verb (``update`` → 修改),
  or from a label a module registered for the whole action
  (``core.registry.register_audit_action``);
* names each field by the model field's verbose name;
* shows an id as the name its object had at the time (the newest name the trail holds for
  it at or before the event, else its current name), a choice by its label, money (a
  ``BigIntegerField`` whose English name ends in "(yuan)") in 万元/亿元, a date as
  2026年11月1日 in Chinese, yes/no for a flag.

Names are looked up in one query per related model for a whole page of events.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Min
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from taizhang.core.formatting import chinese_date, format_yuan
from taizhang.core.models import AuditEvent
from taizhang.core.registry import AUDIT_ACTIONS, AUDIT_FIELDS

# The verbs of the trail's actions (the part after the last dot). A module registers a
# label for an action whose verb reads wrongly beside its object.
VERBS: dict[str, Any] = {
    "create": pgettext_lazy("audit verb", "created"),
    "update": pgettext_lazy("audit verb", "changed"),
    "delete": pgettext_lazy("audit verb", "deleted"),
    "import": pgettext_lazy("audit verb", "imported"),
    "import_undo": pgettext_lazy("audit verb", "import undone"),
    "export": pgettext_lazy("audit verb", "exported"),
    "reveal": pgettext_lazy("audit verb", "personal data revealed"),
    "reactivate": pgettext_lazy("audit verb", "reactivated"),
    "deactivate": pgettext_lazy("audit verb", "deactivated"),
    "end": pgettext_lazy("audit verb", "ended"),
    "close": pgettext_lazy("audit verb", "closed"),
    "rename": pgettext_lazy("audit verb", "renamed"),
    "move": pgettext_lazy("audit verb", "moved"),
    "merge": pgettext_lazy("audit verb", "merged"),
    "reorder": pgettext_lazy("audit verb", "reordered"),
    "publish": pgettext_lazy("audit verb", "published"),
    "withdraw": pgettext_lazy("audit verb", "withdrawn"),
    "submit": pgettext_lazy("audit verb", "submitted"),
    "review": pgettext_lazy("audit verb", "reviewed"),
    "verify": pgettext_lazy("audit verb", "verified"),
    "confirm": pgettext_lazy("audit verb", "confirmed"),
    "correct": pgettext_lazy("audit verb", "corrected"),
    "record": pgettext_lazy("audit verb", "recorded"),
    "assign": pgettext_lazy("audit verb", "assigned"),
    "reassign": pgettext_lazy("audit verb", "reassigned"),
    "start": pgettext_lazy("audit verb", "started"),
    "reply": pgettext_lazy("audit verb", "replied"),
    "follow_up": pgettext_lazy("audit verb", "followed up"),
    "reopen": pgettext_lazy("audit verb", "reopened"),
    "escalate": pgettext_lazy("audit verb", "escalated"),
    "send_back": pgettext_lazy("audit verb", "sent back"),
    "advance": pgettext_lazy("audit verb", "advanced a stage"),
    "lost": pgettext_lazy("audit verb", "marked lost"),
    "convert": pgettext_lazy("audit verb", "converted to a project"),
    "add": pgettext_lazy("audit verb", "added"),
    "set": pgettext_lazy("audit verb", "set"),
    "appoint": pgettext_lazy("audit verb", "appointed"),
    "enroll": pgettext_lazy("audit verb", "enrolled"),
    "complete": pgettext_lazy("audit verb", "completed"),
    "check_in": pgettext_lazy("audit verb", "checked in"),
    "acknowledge": pgettext_lazy("audit verb", "acknowledged"),
    "remind": pgettext_lazy("audit verb", "reminded"),
    "read": pgettext_lazy("audit verb", "read"),
    "revoke": pgettext_lazy("audit verb", "revoked"),
    "revoke_all": pgettext_lazy("audit verb", "all revoked"),
    "issue": pgettext_lazy("audit verb", "issued"),
    "enable": pgettext_lazy("audit verb", "enabled"),
    "unlock": pgettext_lazy("audit verb", "unlocked"),
    "change_password": pgettext_lazy("audit verb", "password changed"),
    "reset_password": pgettext_lazy("audit verb", "password reset"),
    "logout": pgettext_lazy("audit verb", "signed out"),
    "form": pgettext_lazy("audit verb", "signed in"),
    "retry": pgettext_lazy("audit verb", "retried"),
    "upload": pgettext_lazy("audit verb", "uploaded"),
    "undo": pgettext_lazy("audit verb", "undone"),
    "progress_report": pgettext_lazy("audit verb", "progress reported"),
    "schedule_set": pgettext_lazy("audit verb", "schedule set"),
    "months_set": pgettext_lazy("audit verb", "monthly plan set"),
    "stage_move": pgettext_lazy("audit verb", "stage moved"),
    "denied": pgettext_lazy("audit verb", "refused"),
    "accept": pgettext_lazy("audit verb", "accepted"),
    "relay": pgettext_lazy("audit verb", "relayed to the units below"),
    "send": pgettext_lazy("audit verb", "sent"),
    "enter": pgettext_lazy("audit verb", "entered"),
    "quota": pgettext_lazy("audit verb", "quota changed"),
    "declare_winners": pgettext_lazy("audit verb", "winners declared"),
    "open_scoring": pgettext_lazy("audit verb", "scoring opened"),
    "password_expired": pgettext_lazy("audit verb", "signed in with an expired password"),
    "approve": pgettext_lazy("audit verb", "approved"),
    "refuse": pgettext_lazy("audit verb", "turned down"),
}
# Actions whose changes have no old value: what the record was created with, what a
# read asked for.
CREATING = {"create", "import", "add", "record", "appoint", "set", "read"}
YES_NO = (gettext_lazy("yes"), gettext_lazy("no"))
EMPTY = "—"


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    old: str
    new: str
    pair: bool  # an [old, new] change; otherwise ``new`` holds the value


@dataclass(frozen=True)
class Shown:
    event: AuditEvent
    action: str
    object_type: str
    changes: tuple[Change, ...]

    @property
    def changes_text(self) -> str:
        return "；".join(
            f"{c.label}：{c.old} → {c.new}" if c.pair else f"{c.label}：{c.new}"
            for c in self.changes
        )


def model_of(object_type: str) -> type[models.Model] | None:
    if "." not in object_type:
        return None
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def object_type_label(object_type: str) -> str:
    model = model_of(object_type)
    return str(model._meta.verbose_name) if model is not None else object_type


def object_type_choices() -> list[tuple[str, str]]:
    """Every model of the product's modules, by its name, for the filter."""
    from django.conf import settings

    labels = {f"taizhang.{name}" for name in settings.TAIZHANG_MODULES}
    found = [
        (model._meta.label_lower, str(model._meta.verbose_name))
        for model in apps.get_models()
        if model._meta.app_config.name in labels
    ]
    return sorted(found, key=lambda pair: pair[1])


def action_label(action: str, object_type: str = "") -> str:
    if action in AUDIT_ACTIONS:
        return str(AUDIT_ACTIONS[action])
    subject, _dot, verb = action.rpartition(".")
    verb_label = VERBS.get(verb)
    if verb_label is None:
        # "assignment_send_back": the longest known verb at the end of the name.
        parts = verb.split("_")
        verb_label = next(
            (VERBS[k] for i in range(1, len(parts)) if (k := "_".join(parts[i:])) in VERBS),
            None,
        )
    if verb_label is None:
        return action
    thing = object_type_label(object_type) if model_of(object_type) else subject
    return _("%(thing)s %(verb)s") % {"thing": thing, "verb": verb_label}


def _field(model: type[models.Model] | None, name: str) -> Any:
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - a field the model no longer has, or a plain key
        return None
    # A reverse relation ("answers" of an assignment) is not what the key holds: the
    # service wrote the values themselves under that name.
    return None if field.auto_created and not field.concrete else field


@lru_cache(maxsize=512)
def is_money(field: Any) -> bool:
    """Whether a field holds integer yuan (its English name ends in "(yuan)"); asked
    once per field, not per value shown."""
    if not isinstance(field, models.BigIntegerField):
        return False
    with translation.override("en"):
        return str(field.verbose_name).endswith("(yuan)")


def field_label(field: Any, name: str, object_type: str = "") -> str:
    registered = AUDIT_FIELDS.get(f"{object_type}:{name}") or AUDIT_FIELDS.get(name)
    if field is None or not hasattr(field, "verbose_name"):
        return str(registered) if registered is not None else name
    label = str(field.verbose_name)
    if registered is not None and label == name.replace("_", " "):
        return str(registered)  # the model gave the field no name of its own
    if is_money(field):
        # The value is shown in 万元/亿元, so the label's own unit goes.
        for unit in ("（元）", "(元)", " (yuan)", "(yuan)"):
            label = label.removesuffix(unit)
    return label


def _date_text(value: str) -> str | None:
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
    if translation.get_language() and translation.get_language().startswith("zh"):
        return chinese_date(day) + (value[10:].replace("T", " ")[:6] if len(value) > 10 else "")
    return value[:16].replace("T", " ")


class Names:
    """The names objects had, looked up once for a batch of events."""

    def __init__(self) -> None:
        self.wanted: dict[type[models.Model], set[str]] = defaultdict(set)
        # (model, id) -> [(first event id with this name, name)] in id order
        self.history: dict[tuple[type[models.Model], str], list[tuple[int, str]]] = {}
        self.current: dict[tuple[type[models.Model], str], str] = {}

    def want(self, model: type[models.Model], value: Any) -> None:
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, int) and not isinstance(item, bool):
                self.wanted[model].add(str(item))

    def load(self) -> None:
        for model, ids in self.wanted.items():
            object_type = model._meta.label_lower
            rows = (
                AuditEvent.objects.filter(object_type=object_type, object_id__in=ids)
                .exclude(object_repr="")
                .values("object_id", "object_repr")
                .annotate(first=Min("pk"))
                .order_by("first")
            )
            for row in rows:
                key = (model, row["object_id"])
                self.history.setdefault(key, []).append((row["first"], row["object_repr"]))
            missing = [pk for pk in ids if (model, pk) not in self.history]
            if missing:
                for obj in model._default_manager.filter(pk__in=missing):
                    self.current[(model, str(obj.pk))] = str(obj)

    def name(self, model: type[models.Model], pk: Any, at: int) -> str:
        key = (model, str(pk))
        names = self.history.get(key)
        if names:
            before = [name for first, name in names if first <= at]
            return before[-1] if before else names[0][1]
        return self.current.get(key, f"#{pk}")


def _value(field: Any, value: Any, names: Names, at: int) -> str:
    if value in (None, "", []):
        return EMPTY
    if field is not None and getattr(field, "is_relation", False) and field.related_model:
        if isinstance(value, list):
            return "、".join(names.name(field.related_model, v, at) for v in value) or EMPTY
        return names.name(field.related_model, value, at)
    choices = getattr(field, "flatchoices", None) if field is not None else None
    if choices:
        labels = {str(code): str(label) for code, label in choices}
        if isinstance(value, list):
            return "、".join(labels.get(str(v), str(v)) for v in value)
        return labels.get(str(value), str(value))
    if isinstance(value, bool):
        return str(YES_NO[0] if value else YES_NO[1])
    if isinstance(value, str) and "." in value and model_of(value) is not None:
        return object_type_label(value)  # a generic link's type: "activities.activity"
    if field is not None and is_money(field) and isinstance(value, int | float | str):
        return format_yuan(value)
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        shown = _date_text(value)
        if shown:
            return shown
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_plain_change(v)}" for k, v in value.items())
    return str(value)


def _plain_change(value: Any) -> str:
    """One entry of a dictionary of changes (a task's answers): "old → new", or the new
    value alone when there was none before."""
    if isinstance(value, list) and len(value) == 2:
        old, new = (EMPTY if v in (None, "") else str(v) for v in value)
        return new if old == EMPTY else f"{old} → {new}"
    return EMPTY if value in (None, "") else str(value)


def describe(events: Sequence[AuditEvent] | Iterable[AuditEvent]) -> list[Shown]:
    """The events in people's words, with every id named in one pass."""
    events = list(events)
    names = Names()
    for event in events:
        model = model_of(event.object_type)
        for name, value in (event.changes or {}).items():
            field = _field(model, name)
            if field is not None and getattr(field, "is_relation", False) and field.related_model:
                pair = value if isinstance(value, list) and len(value) == 2 else [value]
                for item in pair:
                    names.want(field.related_model, item)
    names.load()
    shown = []
    for event in events:
        model = model_of(event.object_type)
        # A new record's fields have no old value: show what it was created with.
        creating = event.action.rpartition(".")[2] in CREATING
        changes = []
        for name, value in (event.changes or {}).items():
            field = _field(model, name)
            label = field_label(field, name, event.object_type)
            if name == "fields" and model is not None and isinstance(value, list):
                # Which fields a reveal or an export showed: by their names.
                value = [field_label(_field(model, str(v)), str(v)) for v in value]
            is_pair = (
                isinstance(value, list)
                and len(value) == 2
                and not (field is None and all(isinstance(v, str) for v in value))
            )
            if is_pair:
                old = _value(field, value[0], names, event.pk)
                new = _value(field, value[1], names, event.pk)
                if creating and old == EMPTY:
                    if new != EMPTY:
                        changes.append(Change(name, label, "", new, False))
                    continue
                changes.append(Change(name, label, old, new, True))
            else:
                changes.append(
                    Change(name, label, "", _value(field, value, names, event.pk), False)
                )
        shown.append(
            Shown(
                event=event,
                action=action_label(event.action, event.object_type),
                object_type=object_type_label(event.object_type) if event.object_type else "",
                changes=tuple(changes),
            )
        )
    return shown
