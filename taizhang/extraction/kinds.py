"""Confirming the drafts other than activities and persons: one ``Kind`` per draft kind.

Each kind says which values its review card shows (``inputs``), what they hold before
anyone edits them (``defaults``, from the draft and its sentence; a value the text does
not give stays empty so that the module's form says it is required, never guessed),
how the values become a service's input (``clean``, through the owning module's own
form, so a value or a unit outside the clerk's right there is a field error on the
draft), and how the record is written (``write``, through the module's service, as an
Excel import row is: the import service with the report as its source where the module
has one, the step dated by the report and marked 补录).

- ``training`` → a class (``trainings.forms.ClassForm``, ``training_class_import``).
- ``signing`` → an investment lead signed on the day (``investment.forms.LeadForm``,
  ``lead_import`` with the 签约 step 补录), or a cooperation agreement
  (``pairing.forms.PartnershipForm``, ``partnership_create``): ``record_as`` says which.
- ``workstation`` → a workstation partnership (``PartnershipForm``, ``partnership_create``).
- ``award`` → an award (``evaluations.forms.AwardForm``, ``award_create``).
- ``project`` → a project (``projects.forms.ProjectForm``, ``project_create`` in the
  stage the report gives, 补录 on its day), unless the clerk links a project she sees
  whose name is near (nothing written but the draft).
- ``organization`` → a link to a unit of the tree the clerk sees, or kept as an outside
  body the report names (a proposal for whoever keeps the tree): nothing is written to
  the tree from a report.
- ``reported_figure`` → kept as the confirmed draft, with its organization and period:
  the briefing lists it under 「各单位报送情况」 as 据报告… (``reported_items``). A
  figure a report states is no ledger row and no reporting-task answer (no task asked
  for it), so it is booked nowhere else.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from taizhang.core.actors import Actor
from taizhang.extraction.models import Draft, ReportIntake

WAN = Decimal(10_000)
NEAR_RATIO = 0.5
NEAR_LIMIT = 5
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH_DAY = re.compile(r"--(\d{2})-(\d{2})")
_YEAR = re.compile(r"\d{4}")
_CLASS_NUMBER = re.compile(r"第([0-9一二三四五六七八九十百]+)期")
_CLASS_TITLES = (
    re.compile(r"第[0-9一二三四五六七八九十百]+期[\u4e00-\u9fa5]{2,30}?(?:培训班|研修班|训练营)"),
    re.compile(r"(?:举办|开办|开展|组织)了?([\u4e00-\u9fa5]{2,30}?(?:培训班|研修班|训练营))"),
)
_BEFORE_NAME = re.compile(r"^.*(?:与|和|同|由|及|、|，|在)")
_COMPANY = re.compile(r"[\u4e00-\u9fa5（）()]{2,40}?(?:有限责任公司|股份有限公司|有限公司|集团)")
_PARTNER = re.compile(r"与([\u4e00-\u9fa5（）()]{2,40}?)(?:签订|签署|签约|共建|合作)")
_AGREEMENT = re.compile(r"(?:签订|签署)(?:了)?([\u4e00-\u9fa5“”]{2,40}?协议)")
_STATION = re.compile(r"[\u4e00-\u9fa5“”]{2,40}?工作站")
_QUOTA = re.compile(r"(\d+)\s*(?:名|个|人|家)")
_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# The extraction's stage words (projects.STAGES) as the project ledger's stages.
PROJECT_STAGES = {
    "前期": 20,
    "招标": 20,
    "签约": 30,
    "开工": 50,
    "在建": 60,
    "竣工": 70,
    "即将投产": 70,
    "投产": 80,
}


@dataclass
class FieldSpec:
    name: str
    label: Any
    type: str = "text"  # "text", "date", "number" or "select"
    options: str = ""  # a key of ``Choices.options`` for a select
    required: bool = False


@dataclass
class Choices:
    """What the cards' drop-downs offer, fetched once per page (see ``choices``)."""

    orgs: list[tuple[str, str]] = field(default_factory=list)
    near: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    units: dict[int, list[tuple[str, str]]] = field(default_factory=dict)

    def options(self, key: str, draft: Draft) -> list[tuple[str, str]]:
        if key == "orgs":
            return [("", "—"), *self.orgs]
        if key == "near":
            return [("", gettext("Add as a new project")), *self.near.get(draft.pk, [])]
        if key == "units":
            return [
                ("", gettext("Keep as an outside body named by the report")),
                *self.units.get(draft.pk, []),
                *self.orgs,
            ]
        return [("", "—"), *[(str(v), str(label)) for v, label in STATIC[key]()]]


