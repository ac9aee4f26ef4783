"""Writes to the problem ledger. The only code that moves a problem's state.

Every service is atomic, checks the acting user's right on the organizations it writes
to, records a dated ``ProblemStep`` and exactly one audit event with the field diff.
``acting_user=SYSTEM`` is reserved for system jobs (demo loader, imports, escalation).
``when`` lets imports and the demo back-date a step; it defaults to now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.access import actor_name, require
from taizhang.core.actors import SYSTEM, user_of
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.organizations.models import Organization
from taizhang.organizations.scope import scope_for
from taizhang.problems import permissions
from taizhang.problems.models import (
    OPEN_STATES,
    Problem,
    ProblemEvidence,
    ProblemKind,
    ProblemState,
    ProblemStep,
    StepAction,
)
from taizhang.problems.selectors import is_leader_candidate

AUDITED_FIELDS = [
    "org",
    "title",
    "description",
    "kind",
    "source",
    "category",
    "origin_type",
    "origin_id",
    "lead_unit",
    "linked_leader",
    "responsible",
    "deadline",
    "state",
    "raised_on",
    "measures",
    "evidence_text",
    "submitted_on",
    "verifier",
    "closed_on",
    "escalated_on",
    "reopen_count",
]
EDITABLE_FIELDS = {
    "title",
    "description",
    "kind",
    "category",
    "lead_unit",
    "co_units",
    "linked_leader",
    "responsible",
    "deadline",
}
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MIN_EVIDENCE_TEXT = 10
# Extension → accepted leading bytes. The content must match the name.
EVIDENCE_TYPES: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF",),
    "png": (b"\x89PNG",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
    "doc": (b"\xd0\xcf\x11\xe0",),
    "xls": (b"\xd0\xcf\x11\xe0",),
}


def _now(when: dt.datetime | None) -> dt.datetime:
    return when or timezone.now()


def _day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def _ensure_manage(acting_user: Any, *orgs: Organization) -> None:
    if acting_user is None:
        return
    for org in orgs:
        require(permissions.can_manage_org(acting_user, org))


def _ensure_person(acting_user: Any, person: Any, field: str) -> None:
    """A person picked on a problem must be visible to the acting user (or a leader)."""
    if person is None or acting_user is None:
        return
    if scope_for(acting_user, "problems.view").covers(person.organization):
        return
    if field == "linked_leader" and is_leader_candidate(person):
        return
    raise ValidationError({field: _("This person is outside your data scope.")})


def _step(
    problem: Problem,
    *,
    action: str,
    from_state: str,
    acting_user: Any,
    when: dt.datetime,
    note: str = "",
) -> ProblemStep:
    return ProblemStep.objects.create(
        problem=problem,
        action=action,
        from_state=from_state,
        to_state=problem.state,
        occurred_at=when,
        actor=user_of(acting_user),
        actor_name=actor_name(acting_user),
        note=note,
    )


def _locked(problem: Problem) -> Problem:
    return (
        Problem.objects.select_for_update(of=("self",))
        .select_related("org", "lead_unit", "responsible")
        .get(pk=problem.pk)
    )


def validate_evidence_file(upload: UploadedFile) -> None:
    """Refuse files over 10 MB and files whose type is not accepted or does not match."""
    name = upload.name or ""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in EVIDENCE_TYPES:
        raise ValidationError(
            _("%(name)s: only PDF, JPG, PNG, Word and Excel files are accepted.") % {"name": name}
        )
    if (upload.size or 0) > MAX_EVIDENCE_BYTES:
        raise ValidationError(_("%(name)s is larger than 10 MB.") % {"name": name})
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in EVIDENCE_TYPES[suffix]):
        raise ValidationError(
            _("%(name)s does not look like a .%(suffix)s file.") % {"name": name, "suffix": suffix}
        )


def _resolve_origin(
    origin: models.Model | None, origin_type: str, origin_id: int | None
) -> tuple[str, int | None, str]:
    if origin is not None:
        return origin._meta.label_lower, int(origin.pk), str(origin)[:200]
    if not origin_type:
        return "", None, ""
    try:
        model = apps.get_model(origin_type)
    except (LookupError, ValueError):
        raise ValidationError({"origin_type": _("Unknown origin type.")}) from None
    obj = model._default_manager.filter(pk=origin_id).first()
    if obj is None:
        raise ValidationError({"origin_id": _("The origin record does not exist.")})
    return origin_type, int(obj.pk), str(obj)[:200]


def default_kind() -> ProblemKind:
    kind = ProblemKind.objects.filter(code="problem").first()
    if kind is None:
        raise ValidationError(_("The problem kinds are not set up."))
    return kind


@transaction.atomic
def problem_kind_create(
    *, code: str, name: str, sort_order: int = 100, acting_user: Any
) -> ProblemKind:
    """Extend the kind dictionary (system administrators)."""
    if acting_user is not None:
        require(acting_user.has_function("problems.configure"))
    kind = ProblemKind(code=code, name=name, sort_order=sort_order)
    kind.full_clean()
    kind.save()
    audit_record(
        actor=acting_user,
        action="problem_kind.create",
        obj=kind,
        changes=diff({}, snapshot(kind, ["code", "name", "sort_order"])),
    )
    return kind


@transaction.atomic
def problem_create(
    *,
    org: Organization,
    title: str,
    deadline: dt.date,
    source: str,
    kind: ProblemKind | None = None,
    category: str = "other",
    description: str = "",
    lead_unit: Organization | None = None,
    co_units: Sequence[Organization] = (),
    linked_leader: Any = None,
    responsible: Any = None,
    origin: models.Model | None = None,
    origin_type: str = "",
    origin_id: int | None = None,
    raised_on: dt.date | None = None,
    when: dt.datetime | None = None,
    acting_user: Any,
) -> Problem:
    """Put a problem on the ledger (挂账).

    ``origin`` is the record it came from (a project, demand, activity); pass the
    instance, or ``origin_type``/``origin_id`` when only those are known (a form).
    """
    lead = lead_unit or org
    _ensure_manage(acting_user, org, lead, *co_units)
    _ensure_person(acting_user, linked_leader, "linked_leader")
    _ensure_person(acting_user, responsible, "responsible")
    o_type, o_id, o_label = _resolve_origin(origin, origin_type, origin_id)
    moment = _now(when)
    problem = Problem(
        org=org,
        title=title.strip(),
        description=description.strip(),
        kind=kind or default_kind(),
        source=source,
        category=category,
        origin_type=o_type,
        origin_id=o_id,
        origin_label=o_label,
        lead_unit=lead,
        linked_leader=linked_leader,
        responsible=responsible,
        deadline=deadline,
        raised_on=raised_on or _day(moment),
        created_by=user_of(acting_user),
        created_at=moment,
    )
    problem.full_clean()
    if problem.deadline < problem.raised_on:
        raise ValidationError(
            {"deadline": _("The deadline cannot be before the problem was raised.")}
        )
    problem.save()
    if co_units:
        problem.co_units.set(co_units)
    _step(problem, action=StepAction.RAISE, from_state="", acting_user=acting_user, when=moment)
    audit_record(
        actor=acting_user,
        action="problem.create",
        obj=problem,
        changes={
            **diff({}, snapshot(problem, AUDITED_FIELDS)),
            "co_units": [[], sorted(u.pk for u in co_units)],
        },
    )
    return problem


@transaction.atomic
def problem_update(*, problem: Problem, acting_user: Any, **fields: Any) -> Problem:
    """Change the details of an open problem; state moves have their own services."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"Unknown problem fields: {sorted(unknown)}")
    problem = _locked(problem)
    if acting_user is not None:
        require(permissions.can(acting_user, "edit", problem))
    if problem.state not in (ProblemState.OPEN, ProblemState.IN_PROGRESS):
        raise ValidationError(_("Only a problem that is not yet submitted can be edited."))
    if "lead_unit" in fields:
        _ensure_manage(acting_user, fields["lead_unit"])
    co_units = fields.pop("co_units", None)
    if co_units is not None:
        _ensure_manage(acting_user, *co_units)
    for field in ("linked_leader", "responsible"):
        if field in fields:
            _ensure_person(acting_user, fields[field], field)
    before = snapshot(problem, AUDITED_FIELDS)
    before_units = sorted(problem.co_units.values_list("pk", flat=True))
    for key, value in fields.items():
        setattr(problem, key, value)
    problem.full_clean()
    problem.save()
    changes: dict[str, Any] = diff(before, snapshot(problem, AUDITED_FIELDS))
    if co_units is not None:
        problem.co_units.set(co_units)
        after_units = sorted(u.pk for u in co_units)
        if after_units != before_units:
            changes["co_units"] = [before_units, after_units]
    _step(
        problem,
        action=StepAction.UPDATE,
        from_state=problem.state,
        acting_user=acting_user,
        when=timezone.now(),
        note="、".join(sorted(changes)),
    )
    audit_record(actor=acting_user, action="problem.update", obj=problem, changes=changes)
    return problem


