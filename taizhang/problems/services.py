"""Writes to the problem ledger. The only code that moves a problem's state.

Every service is atomic, checks the acting user's right through the scope policy
(``permissions.POLICY``), records a dated ``ProblemStep`` (``core.lifecycle``) and
exactly one audit event with the field diff, and reports the problem rows it wrote for
the monthly roll-ups (``core.changes``). ``acting_user=SYSTEM`` is reserved for system
jobs (demo loader, imports, escalation). ``when`` lets imports and the demo back-date a
step; it defaults to now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.access import require
from taizhang.core.actors import SYSTEM, Actor, is_system, require_actor, user_of
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.changes import rows_changing, rows_written
from taizhang.core.lifecycle import record_step, step_fields
from taizhang.core.registry import POLICIES
from taizhang.core.services import update_with_audit
from taizhang.organizations.models import Organization
from taizhang.organizations.policy import unknown_message
from taizhang.people.models import Person
from taizhang.people.permissions import PERSON
from taizhang.people.selectors import is_leader_candidate
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
from taizhang.problems.permissions import POLICY
from taizhang.problems.selectors import unit_choices

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


def _ensure_units(acting_user: Actor, *units: Organization) -> None:
    """Lead units and co-units: any unit the acting user may name (``unit_choices``:
    her own units, or a unit of the district such as a bureau). Naming one shows the
    problem to it and grants the acting user nothing over the unit."""
    require_actor(acting_user)
    if is_system(acting_user) or not units:
        return
    offered = set(
        unit_choices(viewer=acting_user)
        .filter(pk__in=[u.pk for u in units])
        .values_list("pk", flat=True)
    )
    if any(unit.pk not in offered for unit in units):
        raise PermissionDenied


def _ensure_person(acting_user: Actor, person: Person | None, field: str) -> None:
    """A person picked on a problem: the linked leader is a leader candidate (one rule
    for every module); anyone else must be visible under the one rule for persons."""
    require_actor(acting_user)
    if person is None or is_system(acting_user):
        return
    if field == "linked_leader":
        if is_leader_candidate(person):
            return
        raise ValidationError({field: _("This person cannot be a linked leader.")})
    if not PERSON.covers(acting_user, person):
        raise ValidationError({field: unknown_message()})


def _step(
    problem: Problem,
    *,
    action: str,
    from_state: str,
    acting_user: Actor,
    when: dt.datetime,
    note: str = "",
) -> ProblemStep:
    return record_step(
        ProblemStep,
        subject_field="problem",
        subject=problem,
        action=action,
        from_state=from_state,
        to_state=problem.state,
        acting_user=acting_user,
        when=when,
        note=note,
    )


def _locked(problem: Problem) -> Problem:
    return (
        Problem.objects.select_for_update(of=("self",))
        .select_related("org", "lead_unit", "responsible", "kind")
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


def origin_policy(origin_type: str) -> Any:
    """The registered scope policy of the model named ``origin_type`` (``app.model``)."""
    for policy in POLICIES.values():
        if policy.model._meta.label_lower == origin_type:
            return policy
    return None


def _resolve_origin(
    acting_user: Actor, origin: models.Model | None, origin_type: str, origin_id: int | None
) -> tuple[str, int | None, str]:
    """Where the problem came from. An instance comes from a calling service that read
    it already; a type and id (a form, the API) are resolved through the origin model's
    own scope policy, so a hidden record answers like a missing one."""
    if origin is not None:
        return origin._meta.label_lower, int(origin.pk), str(origin)[:200]
    if not origin_type:
        return "", None, ""
    policy = origin_policy(origin_type)
    if policy is None:
        raise ValidationError({"origin_type": _("Unknown origin type.")})
    obj = policy.resolve(acting_user, origin_id, field="origin_id")
    return origin_type, int(obj.pk), str(obj)[:200]


def default_kind() -> ProblemKind:
    kind = ProblemKind.objects.filter(code="problem").first()
    if kind is None:
        raise ValidationError(_("The problem kinds are not set up."))
    return kind


@transaction.atomic
def problem_kind_create(
    *,
    code: str,
    name: str,
    sort_order: int = 100,
    self_close_allowed: bool = False,
    acting_user: Actor,
) -> ProblemKind:
    """Extend the kind dictionary (system administrators). ``self_close_allowed`` lets
    whoever raised an item of this kind or submitted its evidence also close it out."""
    require_actor(acting_user)
    require(acting_user.has_function("problems.configure"))
    kind = ProblemKind(
        code=code, name=name, sort_order=sort_order, self_close_allowed=self_close_allowed
    )
    kind.full_clean()
    kind.save()
    audit_record(
        actor=acting_user,
        action="problem_kind.create",
        obj=kind,
        changes=diff({}, snapshot(kind, ["code", "name", "sort_order", "self_close_allowed"])),
    )
    return kind


KIND_FIELDS = ["code", "name", "sort_order", "self_close_allowed"]


def _require_configure(acting_user: Actor) -> None:
    require_actor(acting_user)
    require(acting_user.has_function("problems.configure"))


@transaction.atomic
def problem_kind_update(
    *, kind: ProblemKind, changes: dict[str, Any], acting_user: Actor
) -> ProblemKind:
    """Rename, reorder or change the self-close rule of a kind; the code stays. The rule
    applies to every item of the kind from then on, open ones included."""
    _require_configure(acting_user)
    update_with_audit(
        kind,
        changes=changes,
        editable=["name", "sort_order", "self_close_allowed"],
        audited=KIND_FIELDS,
        action="problem_kind.update",
        acting_user=acting_user,
    )
    return kind


@transaction.atomic
def problem_kind_set_active(*, kind: ProblemKind, active: bool, acting_user: Actor) -> ProblemKind:
    """Deactivate (no longer offered for new items; items of the kind keep it) or
    reactivate. Kinds are never deleted: problems point to them."""
    _require_configure(acting_user)
    update_with_audit(
        kind,
        changes={"is_active": active},
        editable=["is_active"],
        audited=["is_active"],
        action="problem_kind.reactivate" if active else "problem_kind.deactivate",
        acting_user=acting_user,
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
    linked_leader: Person | None = None,
    responsible: Person | None = None,
    origin: models.Model | None = None,
    origin_type: str = "",
    origin_id: int | None = None,
    raised_on: dt.date | None = None,
    when: dt.datetime | None = None,
    acting_user: Actor,
) -> Problem:
    """Put a problem on the ledger (挂账).

    The owning ``org`` must be in the acting user's manage scope; the lead unit and the
    co-units may also be units of the district (a bureau), which then see the item.
    ``origin`` is the record it came from (a project, demand, activity); pass the
    instance, or ``origin_type``/``origin_id`` when only those are known (a form).
    """
    lead = lead_unit or org
    POLICY.require_org(acting_user, org)
    _ensure_units(acting_user, *[u for u in (lead, *co_units) if u.pk != org.pk])
    _ensure_person(acting_user, linked_leader, "linked_leader")
    _ensure_person(acting_user, responsible, "responsible")
    o_type, o_id, o_label = _resolve_origin(acting_user, origin, origin_type, origin_id)
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
    rows_written(Problem, [problem])
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
def problem_update(*, problem: Problem, acting_user: Actor, **fields: Any) -> Problem:
    """Change the details of an open problem; state moves have their own services."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"Unknown problem fields: {sorted(unknown)}")
    problem = _locked(problem)
    _require_action(acting_user, "edit", problem)
    if problem.state not in (ProblemState.OPEN, ProblemState.IN_PROGRESS):
        raise ValidationError(_("Only a problem that is not yet submitted can be edited."))
    if "lead_unit" in fields and fields["lead_unit"].pk not in (
        problem.org_id,
        problem.lead_unit_id,
    ):
        _ensure_units(acting_user, fields["lead_unit"])
    co_units = fields.pop("co_units", None)
    if co_units is not None:
        kept = set(problem.co_units.values_list("pk", flat=True)) | {problem.org_id}
        _ensure_units(acting_user, *[u for u in co_units if u.pk not in kept])
    for field in ("linked_leader", "responsible"):
        if field in fields:
            _ensure_person(acting_user, fields[field], field)
    before = snapshot(problem, AUDITED_FIELDS)
    before_units = sorted(problem.co_units.values_list("pk", flat=True))
    for key, value in fields.items():
        setattr(problem, key, value)
    problem.full_clean()
    problem.save()
    rows_written(Problem, [problem])
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


