"""Writes to the problem ledger. The only code that moves a problem's state.

Every service is atomic, checks the acting user's right through the scope policy
(``permissions.POLICY``), records a dated ``ProblemStep`` (``core.lifecycle``) and
exactly one audit event with the field diff, and reports the problem rows it wrote for
the monthly roll-ups (``core.changes``). ``acting_user=SYSTEM`` is reserved for system
jobs (demo loader, escalation). ``when`` lets the demo replay a year as it happened; it
defaults to now.

补录 (late entry): a step taken in the past and entered now (``problem_import``, or a
clerk catching up) passes its real moment as ``when`` and ``late_reason``. The step keeps
the real moment, the reason and the moment of entry; the audit event records both
(``"late_entry": {"occurred_on", "reason", "entered_at"}``). A late entry may be dated
only before today and not before the step that brought the problem to its state; it may
carry what today's rules refuse for a step taken now: a deadline already past (the item
is overdue at once) and, since the files of past work are on paper, a submission
without files (the written account is still required). The duties kept apart are not
relaxed: a late sign-off obeys the same rules as the button (``SignOffRules``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.access import actor_name, require
from taizhang.core.actors import SYSTEM, Actor, is_system, require_actor, user_of
from taizhang.core.audit import audit_record, diff, snapshot
from taizhang.core.changes import rows_changing, rows_written
from taizhang.core.lifecycle import record_step, step_fields
from taizhang.core.registry import POLICIES
from taizhang.core.services import update_with_audit
from taizhang.core.uploads import check_uploads
from taizhang.core.versions import lock_at_version, require_version
from taizhang.organizations.models import Organization
from taizhang.organizations.policy import unknown_message
from taizhang.people.models import Person
from taizhang.people.permissions import PERSON
from taizhang.people.selectors import is_leader_candidate, leader_candidates
from taizhang.problems import permissions
from taizhang.problems.models import (
    OPEN_STATES,
    Instruction,
    InstructionState,
    Problem,
    ProblemEvidence,
    ProblemKind,
    ProblemState,
    ProblemStep,
    ResearchOutcome,
    ResearchStage,
    ResearchStep,
    ResearchTopic,
    StepAction,
)
from taizhang.problems.permissions import INSTRUCTION_POLICY, POLICY, RESEARCH_POLICY, VERIFY
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
    "solved_on_spot",
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
    "solved_on_spot",
}
MIN_EVIDENCE_TEXT = 10


# The steps that move a problem between states: a late step is dated after the last one.
MOVES = (
    StepAction.RAISE,
    StepAction.START,
    StepAction.SUBMIT,
    StepAction.VERIFY,
    StepAction.SEND_BACK,
    StepAction.REOPEN,
)
MAX_REASON = 200


def _now(when: dt.datetime | None) -> dt.datetime:
    return when or timezone.now()


def late_moment(day: dt.date) -> dt.datetime:
    """The moment a past step known only by its day is recorded at: that day's start."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _late_entry(moment: dt.datetime, reason: str, entered: dt.datetime) -> dict[str, str]:
    return {
        "occurred_on": _day(moment).isoformat(),
        "reason": reason,
        "entered_at": entered.isoformat(),
    }


def _late_when(
    problem: Problem, when: dt.datetime | None, late_reason: str
) -> tuple[dt.datetime, str]:
    """The moment of a step and its late-entry reason ("" for a step taken now).

    A late step needs its date, lies before today, and does not precede the step that
    brought the problem to its current state; on that same day it follows it."""
    reason = late_reason.strip()[:MAX_REASON]
    if not reason:
        return _now(when), ""
    if when is None:
        raise ValidationError({"occurred_on": _("A late entry needs the date the step was taken.")})
    day = _day(when)
    if day >= timezone.localdate():
        raise ValidationError({"occurred_on": _("A late entry is for a step taken before today.")})
    since = problem.steps.filter(action__in=MOVES).order_by("-occurred_at", "-pk").first()
    if since is not None:
        since_day = _day(since.occurred_at)
        if day < since_day:
            raise ValidationError(
                {
                    "occurred_on": _(
                        "This step cannot be dated before %(date)s, when the problem "
                        "reached its current state."
                    )
                    % {"date": f"{since_day:%Y-%m-%d}"}
                }
            )
        if day == since_day:
            when = max(when, since.occurred_at)
    return when, reason


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
    late_reason: str = "",
    entered_at: dt.datetime | None = None,
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
        late_reason=late_reason,
        entered_at=entered_at if late_reason else None,
    )


def _locked(problem: Problem) -> Problem:
    return (
        Problem.objects.select_for_update(of=("self",))
        .select_related("org", "lead_unit", "responsible", "kind")
        .get(pk=problem.pk)
    )


# The ledgers a problem may be raised from (a demand, a visit or meeting, a project's
# blocker): only these, each looked up through its own policy. Any other model, scoped
# or not (an audit event, a person, a user), is an unknown origin (issue 19).
ORIGIN_TYPES = (
    "demands.demand",
    "activities.activity",
    "projects.project",
    "problems.instruction",
    "problems.researchtopic",
)