def _move(
    problem: Problem,
    *,
    to: str,
    action: str,
    acting_user: Any,
    when: dt.datetime,
    note: str = "",
    extra: dict[str, Any] | None = None,
) -> Problem:
    before = snapshot(problem, AUDITED_FIELDS)
    from_state = problem.state
    problem.state = to
    for key, value in (extra or {}).items():
        setattr(problem, key, value)
    problem.save()
    step = _step(
        problem, action=action, from_state=from_state, acting_user=acting_user, when=when, note=note
    )
    problem._last_step = step  # type: ignore[attr-defined]
    changes = diff(before, snapshot(problem, AUDITED_FIELDS))
    if note:
        changes["note"] = [None, note]
    audit_record(actor=acting_user, action=f"problem.{action}", obj=problem, changes=changes)
    return problem


@transaction.atomic
def problem_start(
    *, problem: Problem, measures: str = "", when: dt.datetime | None = None, acting_user: Any
) -> Problem:
    """挂账 → 整改中: the lead unit starts work, optionally stating its measures."""
    problem = _locked(problem)
    if acting_user is not None:
        require(permissions.can(acting_user, "start", problem))
    if problem.state != ProblemState.OPEN:
        raise ValidationError(_("Only a problem on the ledger can be started."))
    extra = {"measures": measures.strip()} if measures.strip() else {}
    return _move(
        problem,
        to=ProblemState.IN_PROGRESS,
        action=StepAction.START,
        acting_user=acting_user,
        when=_now(when),
        note=measures.strip(),
        extra=extra,
    )