@dataclass(frozen=True)
class Kind:
    inputs: Callable[[Draft, Mapping[str, str]], list[FieldSpec]]
    defaults: Callable[[Draft], dict[str, str]]
    clean: Callable[[Draft, dict[str, str], Actor], Any]
    write: Callable[[Draft, Any, Actor], tuple[Any, dict[str, Any]]]


# --- helpers ----------------------------------------------------------------------------


def report_year(intake: ReportIntake) -> int | None:
    year = intake.report_year or (intake.meta or {}).get("year")
    return int(year) if year else None


def day_of(value: Any, year: int | None, *, last: bool = False) -> str:
    """The ISO day a draft's date stands for: the first (or ``last``) day of a range, the
    report's year for a date written without one; empty when the text gives no day."""
    parts = str(value or "").split("/")
    text = parts[-1] if last else parts[0]
    if _DAY.fullmatch(text):
        return text
    match = _MONTH_DAY.fullmatch(text)
    if match and year:
        try:
            return dt.date(year, int(match[1]), int(match[2])).isoformat()
        except ValueError:
            return ""
    return ""


def period_of(value: Any, year: int | None) -> tuple[str, str]:
    """A figure's period as first and last day: a year, a range, a day; else empty."""
    text = str(value or "")
    if _YEAR.fullmatch(text):
        return f"{text}-01-01", f"{text}-12-31"
    if "/" in text and not text.endswith(".."):
        return day_of(text, year), day_of(text, year, last=True)
    day = day_of(text, year)
    return day, day


def source_of(intake: ReportIntake) -> str:
    """The import source a record written from a report names: the report and its intake."""
    return gettext("Report “%(title)s” (intake %(pk)s)") % {"title": intake.title, "pk": intake.pk}


def late_reason(intake: ReportIntake) -> str:
    return (gettext("Entered from the report “%(title)s”") % {"title": intake.title})[:200]


def _wan(yuan: Any) -> str:
    if yuan in (None, ""):
        return ""
    try:
        return f"{(Decimal(str(yuan)) / WAN).normalize():f}"
    except InvalidOperation:
        return ""


def _number(text: str) -> str:
    if text.isdigit():
        return text
    if text == "十":
        return "10"
    if len(text) <= 3 and "十" in text:
        tens, _sep, ones = text.partition("十")
        return str(_CHINESE_DIGITS.get(tens, 1) * 10 + _CHINESE_DIGITS.get(ones, 0))
    return str(_CHINESE_DIGITS.get(text, "")) if text in _CHINESE_DIGITS else ""


def _first(pattern: re.Pattern[str], text: str, group: int = 0) -> str:
    match = pattern.search(text)
    return match.group(group) if match else ""


def _org_default(draft: Draft) -> str:
    ids = (draft.fields or {}).get("org_ids") or []
    return str(ids[0] if ids else draft.intake.org_id)


def _required() -> str:
    """Django's own words for a missing value, as every form says it."""
    return str(forms.Field.default_error_messages["required"])


def _refuse(form: forms.Form, rename: Mapping[str, str] | None = None) -> ValidationError:
    rename = rename or {}
    return ValidationError(
        {rename.get(key, key): list(errors) for key, errors in form.errors.items()}
    )