def origin_policy(origin_type: str) -> Any:
    """The registered scope policy of the model named ``origin_type`` (``app.model``),
    when it is one of the ``ORIGIN_TYPES``."""
    if origin_type not in ORIGIN_TYPES:
        return None
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
    *, kind: ProblemKind, changes: dict[str, Any], acting_user: Actor, version: int | None = None
) -> ProblemKind:
    """Rename, reorder or change the self-close rule of a kind; the code stays. The rule
    applies to every item of the kind from then on, open ones included. ``version``:
    the one the editor saw; a change since is refused (``StaleEdit``)."""
    _require_configure(acting_user)
    lock_at_version(kind, version)
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
    late_reason: str = "",
    solved_on_spot: bool = False,
    acting_user: Actor,
) -> Problem:
    """Put a problem on the ledger (挂账).

    The owning ``org`` must be in the acting user's manage scope; the lead unit and the
    co-units may also be units of the district (a bureau), which then see the item.
    ``origin`` is the record it came from (a project, demand, activity); pass the
    instance, or ``origin_type``/``origin_id`` when only those are known (a form).
    A late entry (``late_reason``, with ``raised_on`` before today) is marked 补录; its
    deadline may be past already (the form refuses that otherwise): it is overdue at once.
    """
    lead = lead_unit or org
    POLICY.require_org(acting_user, org)
    _ensure_units(acting_user, *[u for u in (lead, *co_units) if u.pk != org.pk])
    _ensure_person(acting_user, linked_leader, "linked_leader")
    _ensure_person(acting_user, responsible, "responsible")
    o_type, o_id, o_label = _resolve_origin(acting_user, origin, origin_type, origin_id)
    entered = timezone.now()
    reason = late_reason.strip()[:MAX_REASON]
    if reason:
        day = raised_on or (_day(when) if when else None)
        if day is None:
            raise ValidationError(
                {"raised_on": _("A late entry needs the date the step was taken.")}
            )
        if day >= timezone.localdate():
            raise ValidationError(
                {"raised_on": _("A late entry is for a step taken before today.")}
            )
        moment = when or late_moment(day)
        raised_on = day
    else:
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
        solved_on_spot=solved_on_spot,
        raised_on=raised_on or _day(moment),
        created_by=user_of(acting_user),
        created_at=entered if reason else moment,
    )
    problem.full_clean()
    if problem.deadline < problem.raised_on:
        raise ValidationError(
            {"deadline": _("The deadline cannot be before the problem was raised.")}
        )
    problem.save()
    if co_units:
        problem.co_units.set(co_units)
    _step(
        problem,
        action=StepAction.RAISE,
        from_state="",
        acting_user=acting_user,
        when=moment,
        late_reason=reason,
        entered_at=entered,
    )
    rows_written(Problem, [problem])
    changes: dict[str, Any] = {
        **diff({}, snapshot(problem, AUDITED_FIELDS)),
        "co_units": [[], sorted(u.pk for u in co_units)],
    }
    if reason:
        changes["late_entry"] = _late_entry(moment, reason, entered)
    audit_record(actor=acting_user, action="problem.create", obj=problem, changes=changes)
    return problem