@transaction.atomic
def problem_submit(
    *,
    problem: Problem,
    evidence_text: str,
    files: Iterable[UploadedFile] = (),
    when: dt.datetime | None = None,
    acting_user: Any,
) -> Problem:
    """整改中 → 待验收: submit the evidence (a written account and at least one file)."""
    problem = _locked(problem)
    if acting_user is not None:
        require(permissions.can(acting_user, "submit", problem))
    if problem.state != ProblemState.IN_PROGRESS:
        raise ValidationError(_("Only a problem being fixed can be submitted for sign-off."))
    text = evidence_text.strip()
    if len(text) < MIN_EVIDENCE_TEXT:
        raise ValidationError(
            {"evidence_text": _("Describe what was done in at least 10 characters.")}
        )
    uploads = list(files)
    for upload in uploads:
        validate_evidence_file(upload)
    if not uploads and not problem.evidence.exists():
        raise ValidationError({"files": _("Attach at least one file as evidence.")})
    moment = _now(when)
    problem = _move(
        problem,
        to=ProblemState.PENDING,
        action=StepAction.SUBMIT,
        acting_user=acting_user,
        when=moment,
        note=text,
        extra={"evidence_text": text, "submitted_on": _day(moment)},
    )
    step = problem._last_step  # type: ignore[attr-defined]
    for upload in uploads:
        ProblemEvidence.objects.create(
            problem=problem,
            step=step,
            file=upload,
            original_name=(upload.name or "")[:200],
            size=upload.size or 0,
            uploaded_at=moment,
        )
    return problem


