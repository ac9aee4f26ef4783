"""Writes of the report review: bring a report in, then confirm or drop its drafts.

``intake_create`` keeps the report's text and queues the extraction (job
``extraction.extract``), which stores the drafts; nothing else is written until a person
confirms a draft. ``draft_confirm`` writes the record through the owning module's
service (``activities.services.activity_create``, ``people.services.person_create``), as
a late entry (补录) dated by the report, and marks the draft with what it became; a
refused write leaves nothing behind, the draft included. Every call is audited and
checks the intake's scope policy.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.activities.services import ActivityIn, activity_create
from taizhang.core.actors import SYSTEM, Actor, require_actor, user_of
from taizhang.core.audit import audit_record
from taizhang.core.jobs import FAILURE_LISTENERS, job_start, register_job_handler
from taizhang.core.models import Job
from taizhang.extraction.models import Draft, DraftState, IntakeState, ReportIntake
from taizhang.extraction.permissions import INTAKE
from taizhang.organizations.models import Organization
from taizhang.people.models import Person
from taizhang.people.permissions import PERSON
from taizhang.people.services import person_create

EXTRACT = "extraction.extract"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_DOCX_UNPACKED = 50 * 1024 * 1024
MAX_TEXT_CHARS = 200_000
# Draft kinds a confirmation writes (activities and persons here, the others in ``kinds``).
CONFIRMABLE = (
    "activity",
    "person",
    "training",
    "signing",
    "workstation",
    "award",
    "project",
    "organization",
    "reported_figure",
)


@dataclass(frozen=True)
class PersonIn:
    """A person draft confirmed: a new external person, or a link to ``person``."""

    name: str = ""
    gender: str = ""
    affiliation: str = ""
    person: Person | None = None


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": message})


def _docx_text(content: bytes) -> str:
    import docx

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(item.file_size for item in archive.infolist()) > MAX_DOCX_UNPACKED:
                raise _file_error(_("The Word file unpacks to more than 50 MB."))
        document = docx.Document(io.BytesIO(content))
    except ValidationError:
        raise
    except Exception:  # python-docx raises many kinds for a broken file
        raise _file_error(_("The Word file cannot be read.")) from None
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


def report_text(*, file_name: str, content: bytes) -> str:
    """The text of an uploaded report: a .txt in UTF-8 or GB18030, or a .docx's paragraphs."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise _file_error(_("The file is larger than 5 MB."))
    name = file_name.lower()
    if name.endswith(".docx"):
        return _docx_text(content)
    if name.endswith(".txt"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return content.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise _file_error(_("The text file is neither UTF-8 nor GB18030."))
    raise _file_error(_("Upload a .txt or .docx file."))


@transaction.atomic
def intake_create(
    *,
    org: Organization,
    title: str,
    text: str = "",
    file_name: str = "",
    content: bytes = b"",
    report_year: int | None = None,
    acting_user: Actor,
) -> ReportIntake:
    """Keep a pasted or uploaded report booked on ``org`` and queue its extraction."""
    require_actor(acting_user)
    INTAKE.require_org(acting_user, org)
    if content:
        text = report_text(file_name=file_name, content=content)
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ValidationError({"text": _("Paste the report's text or upload its file.")})
    if len(text) > MAX_TEXT_CHARS:
        raise ValidationError(
            {"text": _("The report is longer than 200,000 characters; split it into parts.")}
        )
    if report_year is not None and not 2000 <= report_year <= 2100:
        raise ValidationError({"report_year": _("Give a year between 2000 and 2100.")})
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Give the report a title.")})
    intake = ReportIntake(
        org=org,
        title=title[:200],
        source_text=text,
        file_name=file_name[:200],
        report_year=report_year,
        created_by=user_of(acting_user),
    )
    if content:
        suffix = ".docx" if file_name.lower().endswith(".docx") else ".txt"
        intake.file.save(f"report{suffix}", ContentFile(content), save=False)
    intake.save()
    intake.job = job_start(
        kind=EXTRACT,
        label=_("Extract the drafts of %(title)s") % {"title": intake.title},
        params={"intake": intake.pk},
        acting_user=acting_user,
    )
    intake.save(update_fields=["job"])
    audit_record(
        actor=acting_user,
        action="extraction.intake_create",
        obj=intake,
        changes={
            "org": org.pk,
            "title": intake.title,
            "file_name": intake.file_name,
            "characters": len(text),
            "report_year": report_year,
        },
    )
    return intake


def _matched_orgs(index: Any, sentence: str) -> list[int]:
    """The units of the tree named in a sentence, each matched without ambiguity."""
    found: list[int] = []
    for name, _start, _end in index.names_in(sentence):
        match = index.match(name)
        if match.matched_id is not None and match.matched_id not in found:
            found.append(match.matched_id)
    return found


def _extract(job: Job, progress: Any) -> dict[str, Any]:
    from taizhang.extraction.extract import extract
    from taizhang.extraction.organizations import tree_index

    intake = ReportIntake.objects.select_related("created_by").get(pk=job.params["intake"])
    ReportIntake.objects.filter(pk=intake.pk).update(state=IntakeState.EXTRACTING, message="")
    progress(0, 3, "matching")
    # The tree the clerk sees is what names are matched against.
    index = tree_index(intake.created_by or SYSTEM)
    progress(1, 3, "extracting")
    result = extract(intake.source_text, year=intake.report_year, index=index)
    progress(2, 3, "saving")
    drafts = []
    for position, item in enumerate(result["drafts"]):
        fields = dict(item["fields"])
        if item["kind"] not in {"person", "organization"}:
            fields["org_ids"] = _matched_orgs(index, item["sentence"])
        drafts.append(
            Draft(
                intake=intake,
                position=position,
                kind=item["kind"],
                fields=fields,
                sentence=item["sentence"],
                start=item["start"],
                end=item["end"],
            )
        )
    with transaction.atomic():
        Draft.objects.filter(intake=intake).delete()  # a retried job starts over
        Draft.objects.bulk_create(drafts)
        ReportIntake.objects.filter(pk=intake.pk).update(
            state=IntakeState.READY if drafts else IntakeState.DONE,
            text=result["text"],
            meta=result["meta"],
        )
    return {
        "total": len(drafts),
        "summary": _("%(count)d drafts found.") % {"count": len(drafts)},
    }


def _intake_job_failed(job: Job) -> None:
    if job.kind != EXTRACT:
        return
    ReportIntake.objects.filter(
        pk=job.params.get("intake"), state__in=[IntakeState.QUEUED, IntakeState.EXTRACTING]
    ).update(state=IntakeState.FAILED, message=job.message)


register_job_handler(EXTRACT, _extract)
if _intake_job_failed not in FAILURE_LISTENERS:
    FAILURE_LISTENERS.append(_intake_job_failed)


def _locked(draft: Draft) -> Draft:
    return (
        Draft.objects.select_for_update().select_related("intake", "intake__org").get(pk=draft.pk)
    )


def _require_pending(draft: Draft) -> None:
    if draft.state != DraftState.PENDING:
        raise ValidationError(
            _("This draft was already %(state)s; it cannot be decided again.")
            % {"state": draft.get_state_display()}
        )


def _settle(intake: ReportIntake) -> None:
    """An intake without pending drafts is reviewed (done)."""
    pending = Draft.objects.filter(intake=intake, state=DraftState.PENDING).exists()
    state = IntakeState.READY if pending else IntakeState.DONE
    ReportIntake.objects.filter(
        pk=intake.pk, state__in=[IntakeState.READY, IntakeState.DONE]
    ).update(state=state)


def not_yet_message() -> str:
    return str(
        _(
            "Drafts of this kind cannot be confirmed into a ledger yet: record it in its "
            "ledger by hand, or drop the draft."
        )
    )


@transaction.atomic
def draft_confirm(*, draft: Draft, data: Any, acting_user: Actor) -> Draft:
    """Write the draft's record through its module's service (补录, dated by the report)
    and mark the draft confirmed with the record it became."""
    require_actor(acting_user)
    draft = _locked(draft)
    INTAKE.require(acting_user, draft.intake)
    _require_pending(draft)
    if draft.kind not in CONFIRMABLE:
        raise ValidationError(not_yet_message())
    changes: dict[str, Any] = {"kind": draft.kind, "intake": draft.intake.pk}
    written: Any
    if draft.kind == "activity":
        if not isinstance(data, ActivityIn):
            raise TypeError("An activity draft is confirmed with an ActivityIn")
        written = activity_create(data=data, acting_user=acting_user)
        changes["late_entry"] = {
            "held_on": data.held_on,
            "source": draft.intake.title,
            "entered_at": timezone.now(),
        }
    elif draft.kind == "person":
        if not isinstance(data, PersonIn):
            raise TypeError("A person draft is confirmed with a PersonIn")
        if data.person is not None:
            # A link writes no person: the one the clerk chose must be hers to see.
            written = PERSON.resolve(acting_user, data.person.pk, field="person")
            changes["linked"] = True
        else:
            written = person_create(
                organization=draft.intake.org,
                name=data.name.strip(),
                gender=data.gender,
                is_external=True,
                affiliation=data.affiliation,
                acting_user=acting_user,
            )
            changes["late_entry"] = {"source": draft.intake.title, "entered_at": timezone.now()}
    else:
        from taizhang.extraction.kinds import KINDS

        written, extra = KINDS[draft.kind].write(draft, data, acting_user)
        linked = extra.pop("linked", False)
        if linked:
            changes["linked"] = True
        elif written is not None:
            changes["late_entry"] = {
                **extra,
                "source": draft.intake.title,
                "entered_at": timezone.now(),
            }
        changes.update({k: v for k, v in extra.items() if k in {"figure", "outside_body"}})
    draft.state = DraftState.CONFIRMED
    if written is not None:
        draft.object_type = written._meta.label_lower
        draft.object_id = str(written.pk)
        changes["object"] = f"{draft.object_type}#{draft.object_id}"
    draft.decided_by = user_of(acting_user)
    draft.decided_at = timezone.now()
    draft.error = ""
    draft.save(
        update_fields=[
            "state",
            "fields",
            "object_type",
            "object_id",
            "decided_by",
            "decided_at",
            "error",
        ]
    )
    audit_record(actor=acting_user, action="extraction.draft_confirm", obj=draft, changes=changes)
    _settle(draft.intake)
    return draft


@transaction.atomic
def draft_drop(*, draft: Draft, acting_user: Actor) -> Draft:
    """Set a draft aside: nothing is written for it."""
    require_actor(acting_user)
    draft = _locked(draft)
    INTAKE.require(acting_user, draft.intake)
    _require_pending(draft)
    draft.state = DraftState.DROPPED
    draft.decided_by = user_of(acting_user)
    draft.decided_at = timezone.now()
    draft.save(update_fields=["state", "decided_by", "decided_at"])
    audit_record(
        actor=acting_user,
        action="extraction.draft_drop",
        obj=draft,
        changes={"kind": draft.kind, "intake": draft.intake.pk},
    )
    _settle(draft.intake)
    return draft