def _merge(defaults: dict[str, str], values: Mapping[str, str]) -> dict[str, str]:
    return {**defaults, **{k: str(values[k]) for k in defaults if k in values}}


# --- training ---------------------------------------------------------------------------


def _training_defaults(draft: Draft) -> dict[str, str]:
    fields, year = draft.fields or {}, report_year(draft.intake)
    title = ""
    for pattern in _CLASS_TITLES:
        match = pattern.search(draft.sentence)
        if match:
            title = match.group(match.lastindex or 0)
            break
    return {
        "org": _org_default(draft),
        "number": _number(_first(_CLASS_NUMBER, draft.sentence, 1)),
        "title": title or draft.sentence.strip().rstrip("。")[:160],
        "start_date": day_of(fields.get("date"), year),
        "end_date": day_of(fields.get("date"), year, last=True),
        "venue": str(fields.get("place") or "")[:160],
        "capacity": "",
    }


def _training_inputs(draft: Draft, values: Mapping[str, str]) -> list[FieldSpec]:
    return [
        FieldSpec("org", _("Organizer"), "select", "orgs", True),
        FieldSpec("number", _("Class number (期次)"), "number", required=True),
        FieldSpec("title", _("Class title"), required=True),
        FieldSpec("start_date", _("First day"), "date", required=True),
        FieldSpec("end_date", _("Last day"), "date", required=True),
        FieldSpec("venue", _("Training venue")),
        FieldSpec("capacity", _("Planned number of trainees"), "number", required=True),
    ]


def _training_clean(draft: Draft, values: dict[str, str], viewer: Actor) -> Any:
    from taizhang.trainings.forms import ClassForm
    from taizhang.trainings.services import ClassIn

    data = _merge(_training_defaults(draft), values)
    form = ClassForm(
        {**data, "min_attendance_pct": "80", "reflection_required": "on"}, viewer=viewer
    )
    if not form.is_valid():
        raise _refuse(form)
    # A class from a report opens on its own (the class ledger's import takes no series).
    known = {field.name for field in dataclasses.fields(ClassIn)}
    return ClassIn(**{key: value for key, value in form.cleaned_data.items() if key in known})


def _training_write(draft: Draft, data: Any, actor: Actor) -> tuple[Any, dict[str, Any]]:
    from taizhang.trainings.services import training_class_import

    [klass] = training_class_import(rows=[data], source=source_of(draft.intake), acting_user=actor)
    return klass, {"held_on": data.start_date}


# --- signing: a lead signed, or a cooperation agreement --------------------------------

LEAD, AGREEMENT = "lead", "agreement"


def _record_as_choices() -> list[tuple[str, Any]]:
    return [
        (LEAD, _("An investment lead, signed")),
        (AGREEMENT, _("A cooperation agreement")),
    ]


def _signing_defaults(draft: Draft) -> dict[str, str]:
    fields, sentence = draft.fields or {}, draft.sentence
    day = day_of(fields.get("date"), report_year(draft.intake))
    agreement = "协议" in sentence and not re.search(r"项目", sentence)
    return {
        "record_as": AGREEMENT if agreement else LEAD,
        "org": _org_default(draft),
        "signed_on": day,
        # a lead
        "enterprise": _BEFORE_NAME.sub("", _first(_COMPANY, sentence))[:120],
        "project_name": "",
        "sector": "",
        "source": "",
        "amount": "",
        "contacted_on": day,
        # an agreement
        "partner": _first(_PARTNER, sentence, 1)[:120],
        "title": (_first(_AGREEMENT, sentence, 1) or sentence.strip().rstrip("。"))[:160],
        "place": str(fields.get("place") or "")[:120],
    }