@transaction.atomic
def problem_verify(
    *, problem: Problem, note: str = "", when: dt.datetime | None = None, acting_user: Any
) -> Problem:
    """待验收 → 销号: a verifier who is not the responsible person signs off."""
    problem = _locked(problem)
    if problem.state == ProblemState.CLOSED:
        raise ValidationError(_("This problem is already closed out."))
    if problem.state != ProblemState.PENDING:
        raise ValidationError(_("Only a problem awaiting sign-off can be closed out."))
    if not problem.evidence_text.strip() or not problem.evidence.exists():
        raise ValidationError(_("A problem cannot be closed out without evidence."))
    verifier = getattr(acting_user, "person", None) if acting_user is not None else None
    if acting_user is not None:
        if verifier is None:
            raise ValidationError(
                _("Your account is not linked to a person; a sign-off needs a named verifier.")
            )
        if verifier.pk == problem.responsible_id:
            raise ValidationError(_("The responsible person cannot sign off their own problem."))
        require(permissions.can(acting_user, "verify", problem))
    moment = _now(when)
    return _move(
        problem,
        to=ProblemState.CLOSED,
        action=StepAction.VERIFY,
        acting_user=acting_user,
        when=moment,
        note=note.strip(),
        extra={"verifier": verifier, "closed_on": _day(moment)},
    )


@transaction.atomic
def problem_send_back(
    *, problem: Problem, reason: str, when: dt.datetime | None = None, acting_user: Any
) -> Problem:
    """待验收 → 整改中: the verifier is not satisfied and says why."""
    problem = _locked(problem)
    if acting_user is not None:
        require(permissions.can(acting_user, "send_back", problem))
    if problem.state != ProblemState.PENDING:
        raise ValidationError(_("Only a problem awaiting sign-off can be sent back."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the problem is sent back.")})
    return _move(
        problem,
        to=ProblemState.IN_PROGRESS,
        action=StepAction.SEND_BACK,
        acting_user=acting_user,
        when=_now(when),
        note=reason.strip(),
        extra={"submitted_on": None},
    )


@transaction.atomic
def problem_reopen(
    *, problem: Problem, reason: str, when: dt.datetime | None = None, acting_user: Any
) -> Problem:
    """销号 → 挂账 (重新挂账): the problem came back; the reason is required."""
    problem = _locked(problem)
    if acting_user is not None:
        require(permissions.can(acting_user, "reopen", problem))
    if problem.state != ProblemState.CLOSED:
        raise ValidationError(_("Only a closed problem can be reopened."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the problem is reopened.")})
    return _move(
        problem,
        to=ProblemState.OPEN,
        action=StepAction.REOPEN,
        acting_user=acting_user,
        when=_now(when),
        note=reason.strip(),
        extra={
            "verifier": None,
            "closed_on": None,
            "submitted_on": None,
            "escalated_on": None,
            "reopen_count": problem.reopen_count + 1,
        },
    )


@transaction.atomic
def problem_escalate_overdue(
    *, today: dt.date | None = None, acting_user: Any = SYSTEM
) -> list[int]:
    """Flag every open problem past its deadline as escalated to its linked leader.

    A system job (``manage.py problems_escalate``, daily): each newly overdue problem
    gets a dated step and ``escalated_on``; one audit event lists them all.
    """
    day = today or timezone.localdate()
    due = list(
        Problem.objects.select_for_update(of=("self",))
        .filter(state__in=OPEN_STATES, deadline__lt=day, escalated_on__isnull=True)
        .order_by("pk")
    )
    if not due:
        return []
    moment = timezone.now()
    ids = [p.pk for p in due]
    Problem.objects.filter(pk__in=ids).update(escalated_on=day)
    ProblemStep.objects.bulk_create(
        ProblemStep(
            problem=p,
            action=StepAction.ESCALATE,
            from_state=p.state,
            to_state=p.state,
            occurred_at=moment,
            actor=user_of(acting_user),
            actor_name=actor_name(acting_user),
            note=str(p.deadline),
        )
        for p in due
    )
    audit_record(
        actor=acting_user,
        action="problem.escalate",
        object_type="problems.problem",
        object_repr=f"{len(ids)} overdue",
        changes={"escalated_on": [None, day], "problem_ids": [None, ids]},
    )
    return ids