@transaction.atomic
def problem_update(
    *, problem: Problem, acting_user: Actor, version: int | None = None, **fields: Any
) -> Problem:
    """Change the details of an open problem; state moves have their own services.
    ``version`` is the one the editor saw (``core.versions``): a change by someone else
    since is refused (``StaleEdit``), not overwritten."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"Unknown problem fields: {sorted(unknown)}")
    problem = _locked(problem)
    _require_action(acting_user, "edit", problem)
    require_version(problem, version)
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
    late_reason: str = "",
) -> Problem:
    before = snapshot(problem, AUDITED_FIELDS)
    entered = timezone.now()
    from_state = problem.state
    problem.state = to
    for key, value in (extra or {}).items():
        setattr(problem, key, value)
    # Closing out and reopening move the row in and out of the closed-out figure.
    with rows_changing(Problem, [problem.pk]):
        problem.save()
    step = _step(
        problem,
        action=action,
        from_state=from_state,
        acting_user=acting_user,
        when=when,
        note=note,
        late_reason=late_reason,
        entered_at=entered,
    )
    problem._last_step = step  # type: ignore[attr-defined]
    changes: dict[str, Any] = diff(before, snapshot(problem, AUDITED_FIELDS))
    if note:
        changes["note"] = [None, note]
    if late_reason:
        changes["late_entry"] = _late_entry(when, late_reason, entered)
    audit_record(actor=acting_user, action=f"problem.{action}", obj=problem, changes=changes)
    return problem


@transaction.atomic
def problem_start(
    *,
    problem: Problem,
    measures: str = "",
    when: dt.datetime | None = None,
    late_reason: str = "",
    acting_user: Actor,
) -> Problem:
    """挂账 → 整改中: the lead unit starts work, optionally stating its measures."""
    problem = _locked(problem)
    _require_action(acting_user, "start", problem)
    if problem.state != ProblemState.OPEN:
        raise ValidationError(_("Only a problem on the ledger can be started."))
    moment, reason = _late_when(problem, when, late_reason)
    extra = {"measures": measures.strip()} if measures.strip() else {}
    return _move(
        problem,
        to=ProblemState.IN_PROGRESS,
        action=StepAction.START,
        acting_user=acting_user,
        when=moment,
        note=measures.strip(),
        extra=extra,
        late_reason=reason,
    )


@transaction.atomic
def problem_submit(
    *,
    problem: Problem,
    evidence_text: str,
    files: Iterable[UploadedFile] = (),
    when: dt.datetime | None = None,
    late_reason: str = "",
    acting_user: Actor,
) -> Problem:
    """整改中 → 待验收: submit the evidence (a written account and at least one file;
    a late entry may come without files, which are then kept on paper)."""
    problem = _locked(problem)
    _require_action(acting_user, "submit", problem)
    if problem.state != ProblemState.IN_PROGRESS:
        raise ValidationError(_("Only a problem being fixed can be submitted for sign-off."))
    text = evidence_text.strip()
    if len(text) < MIN_EVIDENCE_TEXT:
        raise ValidationError(
            {"evidence_text": _("Describe what was done in at least 10 characters.")}
        )
    uploads = check_uploads(files, field="files")
    moment, reason = _late_when(problem, when, late_reason)
    if not uploads and not reason and not problem.evidence.exists():
        raise ValidationError({"files": _("Attach at least one file as evidence.")})
    problem = _move(
        problem,
        to=ProblemState.PENDING,
        action=StepAction.SUBMIT,
        acting_user=acting_user,
        when=moment,
        note=text,
        extra={"evidence_text": text, "submitted_on": _day(moment)},
        late_reason=reason,
    )
    step = problem._last_step  # type: ignore[attr-defined]
    for upload in uploads:
        ProblemEvidence.objects.create(
            problem=problem,
            step=step,
            file=upload,
            original_name=(upload.name or "")[:200],
            size=upload.size or 0,
            uploaded_at=timezone.now() if reason else moment,
        )
    return problem


def _late_submission(problem: Problem) -> bool:
    """Whether the evidence awaiting sign-off was submitted as a late entry (files on paper)."""
    last = (
        problem.steps.filter(action=StepAction.SUBMIT)
        .order_by("-occurred_at", "-pk")
        .values_list("late_reason", flat=True)
        .first()
    )
    return bool(last)


class SignOffRules:
    """Who may be recorded as closing out a problem (销号): one set of rules for a late
    sign-off, an imported one, and the answer an import gives before writing.

    The acting user records the sign-off, so she needs ``problems.verify`` on the lead
    unit. The verifier is a person: herself, or (a late entry) someone named, who then
    must have an account that may sign off for the lead unit. The verifier is never the
    responsible person, and, unless the kind allows it, never the user who put the item
    on the ledger or submitted its evidence (duties kept apart).
    """

    def __init__(self, acting_user: Actor) -> None:
        self.acting_user = acting_user
        self._users: dict[int, Any] = {}

    def _user_of(self, person: Person) -> Any:
        if person.pk not in self._users:
            self._users[person.pk] = (
                get_user_model().objects.filter(person_id=person.pk, is_active=True).first()
            )
        return self._users[person.pk]

    def refusal(
        self,
        *,
        lead_unit: Organization,
        responsible_id: int | None,
        kind: ProblemKind,
        raised_by_id: int | None,
        submitted_by_id: int | None,
        verifier: Person | None = None,
    ) -> str:
        """Why this sign-off cannot be recorded, or ``""``."""
        actor = self.acting_user
        if is_system(actor):
            return ""
        if not POLICY.scope(actor, VERIFY).covers(lead_unit):
            return _("Signing off needs the sign-off function on the lead unit.")
        own_person = getattr(actor, "person_id", None)
        if verifier is None or verifier.pk == own_person:
            if own_person is None:
                return _(
                    "Your account is not linked to a person; a sign-off needs a named verifier."
                )
            if own_person == responsible_id:
                return _("The responsible person cannot sign off their own problem.")
            user_id = actor.pk
            raised = _("You put this problem on the ledger; someone else must close it out.")
            submitted = _(
                "You submitted the evidence of this problem; someone else must close it out."
            )
        else:
            if verifier.pk == responsible_id:
                return _("The responsible person cannot sign off their own problem.")
            user = self._user_of(verifier)
            if user is None or not POLICY.scope(user, VERIFY).covers(lead_unit):
                return _("%(name)s has no account that may sign off for %(unit)s.") % {
                    "name": verifier.name,
                    "unit": lead_unit.short_name or lead_unit.name,
                }
            user_id = user.pk
            raised = _(
                "%(name)s put this problem on the ledger; someone else must close it out."
            ) % {"name": verifier.name}
            submitted = _(
                "%(name)s submitted the evidence of this problem; someone else must close it out."
            ) % {"name": verifier.name}
        if kind.self_close_allowed:
            return ""
        if user_id is not None and user_id == raised_by_id:
            return raised
        if user_id is not None and user_id == submitted_by_id:
            return submitted
        return ""


@transaction.atomic
def problem_verify(
    *,
    problem: Problem,
    note: str = "",
    when: dt.datetime | None = None,
    late_reason: str = "",
    verifier: Person | None = None,
    acting_user: Actor,
) -> Problem:
    """待验收 → 销号: a verifier who is not the responsible person signs off.

    The verifier is the acting user's person; a late entry may name the person who
    signed off then (``verifier``), under the same rules (``SignOffRules``)."""
    problem = _locked(problem)
    if problem.state == ProblemState.CLOSED:
        raise ValidationError(_("This problem is already closed out."))
    if problem.state != ProblemState.PENDING:
        raise ValidationError(_("Only a problem awaiting sign-off can be closed out."))
    moment, reason = _late_when(problem, when, late_reason)
    if not problem.evidence_text.strip() or not (
        problem.evidence.exists() or _late_submission(problem)
    ):
        raise ValidationError(_("A problem cannot be closed out without evidence."))
    require_actor(acting_user)
    named = verifier is not None and verifier.pk != getattr(acting_user, "person_id", None)
    if named and not is_system(acting_user):
        assert verifier is not None
        if not reason:
            raise ValidationError(
                {"verifier": _("A sign-off by someone else can only be recorded as a late entry.")}
            )
        refusal = SignOffRules(acting_user).refusal(
            lead_unit=problem.lead_unit,
            responsible_id=problem.responsible_id,
            kind=problem.kind,
            raised_by_id=problem.created_by_id,
            submitted_by_id=permissions.submitter_id(problem),
            verifier=verifier,
        )
        if refusal:
            raise ValidationError({"verifier": refusal})
    elif not is_system(acting_user):
        verifier = getattr(acting_user, "person", None)
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
    elif verifier is None:
        verifier = getattr(acting_user, "person", None)
    return _move(
        problem,
        to=ProblemState.CLOSED,
        action=StepAction.VERIFY,
        acting_user=acting_user,
        when=moment,
        note=note.strip(),
        extra={"verifier": verifier, "closed_on": _day(moment)},
        late_reason=reason,
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
    submitter = permissions.submitter_id(problem)
    moved = _move(
        problem,
        to=ProblemState.IN_PROGRESS,
        action=StepAction.SEND_BACK,
        acting_user=acting_user,
        when=_now(when),
        note=reason.strip(),
        extra={"submitted_on": None},
    )
    _notify_sent_back(moved, submitter_id=submitter, reason=reason.strip())
    return moved


def _notify_sent_back(problem: Problem, *, submitter_id: int | None, reason: str) -> None:
    """Tell the responsible person and whoever submitted (reminders: ``problems.sent_back``)."""
    from django.urls import reverse

    from taizhang.accounts.selectors import users_of_person
    from taizhang.core.notify import notify

    recipients = list(users_of_person(problem.responsible_id))
    if submitter_id is not None:
        recipients += list(get_user_model().objects.filter(pk=submitter_id))
    notify(
        recipients=recipients,
        rule="problems.sent_back",
        title=_("Sent back: %(problem)s") % {"problem": f"{problem.number} {problem.title}"},
        body=_("Reason: %(reason)s") % {"reason": reason},
        url=reverse("problems:detail", args=[problem.pk]),
        source=problem,
        org=problem.org,
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
    _notify_escalated(due)
    return ids


def _notify_escalated(problems: Sequence[Problem]) -> None:
    """Tell each escalated problem's linked leader (reminders: ``problems.escalated``)."""
    from django.urls import reverse

    from taizhang.accounts.selectors import users_of_person
    from taizhang.core.notify import notify

    for problem in problems:
        if problem.linked_leader_id is None:
            continue
        notify(
            recipients=users_of_person(problem.linked_leader_id),
            rule="problems.escalated",
            title=_("Escalated to you: %(problem)s is past its deadline")
            % {"problem": f"{problem.number} {problem.title}"},
            body=_("Deadline %(deadline)s. Press the lead unit to get it fixed.")
            % {"deadline": problem.deadline},
            url=reverse("problems:detail", args=[problem.pk]),
            source=problem,
            org=problem.org,
        )