def _signing_inputs(draft: Draft, values: Mapping[str, str]) -> list[FieldSpec]:
    record_as = values.get("record_as") or _signing_defaults(draft)["record_as"]
    common = [
        FieldSpec("record_as", _("Record as"), "select", "record_as", True),
        FieldSpec("org", _("Organization"), "select", "orgs", True),
        FieldSpec("signed_on", _("Signed on"), "date", required=True),
    ]
    if record_as == AGREEMENT:
        return [
            *common,
            FieldSpec("title", _("Title"), required=True),
            FieldSpec("partner", _("Partner (outside body)"), required=True),
            FieldSpec("place", _("Place")),
        ]
    return [
        *common,
        FieldSpec("enterprise", _("Enterprise"), required=True),
        FieldSpec("project_name", _("Project"), required=True),
        FieldSpec("sector", _("Sector"), required=True),
        FieldSpec("source", _("Source"), "select", "lead_source", True),
        FieldSpec(
            "amount", _("Signed investment (10k yuan), when signing"), "number", required=True
        ),
        FieldSpec("contacted_on", _("First contact on"), "date", required=True),
    ]


@dataclass(frozen=True)
class PartnershipIn:
    values: dict[str, Any]


def _partnership(draft: Draft, data: dict[str, str], kind: str, viewer: Actor) -> PartnershipIn:
    from taizhang.pairing.forms import PartnershipForm

    form = PartnershipForm(
        {
            "kind": kind,
            "title": data["title"],
            "partner": data["partner"],
            "org": data["org"],
            "signed_on": data["signed_on"],
            "place": data.get("place", ""),
            "note": late_reason(draft.intake),
        },
        viewer=viewer,
    )
    if not form.is_valid():
        raise _refuse(form)
    return PartnershipIn(dict(form.cleaned_data))


def _signing_clean(draft: Draft, values: dict[str, str], viewer: Actor) -> Any:
    from taizhang.investment.forms import LeadForm
    from taizhang.investment.models import LeadStage
    from taizhang.investment.services import LeadIn

    data = _merge(_signing_defaults(draft), values)
    if data["record_as"] == AGREEMENT:
        return _partnership(draft, data, "agreement", viewer)
    if data["record_as"] != LEAD:
        raise ValidationError({"record_as": gettext("Choose how the signing is recorded.")})
    form = LeadForm(
        {
            "enterprise": data["enterprise"],
            "project_name": data["project_name"],
            "sector": data["sector"],
            "source": data["source"],
            "amount": data["amount"],
            "org": data["org"],
            "contacted_on": data["contacted_on"],
            "late": "on",
            "late_reason": late_reason(draft.intake),
        },
        viewer=viewer,
    )
    signed = forms.DateField().clean(data["signed_on"]) if data["signed_on"] else None
    if not form.is_valid() or signed is None:
        error = _refuse(form)
        if signed is None:
            error.error_dict.setdefault("signed_on", []).append(ValidationError(_required()))
        raise error
    d = form.service_kwargs()
    return LeadIn(
        org=d["org"],
        enterprise=d["enterprise"],
        project_name=d["project_name"],
        sector=d["sector"],
        source=d["source"],
        contacted_on=d["contacted_on"],
        amount=d["amount"],
        note=late_reason(draft.intake),
        stage_dates={LeadStage.SIGNED: signed},
        signed_amount=d["amount"],
        late_reason=d["late_reason"],
    )


def _partnership_write(draft: Draft, data: Any, actor: Actor) -> tuple[Any, dict[str, Any]]:
    from taizhang.pairing.services import partnership_create

    record = partnership_create(**data.values, acting_user=actor)
    return record, {"held_on": data.values["signed_on"]}


def _signing_write(draft: Draft, data: Any, actor: Actor) -> tuple[Any, dict[str, Any]]:
    from taizhang.investment.services import lead_import

    if isinstance(data, PartnershipIn):
        return _partnership_write(draft, data, actor)
    try:
        [lead] = lead_import(rows=[data], source=source_of(draft.intake), acting_user=actor)
    except ValidationError as error:
        # lead_import names the row ("Lead 1: …"); on the card it is the dates.
        raise ValidationError({"signed_on": error.messages}) from None
    return lead, {"held_on": max(data.stage_dates.values())}