def _require_action(acting_user: Actor, action: str, problem: Problem) -> None:
    require_actor(acting_user)
    if not is_system(acting_user):
        require(permissions.can(acting_user, action, problem))


def _move(
    problem: Problem,
    *,
    to: str,
    action: str,
    acting_user: Actor,
    when: dt.datetime,
    note: str = "",
    extra: dict[str, Any] | None = None,
) -> Problem:
    before = snapshot(problem, AUDITED_FIELDS)
    from_state = problem.state
    problem.state = to
    for key, value in (extra or {}).items():
        setattr(problem, key, value)
    # Closing out and reopening move the row in and out of the closed-out figure.
    with rows_changing(Problem, [problem.pk]):
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
    *, problem: Problem, measures: str = "", when: dt.datetime | None = None, acting_user: Actor
) -> Problem:
    """挂账 → 整改中: the lead unit starts work, optionally stating its measures."""
    problem = _locked(problem)
    _require_action(acting_user, "start", problem)
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
    acting_user: Actor,
) -> Problem:
    """整改中 → 待验收: submit the evidence (a written account and at least one file)."""
    problem = _locked(problem)
    _require_action(acting_user, "submit", problem)
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
    *, problem: Problem, note: str = "", when: dt.datetime | None = None, acting_user: Actor
) -> Problem:
    """待验收 → 销号: a verifier who is not the responsible person signs off."""
    problem = _locked(problem)
    if problem.state == ProblemState.CLOSED:
        raise ValidationError(_("This problem is already closed out."))
    if problem.state != ProblemState.PENDING:
        raise ValidationError(_("Only a problem awaiting sign-off can be closed out."))
    if not problem.evidence_text.strip() or not problem.evidence.exists():
        raise ValidationError(_("A problem cannot be closed out without evidence."))
    require_actor(acting_user)
    verifier = getattr(acting_user, "person", None)
    if not is_system(acting_user):
        if verifier is None:
            raise ValidationError(
                _("Your account is not linked to a person; a sign-off needs a named verifier.")
            )
        if verifier.pk == problem.responsible_id:
            raise ValidationError(_("The responsible person cannot sign off their own problem."))
        # Duties kept apart: the kind decides whether one person may raise (or submit
        # the evidence of) an item and also close it out; by default not.
        own = permissions.own_work(acting_user, problem)
        if own == "raised":
            raise ValidationError(
                _("You put this problem on the ledger; someone else must close it out.")
            )
        if own == "submitted":
            raise ValidationError(
                _("You submitted the evidence of this problem; someone else must close it out.")
            )
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
    *, problem: Problem, reason: str, when: dt.datetime | None = None, acting_user: Actor
) -> Problem:
    """待验收 → 整改中: the verifier is not satisfied and says why."""
    problem = _locked(problem)
    _require_action(acting_user, "send_back", problem)
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
    *, problem: Problem, reason: str, when: dt.datetime | None = None, acting_user: Actor
) -> Problem:
    """销号 → 挂账 (重新挂账): the problem came back; the reason is required."""
    problem = _locked(problem)
    _require_action(acting_user, "reopen", problem)
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
    *, today: dt.date | None = None, acting_user: Actor = SYSTEM
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
    rows_written(Problem, ids)
    ProblemStep.objects.bulk_create(
        ProblemStep(
            **step_fields(
                subject_field="problem",
                subject=p,
                action=StepAction.ESCALATE,
                from_state=p.state,
                to_state=p.state,
                acting_user=acting_user,
                when=moment,
                note=str(p.deadline),
            )
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