# --- imports: last year's ledger brought in, every step a late entry --------------------


@dataclass
class ProblemIn:
    """One problem of an imported ledger, with the state it reached and its step dates."""

    org: Organization
    title: str
    deadline: dt.date
    source: str
    raised_on: dt.date
    kind: ProblemKind | None = None
    category: str = "other"
    description: str = ""
    lead_unit: Organization | None = None
    co_units: Sequence[Organization] = ()
    linked_leader: Person | None = None
    responsible: Person | None = None
    state: str = ProblemState.OPEN
    started_on: dt.date | None = None
    measures: str = ""
    submitted_on: dt.date | None = None
    evidence_text: str = ""
    closed_on: dt.date | None = None
    verifier: Person | None = None

    def step_days(self) -> list[tuple[str, dt.date, bool]]:
        """The moves this problem made, each with its day and whether the day was given:
        a step the file leaves undated took place on the day of the step before."""
        order = [ProblemState.OPEN, ProblemState.IN_PROGRESS, ProblemState.PENDING]
        reached = order.index(ProblemState(self.state)) if self.state in order else 3
        days: list[tuple[str, dt.date, bool]] = [(StepAction.RAISE, self.raised_on, True)]
        for index, (action, day) in enumerate(
            [
                (StepAction.START, self.started_on),
                (StepAction.SUBMIT, self.submitted_on),
                (StepAction.VERIFY, self.closed_on),
            ],
            start=1,
        ):
            if index > reached:
                break
            days.append((action, day or days[-1][1], day is not None))
        return days


# Which step date belongs to which state: a state's later step dates must be empty.
STEP_DATES = {
    "started_on": ProblemState.IN_PROGRESS,
    "submitted_on": ProblemState.PENDING,
    "closed_on": ProblemState.CLOSED,
}
STATE_ORDER = [
    ProblemState.OPEN,
    ProblemState.IN_PROGRESS,
    ProblemState.PENDING,
    ProblemState.CLOSED,
]