# --- workstation ------------------------------------------------------------------------


def _station_choices() -> list[tuple[str, Any]]:
    from taizhang.pairing.models import PartnershipKind

    return [(k, label) for k, label in PartnershipKind.choices if k != "agreement"]


def _workstation_defaults(draft: Draft) -> dict[str, str]:
    sentence = draft.sentence
    station = _first(_STATION, sentence)
    kind = ""
    if re.search(r"招才|引智|人才", station or sentence):
        kind = "talent_station"
    elif re.search(r"招商", station or sentence):
        kind = "investment_station"
    return {
        "kind": kind,
        "org": _org_default(draft),
        "title": (station or sentence.strip().rstrip("。"))[:160],
        "partner": _first(_PARTNER, sentence, 1)[:120],
        "signed_on": day_of((draft.fields or {}).get("date"), report_year(draft.intake)),
        "place": str((draft.fields or {}).get("place") or "")[:120],
    }


def _workstation_inputs(draft: Draft, values: Mapping[str, str]) -> list[FieldSpec]:
    return [
        FieldSpec("kind", _("Kind"), "select", "station", True),
        FieldSpec("org", _("Our organization"), "select", "orgs", True),
        FieldSpec("title", _("Title"), required=True),
        FieldSpec("partner", _("Partner (outside body)"), required=True),
        FieldSpec("signed_on", _("Signed on"), "date", required=True),
        FieldSpec("place", _("Place")),
    ]


def _workstation_clean(draft: Draft, values: dict[str, str], viewer: Actor) -> Any:
    data = _merge(_workstation_defaults(draft), values)
    if data["kind"] not in {k for k, _label in _station_choices()}:
        raise ValidationError({"kind": _required()})
    return _partnership(draft, data, data["kind"], viewer)


# --- award ------------------------------------------------------------------------------


def _award_kinds() -> list[tuple[str, Any]]:
    from taizhang.evaluations.models import AwardKind

    return list(AwardKind.choices)


def _award_defaults(draft: Draft) -> dict[str, str]:
    fields = draft.fields or {}
    day = day_of(fields.get("date"), report_year(draft.intake))
    year = day[:4] if day else str(report_year(draft.intake) or "")
    return {
        "kind": "",
        "name": draft.sentence.strip().rstrip("。")[:120],
        "org": _org_default(draft),
        "year": year,
        "quota": _first(_QUOTA, draft.sentence, 1),
    }


def _award_inputs(draft: Draft, values: Mapping[str, str]) -> list[FieldSpec]:
    return [
        FieldSpec("kind", _("Kind"), "select", "award_kind", True),
        FieldSpec("name", _("Name"), required=True),
        FieldSpec("org", _("Awarding organization"), "select", "orgs", True),
        FieldSpec("year", _("Year"), "number", required=True),
        FieldSpec("quota", _("Quota"), "number", required=True),
    ]


def _award_clean(draft: Draft, values: dict[str, str], viewer: Actor) -> Any:
    from taizhang.evaluations.forms import AwardForm

    form = AwardForm(_merge(_award_defaults(draft), values), viewer=viewer)
    if not form.is_valid():
        raise _refuse(form)
    return dict(form.cleaned_data)


def _award_write(draft: Draft, data: Any, actor: Actor) -> tuple[Any, dict[str, Any]]:
    from taizhang.evaluations.services import award_create

    return award_create(**data, acting_user=actor), {"year": data["year"]}


# --- project ----------------------------------------------------------------------------


def _categories() -> list[tuple[str, Any]]:
    from taizhang.projects.models import Category

    return list(Category.choices)


def _stages() -> list[tuple[str, Any]]:
    from taizhang.projects.models import Stage

    return [(str(v), label) for v, label in Stage.choices]


def _capacity(text: str) -> tuple[str, str]:
    match = re.match(r"([\d.]+)\s*(.*)", text or "")
    if not match:
        return "", ""
    return match[1], match[2][:20]


def _project_defaults(draft: Draft) -> dict[str, str]:
    fields = draft.fields or {}
    stage = PROJECT_STAGES.get(str(fields.get("stage") or ""))
    capacity, unit = _capacity(str(fields.get("capacity") or ""))
    area = fields.get("area_m2")
    return {
        "project": "",
        "name": str(fields.get("name") or "")[:120],
        "category": "",
        "org": _org_default(draft),
        "lead_unit": _org_default(draft),
        "total_investment": _wan(fields.get("investment_yuan")),
        "building_area": "" if area in (None, "") else str(area),
        "capacity": capacity,
        "capacity_unit": unit,
        "stage": str(stage or 10),
        "stage_since": day_of(
            fields.get("date") or (draft.intake.meta or {}).get("report_date"),
            report_year(draft.intake),
        ),
    }


def _project_inputs(draft: Draft, values: Mapping[str, str]) -> list[FieldSpec]:
    return [
        FieldSpec("project", _("A project already on the ledger"), "select", "near"),
        FieldSpec("name", _("Project name"), required=True),
        FieldSpec("category", _("Category"), "select", "category", True),
        FieldSpec("org", _("Owning organization"), "select", "orgs", True),
        FieldSpec("lead_unit", _("Lead unit"), "select", "orgs", True),
        FieldSpec("total_investment", _("Total investment (10k yuan)"), "number", required=True),
        FieldSpec("building_area", _("Building area (m²)"), "number"),
        FieldSpec("capacity", _("Capacity"), "number"),
        FieldSpec("capacity_unit", _("Capacity unit")),
        FieldSpec("stage", _("Stage"), "select", "stage", True),
        FieldSpec("stage_since", _("In this stage since"), "date", required=True),
    ]


@dataclass(frozen=True)
class ProjectIn:
    values: dict[str, Any]
    stage: int
    stage_since: dt.date
    linked: Any = None