def problem_in_errors(
    data: ProblemIn, *, today: dt.date, rules: SignOffRules, acting_user: Actor
) -> dict[str, list[str]]:
    """The checks the step services make, answered for one imported problem at once
    (field → messages; empty when it may be written). Scope is checked by the caller."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not data.title.strip():
        add("title", _("This column is required."))
    if data.state not in STATE_ORDER:
        add("state", _("Unknown ledger state."))
        return errors
    reached = STATE_ORDER.index(ProblemState(data.state))
    if data.raised_on > today:
        add("raised_on", _("A past step cannot be dated after today."))
    if data.deadline < data.raised_on:
        add("deadline", _("The deadline cannot be before the problem was raised."))
    for field, state in STEP_DATES.items():
        if getattr(data, field) is not None and STATE_ORDER.index(state) > reached:
            add(
                field,
                _("Leave this empty: the problem has not reached this step (%(state)s).")
                % {"state": ProblemState(data.state).label},
            )
    if errors:
        return errors
    previous = data.raised_on
    fields = {
        StepAction.START: "started_on",
        StepAction.SUBMIT: "submitted_on",
        StepAction.VERIFY: "closed_on",
    }
    for action, day, given in data.step_days()[1:]:
        field = fields[StepAction(action)]
        if given and day > today:
            add(field, _("A past step cannot be dated after today."))
        elif given and day < previous:
            add(
                field,
                _("This date is before the step before it (%(date)s).")
                % {"date": f"{previous:%Y-%m-%d}"},
            )
        previous = day
    pending = STATE_ORDER.index(ProblemState.PENDING)
    if reached >= pending and len(data.evidence_text.strip()) < MIN_EVIDENCE_TEXT:
        add("evidence_text", _("Describe what was done in at least 10 characters."))
    if data.state == ProblemState.CLOSED:
        if data.closed_on is None:
            add("closed_on", _("Give the day the problem was closed out."))
        refusal = rules.refusal(
            lead_unit=data.lead_unit or data.org,
            responsible_id=data.responsible.pk if data.responsible else None,
            kind=data.kind or default_kind(),
            raised_by_id=getattr(user_of(acting_user), "pk", None),
            submitted_by_id=getattr(user_of(acting_user), "pk", None),
            verifier=data.verifier,
        )
        if refusal:
            add("verifier", refusal)
    return errors


FK_FIELDS = ["org", "kind", "lead_unit", "linked_leader", "responsible", "verifier", "created_by"]


@transaction.atomic
def problem_import(
    *, rows: Sequence[ProblemIn], source: str, late_reason: str, acting_user: Actor
) -> list[Problem]:
    """Put many past problems on the ledger with the steps they went through: one audit
    event. Every step is a late entry (``late_reason``) dated by its real day; the
    checks of the step services and the duties kept apart apply to every row, and one
    row refused writes nothing."""
    require_actor(acting_user)
    reason = late_reason.strip()[:MAX_REASON]
    if not reason:
        raise ValidationError(_("A late entry needs a reason."))
    today = timezone.localdate()
    entered = timezone.now()
    kind = default_kind()
    for org in {row.org.pk: row.org for row in rows}.values():
        POLICY.require_org(acting_user, org)
    units = {
        u.pk: u
        for row in rows
        for u in [row.lead_unit or row.org, *row.co_units]
        if u.pk != row.org.pk
    }
    _ensure_units(acting_user, *units.values())
    if not is_system(acting_user):
        leaders = {row.linked_leader.pk for row in rows if row.linked_leader}
        offered = set(leader_candidates().filter(pk__in=leaders).values_list("pk", flat=True))
        if leaders - offered:
            raise ValidationError({"linked_leader": _("This person cannot be a linked leader.")})
        for person in {r.responsible.pk: r.responsible for r in rows if r.responsible}.values():
            _ensure_person(acting_user, person, "responsible")
    rules = SignOffRules(acting_user)
    for number, row in enumerate(rows, start=1):
        errors = problem_in_errors(row, today=today, rules=rules, acting_user=acting_user)
        if errors:
            raise ValidationError(
                _("Problem %(number)d (%(title)s): %(errors)s")
                % {
                    "number": number,
                    "title": row.title[:40],
                    "errors": "；".join(m for ms in errors.values() for m in ms),
                }
            )
    user = user_of(acting_user)
    built: list[Problem] = []
    for row in rows:
        closed = row.state == ProblemState.CLOSED
        days = {action: day for action, day, _given in row.step_days()}
        problem = Problem(
            org=row.org,
            title=row.title.strip(),
            description=row.description.strip(),
            kind=row.kind or kind,
            source=row.source,
            category=row.category,
            lead_unit=row.lead_unit or row.org,
            linked_leader=row.linked_leader,
            responsible=row.responsible,
            deadline=row.deadline,
            state=row.state,
            raised_on=row.raised_on,
            measures=row.measures.strip(),
            evidence_text=row.evidence_text.strip()
            if row.state in (ProblemState.PENDING, ProblemState.CLOSED)
            else "",
            submitted_on=days.get(StepAction.SUBMIT),
            verifier=row.verifier if closed else None,
            closed_on=row.closed_on if closed else None,
            created_by=user,
            created_at=entered,
        )
        problem.clean_fields(exclude=FK_FIELDS)
        built.append(problem)
    Problem.objects.bulk_create(built, batch_size=500)
    if not all(p.pk for p in built):  # SQLite < 3.35 cannot return ids from bulk inserts
        raise RuntimeError("The database did not return the new ids")
    through: Any = Problem.co_units.through
    through.objects.bulk_create(
        [
            through(problem_id=problem.pk, organization_id=unit.pk)
            for problem, row in zip(built, rows, strict=True)
            for unit in {u.pk: u for u in row.co_units}.values()
        ],
        batch_size=2000,
    )
    ProblemStep.objects.bulk_create(
        [
            ProblemStep(**fields)
            for problem, row in zip(built, rows, strict=True)
            for fields in _imported_steps(problem, row, acting_user, reason, entered)
        ],
        batch_size=2000,
    )
    # Bulk inserts send no signal: the roll-ups learn of the rows from this report.
    rows_written(Problem, built)
    states: dict[str, int] = {}
    for problem in built:
        states[problem.state] = states.get(problem.state, 0) + 1
    days_seen = [day for row in rows for _a, day, _g in row.step_days()]
    audit_record(
        actor=acting_user,
        action="problem.import",
        object_type=Problem._meta.label_lower,
        object_repr=source[:200],
        changes={
            "count": len(built),
            "source": source,
            "ids": [built[0].pk, built[-1].pk] if built else [],
            "states": states,
            "late_entry": {
                "occurred_on": [min(days_seen).isoformat(), max(days_seen).isoformat()]
                if days_seen
                else [],
                "reason": reason,
                "entered_at": entered.isoformat(),
            },
        },
    )
    return built


def _imported_steps(
    problem: Problem, row: ProblemIn, acting_user: Actor, reason: str, entered: dt.datetime
) -> list[dict[str, Any]]:
    """The dated steps of an imported problem, each a late entry."""
    moves = {
        StepAction.RAISE: ("", ProblemState.OPEN, ""),
        StepAction.START: (ProblemState.OPEN, ProblemState.IN_PROGRESS, row.measures.strip()),
        StepAction.SUBMIT: (
            ProblemState.IN_PROGRESS,
            ProblemState.PENDING,
            row.evidence_text.strip(),
        ),
        StepAction.VERIFY: (
            ProblemState.PENDING,
            ProblemState.CLOSED,
            _("Signed off by %(name)s") % {"name": row.verifier.name} if row.verifier else "",
        ),
    }
    undated = _("The file gives no date for this step; the day of the step before is used.")
    steps = []
    for action, day, given in row.step_days():
        from_state, to_state, note = moves[StepAction(action)]
        if not given:
            note = f"{note}\n{undated}".strip()
        steps.append(
            step_fields(
                subject_field="problem",
                subject=problem,
                action=action,
                from_state=from_state,
                to_state=to_state,
                acting_user=acting_user,
                when=late_moment(day),
                note=note,
                late_reason=reason,
                entered_at=entered,
            )
        )
    return steps


@transaction.atomic
def problem_import_undo(*, ids: Sequence[int], source: str, acting_user: Actor) -> int:
    """Remove the problems an import created (its batch is being undone): one audit event.

    The ingest module calls this only while no later event touched those problems."""
    require_actor(acting_user)
    problems = list(
        Problem.objects.select_for_update(of=("self",))
        .select_related("org", "lead_unit")
        .filter(pk__in=ids)
    )
    for problem in problems:
        POLICY.require(acting_user, problem)
    pks = [p.pk for p in problems]
    with rows_changing(Problem, pks):
        ProblemEvidence.objects.filter(problem_id__in=pks).delete()
        ProblemStep.objects.filter(problem_id__in=pks).delete()
        through: Any = Problem.co_units.through
        through.objects.filter(problem_id__in=pks).delete()
        Problem.objects.filter(pk__in=pks).delete()
    audit_record(
        actor=acting_user,
        action="problem.import_undo",
        object_type=Problem._meta.label_lower,
        object_repr=source[:200],
        changes={"count": len(pks), "source": source},
    )
    return len(pks)


# --- 领导交办: leaders' instructions ----------------------------------------------------

INSTRUCTION_FIELDS = ["org", "leader", "title", "content", "issued_on", "deadline"]


def _check_instruction_dates(issued_on: dt.date, deadline: dt.date) -> None:
    if issued_on > timezone.localdate():
        raise ValidationError({"issued_on": _("An instruction cannot be given in the future.")})
    if deadline < issued_on:
        raise ValidationError(
            {"deadline": _("The deadline cannot be before the day of the instruction.")}
        )


@transaction.atomic
def instruction_create(
    *,
    org: Organization,
    leader: Person,
    title: str,
    content: str,
    issued_on: dt.date,
    deadline: dt.date,
    acting_user: Actor,
) -> Instruction:
    """Record a leader's instruction to a unit (领导批示/交办). The leader is a leader
    candidate, like a linked leader; the unit must be in the recorder's manage scope."""
    INSTRUCTION_POLICY.require_org(acting_user, org)
    _ensure_person(acting_user, leader, "linked_leader")
    _check_instruction_dates(issued_on, deadline)
    instruction = Instruction(
        org=org,
        leader=leader,
        title=title.strip(),
        content=content.strip(),
        issued_on=issued_on,
        deadline=deadline,
        created_by=user_of(acting_user),
    )
    instruction.full_clean()
    instruction.save()
    rows_written(Instruction, [instruction])
    audit_record(
        actor=acting_user,
        action="instruction.create",
        obj=instruction,
        changes=diff({}, snapshot(instruction, INSTRUCTION_FIELDS)),
    )
    return instruction