def near_projects(viewer: Actor, names: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """Projects the viewer sees whose name is near each of ``names`` (one query)."""
    from taizhang.projects.permissions import POLICY as PROJECTS

    cores = {name: re.sub(r"(?:项目|工程)$", "", name) for name in names if name}
    query = Q()
    for core in cores.values():
        for part in {core[:4], core[-4:]}:
            if len(part) >= 2:
                query |= Q(name__contains=part)
    if not query:
        return {}
    found = list(PROJECTS.queryset(viewer).filter(query).only("pk", "name")[:200])
    result: dict[str, list[tuple[str, str]]] = {}
    for name, core in cores.items():
        scored = []
        for project in found:
            other = re.sub(r"(?:项目|工程)$", "", project.name)
            ratio = difflib.SequenceMatcher(None, core, other).ratio()
            if ratio >= NEAR_RATIO or (
                min(len(core), len(other)) >= 4 and (core in other or other in core)
            ):
                scored.append((-ratio, project.pk, project.name))
        result[name] = [(str(pk), label) for _r, pk, label in sorted(scored)[:NEAR_LIMIT]]
    return result


def _project_clean(draft: Draft, values: dict[str, str], viewer: Actor) -> Any:
    from taizhang.projects.forms import ProjectForm
    from taizhang.projects.models import Stage
    from taizhang.projects.permissions import POLICY as PROJECTS

    data = _merge(_project_defaults(draft), values)
    if data["project"].strip():
        return ProjectIn(
            {},
            0,
            dt.date.today(),
            linked=PROJECTS.resolve(viewer, data["project"], field="project"),
        )
    form = ProjectForm(
        {k: v for k, v in data.items() if k not in {"project", "stage", "stage_since"}},
        viewer=viewer,
    )
    problems: dict[str, list[str]] = (
        {k: [str(m) for m in v] for k, v in form.errors.items()} if not form.is_valid() else {}
    )
    try:
        stage = Stage(int(data["stage"]))
    except ValueError:
        problems.setdefault("stage", []).append(_required())
        stage = Stage.PLANNING
    try:
        since = forms.DateField().clean(data["stage_since"])
    except ValidationError as error:
        problems.setdefault("stage_since", []).extend(error.messages)
        since = None
    if problems or since is None:
        raise ValidationError(problems)
    return ProjectIn(form.service_kwargs(), int(stage), since)


def _project_write(draft: Draft, data: Any, actor: Actor) -> tuple[Any, dict[str, Any]]:
    from taizhang.projects.services import project_create

    if data.linked is not None:
        return data.linked, {"linked": True}
    try:
        project = project_create(
            **data.values,
            stage=data.stage,
            stage_since=data.stage_since,
            late_reason=late_reason(draft.intake),
            acting_user=actor,
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            raise
        raise ValidationError({"stage_since": error.messages}) from None
    return project, {"held_on": data.stage_since}


# --- organization -----------------------------------------------------------------------


def _organization_defaults(draft: Draft) -> dict[str, str]:
    return {"unit": "", "name": str((draft.fields or {}).get("name") or "")[:120]}


def _organization_inputs(draft: Draft, values: Mapping[str, str]) -> list[FieldSpec]:
    return [
        FieldSpec("unit", _("A unit of the tree"), "select", "units"),
        FieldSpec("name", pgettext_lazy("report extraction", "Name"), required=True),
    ]


@dataclass(frozen=True)
class OrganizationIn:
    name: str
    unit: Any = None


def _organization_clean(draft: Draft, values: dict[str, str], viewer: Actor) -> Any:
    from taizhang.organizations.permissions import ORGANIZATION

    data = _merge(_organization_defaults(draft), values)
    if data["unit"].strip():
        return OrganizationIn(
            data["name"], ORGANIZATION.resolve(viewer, data["unit"], field="unit")
        )
    if not data["name"].strip():
        raise ValidationError({"name": _required()})
    return OrganizationIn(data["name"].strip())


def _organization_write(draft: Draft, data: Any, actor: Actor) -> tuple[Any, dict[str, Any]]:
    draft.fields = {**(draft.fields or {}), "name": data.name}
    if data.unit is not None:
        return data.unit, {"linked": True}
    return None, {"outside_body": data.name}


# --- reported figure --------------------------------------------------------------------


def _figure_defaults(draft: Draft) -> dict[str, str]:
    fields = draft.fields or {}
    start, end = period_of(fields.get("period"), report_year(draft.intake))
    return {
        "org": _org_default(draft),
        "metric": str(fields.get("metric") or "")[:60],
        "value": "" if fields.get("value") is None else str(fields.get("value")),
        "unit": str(fields.get("unit") or "")[:20],
        "period_start": start,
        "period_end": end,
    }


def _figure_inputs(draft: Draft, values: Mapping[str, str]) -> list[FieldSpec]:
    return [
        FieldSpec("org", pgettext_lazy("report extraction", "Reported by"), "select", "orgs", True),
        FieldSpec("metric", pgettext_lazy("report extraction", "Metric"), required=True),
        FieldSpec("value", pgettext_lazy("report extraction", "Value"), "number", required=True),
        FieldSpec("unit", pgettext_lazy("report extraction", "Unit")),
        FieldSpec("period_start", _("Period from"), "date", required=True),
        FieldSpec("period_end", _("Period to"), "date", required=True),
    ]


class FigureForm(forms.Form):
    metric = forms.CharField(max_length=60)
    value = forms.DecimalField(max_digits=18, decimal_places=4)
    unit = forms.CharField(max_length=20, required=False)
    period_start = forms.DateField()
    period_end = forms.DateField()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", gettext("The period cannot end before it starts."))
        return data


def _figure_clean(draft: Draft, values: dict[str, str], viewer: Actor) -> Any:
    from taizhang.extraction.permissions import INTAKE, MANAGE

    data = _merge(_figure_defaults(draft), values)
    form = FigureForm(data)
    problems = (
        {k: [str(m) for m in v] for k, v in form.errors.items()} if not form.is_valid() else {}
    )
    key = data["org"].strip()
    org = INTAKE.org_choices(viewer, MANAGE).filter(pk=int(key)).first() if key.isdigit() else None
    if org is None:
        problems.setdefault("org", []).append(
            str(forms.ModelChoiceField.default_error_messages["invalid_choice"])
        )
    if problems:
        raise ValidationError(problems)
    return {**form.cleaned_data, "org": org}


def _figure_write(draft: Draft, data: Any, actor: Actor) -> tuple[Any, dict[str, Any]]:
    confirmed = {
        "org": data["org"].pk,
        "metric": data["metric"],
        "value": f"{data['value'].normalize():f}",
        "unit": data["unit"],
        "period_start": data["period_start"].isoformat(),
        "period_end": data["period_end"].isoformat(),
    }
    draft.fields = {**(draft.fields or {}), "confirmed": confirmed}
    return None, {"figure": confirmed}


def _lead_sources() -> list[tuple[str, Any]]:
    from taizhang.investment.models import Source

    return list(Source.choices)


STATIC: dict[str, Callable[[], list[tuple[str, Any]]]] = {
    "record_as": _record_as_choices,
    "station": _station_choices,
    "award_kind": _award_kinds,
    "category": _categories,
    "stage": _stages,
    "lead_source": _lead_sources,
}

KINDS: dict[str, Kind] = {
    "training": Kind(_training_inputs, _training_defaults, _training_clean, _training_write),
    "signing": Kind(_signing_inputs, _signing_defaults, _signing_clean, _signing_write),
    "workstation": Kind(
        _workstation_inputs, _workstation_defaults, _workstation_clean, _partnership_write
    ),
    "award": Kind(_award_inputs, _award_defaults, _award_clean, _award_write),
    "project": Kind(_project_inputs, _project_defaults, _project_clean, _project_write),
    "organization": Kind(
        _organization_inputs, _organization_defaults, _organization_clean, _organization_write
    ),
    "reported_figure": Kind(_figure_inputs, _figure_defaults, _figure_clean, _figure_write),
}


def choices(viewer: Actor, drafts: Iterable[Draft], orgs: list[tuple[str, str]] | None) -> Choices:
    """The drop-downs of the pending drafts' cards: ``orgs`` (given by the page, fetched
    once), projects near each project draft's name (one query), a unit draft's
    candidates (from the tree the clerk saw at extraction)."""
    from taizhang.organizations.models import Organization

    pending = [d for d in drafts if d.kind in KINDS]
    result = Choices(orgs=orgs or [])
    projects = [d for d in pending if d.kind == "project"]
    if projects:
        near = near_projects(viewer, {str(d.fields.get("name") or "") for d in projects})
        result.near = {d.pk: near.get(str(d.fields.get("name") or ""), []) for d in projects}
    wanted: dict[int, list[int]] = {}
    for d in pending:
        if d.kind == "organization":
            for pk in d.fields.get("candidates") or []:
                wanted.setdefault(int(pk), []).append(d.pk)
    if wanted:
        from taizhang.organizations.permissions import ORGANIZATION

        visible = ORGANIZATION.queryset(
            viewer, base=Organization.objects.filter(pk__in=list(wanted))
        )
        for org in visible.only("pk", "short_name", "name"):
            for draft_pk in wanted[org.pk]:
                result.units.setdefault(draft_pk, []).append((str(org.pk), org.name))
    return result