@transaction.atomic
def instruction_update(
    *, instruction: Instruction, acting_user: Actor, version: int | None = None, **fields: Any
) -> Instruction:
    """Change what was recorded of an instruction still being handled."""
    from taizhang.core.versions import require_version

    unknown = set(fields) - set(INSTRUCTION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown instruction fields: {sorted(unknown)}")
    instruction = Instruction.objects.select_for_update().get(pk=instruction.pk)
    INSTRUCTION_POLICY.require(acting_user, instruction)
    require_version(instruction, version)
    if instruction.state != InstructionState.OPEN:
        raise ValidationError(_("A completed instruction can no longer be changed."))
    if "org" in fields and fields["org"] != instruction.org:
        INSTRUCTION_POLICY.require_org(acting_user, fields["org"])
    if "leader" in fields and fields["leader"] != instruction.leader:
        _ensure_person(acting_user, fields["leader"], "linked_leader")
    _check_instruction_dates(
        fields.get("issued_on", instruction.issued_on), fields.get("deadline", instruction.deadline)
    )
    before = snapshot(instruction, INSTRUCTION_FIELDS)
    with rows_changing(Instruction, [instruction.pk]):
        for key, value in fields.items():
            setattr(instruction, key, value.strip() if isinstance(value, str) else value)
        instruction.full_clean()
        instruction.save()
    audit_record(
        actor=acting_user,
        action="instruction.update",
        obj=instruction,
        changes=diff(before, snapshot(instruction, INSTRUCTION_FIELDS)),
    )
    return instruction


def instruction_problems(instruction: Instruction) -> models.QuerySet[Problem]:
    """The problems raised from the instruction (all of them, unscoped: for the rules)."""
    return Problem.objects.filter(origin_type="problems.instruction", origin_id=instruction.pk)


@transaction.atomic
def instruction_complete(
    *, instruction: Instruction, result: str, done_on: dt.date | None = None, acting_user: Actor
) -> Instruction:
    """办结: the handling unit reports the result. Refused while a problem raised from
    the instruction is still open: close those out first."""
    instruction = Instruction.objects.select_for_update().get(pk=instruction.pk)
    INSTRUCTION_POLICY.require(acting_user, instruction)
    if instruction.state != InstructionState.OPEN:
        raise ValidationError(_("This instruction is completed already."))
    day = done_on or timezone.localdate()
    if day > timezone.localdate() or day < instruction.issued_on:
        raise ValidationError(
            {"done_on": _("The day of completion must fall between the instruction and today.")}
        )
    if not result.strip():
        raise ValidationError({"result": _("Say what was done.")})
    still_open = list(
        instruction_problems(instruction)
        .filter(state__in=OPEN_STATES)
        .values_list("title", flat=True)[:5]
    )
    if still_open:
        raise ValidationError(
            _("Problems raised from this instruction are still open: %(titles)s.")
            % {"titles": "、".join(still_open)}
        )
    with rows_changing(Instruction, [instruction.pk]):
        instruction.state = InstructionState.DONE
        instruction.done_on = day
        instruction.result = result.strip()
        instruction.save(update_fields=["state", "done_on", "result", "updated_at"])
    audit_record(
        actor=acting_user,
        action="instruction.complete",
        obj=instruction,
        changes={
            "state": [InstructionState.OPEN, InstructionState.DONE],
            "done_on": [None, day],
            "result": [None, instruction.result],
        },
    )
    return instruction


# --- 调研课题: research topics -----------------------------------------------------------

RESEARCH_FIELDS = ["org", "title", "description", "lead_leader", "team_text", "chosen_on"]
RESEARCH_EDITABLE = {"title", "description", "lead_leader", "team", "team_text"}


def _research_day(
    day: dt.date | None, late_reason: str, *, field: str, since: dt.date | None = None
) -> tuple[dt.date, str]:
    """The day of a research step and its 补录 reason ("" for one taken today).

    A day before today is a late entry and needs its reason; no step lies in the future
    or before the step before it. ``day`` without a reason before today is the demo's
    replay of a year (``replay=True`` at the callers)."""
    today = timezone.localdate()
    reason = late_reason.strip()[:MAX_REASON]
    day = day or today
    if day > today:
        raise ValidationError({field: _("A step cannot be dated in the future.")})
    if reason and day >= today:
        raise ValidationError({field: _("A late entry is for a step taken before today.")})
    if since is not None and day < since:
        raise ValidationError(
            {
                field: _(
                    "This step cannot be dated before %(date)s, when the topic reached "
                    "its current stage."
                )
                % {"date": f"{since:%Y-%m-%d}"}
            }
        )
    return day, reason


def _require_reason(day: dt.date, reason: str, replay: bool) -> None:
    if day < timezone.localdate() and not reason and not replay:
        raise ValidationError({"late_reason": _("Say why the step is entered late.")})


def _research_step(
    topic: ResearchTopic, *, day: dt.date, reason: str, note: str, acting_user: Actor
) -> ResearchStep:
    return ResearchStep.objects.create(
        topic=topic,
        stage=topic.stage,
        occurred_on=day,
        actor=user_of(acting_user),
        actor_name=actor_name(acting_user),
        note=note.strip(),
        late_reason=reason,
        entered_at=timezone.now(),
    )


def _late_change(day: dt.date, reason: str) -> dict[str, Any]:
    if not reason:
        return {}
    return {
        "late_entry": {
            "occurred_on": day.isoformat(),
            "reason": reason,
            "entered_at": timezone.now().isoformat(),
        }
    }


def _ensure_team(acting_user: Actor, team: Sequence[Person]) -> None:
    for person in team:
        _ensure_person(acting_user, person, "team")


@transaction.atomic
def research_topic_create(
    *,
    org: Organization,
    title: str,
    chosen_on: dt.date | None = None,
    description: str = "",
    lead_leader: Person | None = None,
    team: Sequence[Person] = (),
    team_text: str = "",
    late_reason: str = "",
    replay: bool = False,
    acting_user: Actor,
) -> ResearchTopic:
    """选题: a unit takes up a research topic. The unit is in the recorder's manage scope,
    the leading leader a leader candidate, the team persons she may see (or a text). A
    topic chosen before today is a late entry (补录) with its reason."""
    RESEARCH_POLICY.require_org(acting_user, org)
    _ensure_person(acting_user, lead_leader, "linked_leader")
    _ensure_team(acting_user, team)
    day, reason = _research_day(chosen_on, late_reason, field="chosen_on")
    _require_reason(day, reason, replay)
    topic = ResearchTopic(
        org=org,
        title=title.strip(),
        description=description.strip(),
        lead_leader=lead_leader,
        team_text=team_text.strip(),
        chosen_on=day,
        stage=ResearchStage.TOPIC,
        created_by=user_of(acting_user),
    )
    topic.full_clean()
    topic.save()
    if team:
        topic.team.set(team)
    _research_step(topic, day=day, reason=reason, note="", acting_user=acting_user)
    rows_written(ResearchTopic, [topic])
    audit_record(
        actor=acting_user,
        action="research_topic.create",
        obj=topic,
        changes={
            **diff({}, snapshot(topic, RESEARCH_FIELDS)),
            "team": [[], sorted(p.pk for p in team)],
            **_late_change(day, reason),
        },
    )
    return topic


def _locked_topic(topic: ResearchTopic, acting_user: Actor) -> ResearchTopic:
    topic = ResearchTopic.objects.select_for_update().get(pk=topic.pk)
    RESEARCH_POLICY.require(acting_user, topic)
    return topic


@transaction.atomic
def research_topic_update(
    *, topic: ResearchTopic, acting_user: Actor, version: int | None = None, **fields: Any
) -> ResearchTopic:
    """Change what was recorded of a topic (not its unit, stage or dates: those are its
    history)."""
    unknown = set(fields) - RESEARCH_EDITABLE
    if unknown:
        raise TypeError(f"Unknown research topic fields: {sorted(unknown)}")
    topic = _locked_topic(topic, acting_user)
    require_version(topic, version)
    if "lead_leader" in fields and fields["lead_leader"] != topic.lead_leader:
        _ensure_person(acting_user, fields["lead_leader"], "linked_leader")
    team = fields.pop("team", None)
    before = snapshot(topic, RESEARCH_FIELDS)
    team_before = sorted(topic.team.values_list("pk", flat=True))
    if team is not None:
        _ensure_team(acting_user, [p for p in team if p.pk not in team_before])
    with rows_changing(ResearchTopic, [topic.pk]):
        for key, value in fields.items():
            setattr(topic, key, value.strip() if isinstance(value, str) else value)
        topic.full_clean()
        topic.save()
        if team is not None:
            topic.team.set(team)
    changes = diff(before, snapshot(topic, RESEARCH_FIELDS))
    team_after = sorted(topic.team.values_list("pk", flat=True))
    if team_after != team_before:
        changes["team"] = [team_before, team_after]
    audit_record(actor=acting_user, action="research_topic.update", obj=topic, changes=changes)
    return topic


def _stage_since(topic: ResearchTopic) -> dt.date | None:
    step = topic.steps.order_by("-occurred_on", "-pk").first()
    return step.occurred_on if step else None


@transaction.atomic
def research_topic_advance(
    *,
    topic: ResearchTopic,
    stage: str,
    on: dt.date | None = None,
    note: str = "",
    late_reason: str = "",
    replay: bool = False,
    acting_user: Actor,
) -> ResearchTopic:
    """Move a topic one stage forward (选题 → 调研 → 报告 → 成果转化), on a day not before
    the stage it leaves; never back, never skipping. 成果转化 needs the report."""
    topic = _locked_topic(topic, acting_user)
    if stage != topic.next_stage:
        raise ValidationError(
            {"stage": _("A research topic moves one stage forward at a time, never back.")}
        )
    if stage == ResearchStage.OUTCOME and not topic.has_report:
        raise ValidationError({"stage": _("Record the research report first.")})
    day, reason = _research_day(on, late_reason, field="occurred_on", since=_stage_since(topic))
    _require_reason(day, reason, replay)
    before = topic.stage
    with rows_changing(ResearchTopic, [topic.pk]):
        topic.stage = stage
        topic.save(update_fields=["stage", "updated_at"])
        _research_step(topic, day=day, reason=reason, note=note, acting_user=acting_user)
    audit_record(
        actor=acting_user,
        action="research_topic.advance",
        obj=topic,
        changes={
            "stage": [before, stage],
            "occurred_on": [None, day.isoformat()],
            **_late_change(day, reason),
        },
    )
    return topic


@transaction.atomic
def research_report_record(
    *,
    topic: ResearchTopic,
    report_title: str,
    report_on: dt.date,
    report_text: str = "",
    files: Iterable[UploadedFile] = (),
    acting_user: Actor,
) -> ResearchTopic:
    """The research report (调研报告): a title, its date and a file (the one upload
    policy) or its text. Recorded at the 报告 stage; it may be replaced until outcomes
    are adopted."""
    topic = _locked_topic(topic, acting_user)
    if topic.stage != ResearchStage.REPORT:
        raise ValidationError(
            _("A report is recorded when the topic is at the report stage, before outcomes.")
        )
    uploads = check_uploads(files, field="report_file")
    if len(uploads) > 1:
        raise ValidationError({"report_file": _("Attach one file: the report.")})
    if not uploads and not report_text.strip() and not topic.report_file:
        raise ValidationError({"report_text": _("Attach the report or write its text.")})
    if report_on > timezone.localdate() or report_on < topic.chosen_on:
        raise ValidationError(
            {"report_on": _("The report date must fall between the topic's choice and today.")}
        )
    fields = ["report_title", "report_on", "report_text", "report_file_name"]
    before = snapshot(topic, fields)
    with rows_changing(ResearchTopic, [topic.pk]):
        topic.report_title = report_title.strip()
        topic.report_on = report_on
        topic.report_text = report_text.strip()
        if uploads:
            upload = uploads[0]
            topic.report_file.save(upload.name, upload, save=False)
            topic.report_file_name = upload.name[:200]
        topic.full_clean()
        topic.save()
    audit_record(
        actor=acting_user,
        action="research_topic.report",
        obj=topic,
        changes=diff(before, snapshot(topic, fields)),
    )
    return topic


@transaction.atomic
def research_outcome_add(
    *, topic: ResearchTopic, text: str, adopted_on: dt.date, acting_user: Actor
) -> ResearchOutcome:
    """成果转化: one thing adopted from the topic's report (a policy document, a
    mechanism), dated between the report and today."""
    topic = _locked_topic(topic, acting_user)
    if topic.stage != ResearchStage.OUTCOME:
        raise ValidationError(_("Outcomes are recorded once the topic reaches 成果转化."))
    if adopted_on > timezone.localdate() or (topic.report_on and adopted_on < topic.report_on):
        raise ValidationError(
            {"adopted_on": _("The day of adoption must fall between the report and today.")}
        )
    outcome = ResearchOutcome(
        topic=topic, text=text.strip(), adopted_on=adopted_on, created_by=user_of(acting_user)
    )
    outcome.full_clean()
    outcome.save()
    rows_written(ResearchOutcome, [outcome])
    audit_record(
        actor=acting_user,
        action="research_topic.outcome",
        obj=topic,
        changes={"outcome": [None, outcome.text], "adopted_on": [None, adopted_on.isoformat()]},
    )
    return outcome


def research_problems(topic: ResearchTopic) -> models.QuerySet[Problem]:
    """The problems raised from the topic (all of them, unscoped: for the rules)."""
    return Problem.objects.filter(origin_type="problems.researchtopic", origin_id=topic.pk)
