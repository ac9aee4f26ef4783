"""Confirming the drafts of every kind: each written through its module's form and
service (audited, 补录 on the report's day), refused by field when a value is missing or
outside the clerk's right, and nothing written for a refused or dropped draft."""

from __future__ import annotations

import datetime as dt

import pytest

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.evaluations.models import Award
from taizhang.extraction.models import DraftState, IntakeState, ReportIntake
from taizhang.extraction.tests.factories import SAMPLE, make_draft, make_intake
from taizhang.investment.models import Lead, LeadStage, LeadStageChange
from taizhang.pairing.models import Partnership
from taizhang.projects.models import Project, StageChange
from taizhang.projects.services import project_create
from taizhang.statistics.briefings import reported_items
from taizhang.trainings.models import TrainingClass
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_messages():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def intake(tree):
    intake = make_intake(tree.street_a)
    ReportIntake.objects.filter(pk=intake.pk).update(
        state=IntakeState.READY, text=SAMPLE, meta={"year": 2026}
    )
    intake.refresh_from_db()
    return intake


@pytest.fixture
def clerk(client, personas):
    assert client.login(username="street_a", password=PASSWORD)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _confirm(client, draft, data):
    return client.post(f"/extraction/drafts/{draft.pk}/confirm/", data)


def _confirmed(draft) -> dict:
    draft.refresh_from_db()
    assert draft.state == DraftState.CONFIRMED
    return AuditEvent.objects.get(
        action="extraction.draft_confirm", object_id=str(draft.pk)
    ).changes


def test_a_training_needs_its_capacity_then_opens_the_class_as_an_import(clerk, intake, tree):
    draft = make_draft(
        intake,
        "training",
        kind="培训",
        date="--03-11/--03-15",
        place="街道党校",
        sentence="3月11日至15日，临河街道举办第八期社区干部培训班。",
    )
    page = clerk.get(f"/extraction/{intake.pk}/").content.decode()
    assert f'name="d{draft.pk}-capacity"' in page and 'value="第八期社区干部培训班"' in page
    refused = _confirm(clerk, draft, {})
    assert refused.status_code == 200
    assert "This field is required." in refused.content.decode()
    assert not TrainingClass.objects.exists()
    draft.refresh_from_db()
    assert draft.state == DraftState.PENDING

    assert _confirm(clerk, draft, {"capacity": "40"}).status_code == 302
    klass = TrainingClass.objects.get()
    assert (klass.org, klass.number, klass.title) == (tree.street_a, 8, "第八期社区干部培训班")
    assert (klass.start_date, klass.end_date) == (dt.date(2026, 3, 11), dt.date(2026, 3, 15))
    assert klass.venue == "街道党校" and klass.capacity == 40
    written = AuditEvent.objects.get(action="training_class.import")
    assert "临河街道工作简报" in written.changes["source"]
    changes = _confirmed(draft)
    assert changes["object"] == f"trainings.trainingclass#{klass.pk}"
    assert changes["late_entry"]["held_on"] == "2026-03-11"


def test_a_training_on_a_unit_outside_the_clerks_right_is_a_field_error(clerk, intake, tree):
    draft = make_draft(intake, "training", kind="培训", date="--03-11")
    response = _confirm(clerk, draft, {"org": str(tree.street_b.pk), "capacity": "40"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not TrainingClass.objects.exists()


def test_a_signing_becomes_a_lead_signed_on_the_day_entered_late(clerk, intake, tree):
    draft = make_draft(
        intake,
        "signing",
        kind="签约",
        date="--04-18",
        sentence="4月18日，临河街道与蓝海新材料科技有限公司签约年产5万吨改性塑料项目。",
    )
    refused = _confirm(clerk, draft, {})
    assert refused.status_code == 200 and not Lead.objects.exists()
    data = {
        "project_name": "年产5万吨改性塑料项目",
        "sector": "新材料",
        "source": "visit",
        "amount": "120000",
    }
    assert _confirm(clerk, draft, data).status_code == 302
    lead = Lead.objects.get()
    assert lead.enterprise == "蓝海新材料科技有限公司"
    assert (lead.stage, lead.org, lead.amount) == (LeadStage.SIGNED, tree.street_a, 1_200_000_000)
    signed = LeadStageChange.objects.get(lead=lead, to_stage=LeadStage.SIGNED)
    assert signed.changed_on == dt.date(2026, 4, 18)
    assert "临河街道工作简报" in signed.late_reason  # 补录, with the report as its reason
    assert AuditEvent.objects.filter(action="lead.import").exists()
    assert _confirmed(draft)["object"] == f"investment.lead#{lead.pk}"


def test_an_agreement_signing_becomes_a_partnership(clerk, intake, tree):
    draft = make_draft(
        intake,
        "signing",
        kind="签约",
        date="--04-20",
        sentence="4月20日，临河街道与华南理工大学签订产学研合作框架协议。",
    )
    page = clerk.get(f"/extraction/{intake.pk}/").content.decode()
    assert f'name="d{draft.pk}-partner"' in page  # an agreement by default: 协议, no project
    assert _confirm(clerk, draft, {}).status_code == 302
    partnership = Partnership.objects.get()
    assert (partnership.kind, partnership.partner, partnership.title) == (
        "agreement",
        "华南理工大学",
        "产学研合作框架协议",
    )
    assert partnership.signed_on == dt.date(2026, 4, 20)
    assert AuditEvent.objects.filter(action="partnership.create").exists()
    assert _confirmed(draft)["late_entry"]["held_on"] == "2026-04-20"


def test_a_workstation_needs_its_partner(clerk, intake, tree):
    draft = make_draft(
        intake,
        "workstation",
        kind="挂牌",
        date="--05-08",
        sentence="5月8日，临河街道驻沪招商联络工作站挂牌成立。",
    )
    refused = _confirm(clerk, draft, {})
    assert refused.status_code == 200 and not Partnership.objects.exists()
    assert _confirm(clerk, draft, {"partner": "上海临河商会"}).status_code == 302
    station = Partnership.objects.get()
    assert (station.kind, station.title) == ("investment_station", "临河街道驻沪招商联络工作站")
    assert station.signed_on == dt.date(2026, 5, 8)


def test_an_award_needs_its_kind(clerk, intake, tree):
    draft = make_draft(
        intake,
        "award",
        kind="表彰",
        date="--06-30",
        sentence="6月30日，临河街道表彰优秀共产党员15名。",
    )
    refused = _confirm(clerk, draft, {})
    assert refused.status_code == 200 and not Award.objects.exists()
    _confirm(clerk, draft, {"kind": "excellent_member", "name": "2026年度优秀共产党员"})
    award = Award.objects.get()
    assert (award.year, award.quota, award.org) == (2026, 15, tree.street_a)
    assert _confirmed(draft)["object"] == f"evaluations.award#{award.pk}"


def test_a_project_near_one_on_the_ledger_is_linked_or_created_in_its_stage(clerk, intake, tree):
    known = project_create(
        org=tree.street_a,
        name="滨江产业园一期项目",
        category="industry",
        lead_unit=tree.street_a,
        total_investment=100,
        acting_user=SYSTEM,
    )
    linked = make_draft(intake, "project", name="滨江产业园项目", date="--05-10")
    page = clerk.get(f"/extraction/{intake.pk}/").content.decode()
    assert f'<option value="{known.pk}">滨江产业园一期项目</option>' in page
    _confirm(clerk, linked, {"project": str(known.pk)})
    assert Project.objects.count() == 1
    assert _confirmed(linked)["linked"] is True
    linked.refresh_from_db()
    assert linked.object_id == str(known.pk)

    new = make_draft(
        intake,
        "project",
        name="临河智慧物流园项目",
        investment_yuan=860_000_000,
        area_m2=125000,
        stage="开工",
        date="--05-12",
    )
    refused = _confirm(clerk, new, {})
    assert refused.status_code == 200 and Project.objects.count() == 1  # category required
    _confirm(clerk, new, {"category": "industry"})
    project = Project.objects.exclude(pk=known.pk).get()
    assert (project.total_investment, project.stage) == (860_000_000, 50)
    assert project.stage_since == dt.date(2026, 5, 12)
    first = StageChange.objects.get(project=project)
    assert "临河街道工作简报" in first.late_reason
    assert _confirmed(new)["late_entry"]["held_on"] == "2026-05-12"


def test_an_organization_is_linked_to_the_tree_or_kept_as_an_outside_body(clerk, intake, tree):
    inside = make_draft(intake, "organization", name="临河社区", candidates=[tree.community_a.pk])
    outside = make_draft(intake, "organization", name="华南理工大学", candidates=[])
    hidden = make_draft(intake, "organization", name="望澜社区", candidates=[tree.community_b.pk])
    page = clerk.get(f"/extraction/{intake.pk}/").content.decode()
    assert f'<option value="{tree.community_a.pk}">{tree.community_a.name}</option>' in page
    assert f'<option value="{tree.community_b.pk}">{tree.community_b.name}</option>' not in page
    _confirm(clerk, inside, {"unit": str(tree.community_a.pk)})
    inside.refresh_from_db()
    assert inside.object_id == str(tree.community_a.pk)
    _confirm(clerk, outside, {})
    assert _confirmed(outside)["outside_body"] == "华南理工大学"
    assert _confirm(clerk, hidden, {"unit": str(tree.community_b.pk)}).status_code == 200
    hidden.refresh_from_db()
    assert hidden.state == DraftState.PENDING


def test_a_reported_figure_is_kept_for_the_briefing_of_its_unit_and_period(clerk, intake, tree):
    figure = make_draft(
        intake,
        "reported_figure",
        metric="主题党日活动",
        value=36,
        unit="场",
        approximate=False,
        period="2026",
    )
    outside = _confirm(clerk, figure, {"org": str(tree.street_b.pk)})
    assert outside.status_code == 200
    figure.refresh_from_db()
    assert figure.state == DraftState.PENDING
    _confirm(clerk, figure, {})
    assert _confirmed(figure)["figure"]["value"] == "36"
    items = reported_items(tree.street_a, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    mine = [item for item in items if item["label"] == "主题党日活动"]
    assert mine and mine[0]["value"] == "36" and "场" in mine[0]["text"]
    assert not reported_items(tree.street_b, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert not [
        i
        for i in reported_items(tree.street_a, dt.date(2026, 1, 1), dt.date(2026, 6, 30))
        if i["label"] == "主题党日活动"
    ]


def test_confirm_all_decides_each_draft_in_its_own_savepoint(clerk, intake, tree):
    """One POST: the good drafts are written, the one missing a value is not and says
    why, and the answer counts both."""
    good = make_draft(intake, date="--05-12")
    figure = make_draft(
        intake, "reported_figure", metric="主题党日活动", value=36, unit="场", period="2026"
    )
    bad = make_draft(intake, "training", kind="培训", date="--03-11")  # no capacity
    response = clerk.post(
        f"/extraction/{intake.pk}/decide/",
        {"bulk": "confirm_all", f"d{good.pk}-venue": "党群服务中心"},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "2 confirmed, 1 could not be confirmed (see each draft for the reason)." in text
    assert "This field is required." in text
    for draft in (good, figure, bad):
        draft.refresh_from_db()
    assert (good.state, figure.state, bad.state) == (
        DraftState.CONFIRMED,
        DraftState.CONFIRMED,
        DraftState.PENDING,
    )
    from taizhang.activities.models import Activity

    assert Activity.objects.get().venue == "党群服务中心"
    assert not TrainingClass.objects.exists()

    again = clerk.post(
        f"/extraction/{intake.pk}/decide/",
        {
            "bulk": "confirm_selected",
            "selected": [str(bad.pk)],
            f"d{bad.pk}-capacity": "30",
            f"d{bad.pk}-number": "3",
        },
    )
    assert again.status_code == 302
    assert TrainingClass.objects.get().capacity == 30


def test_drop_selected_writes_nothing_and_one_card_can_be_decided_alone(clerk, intake, tree):
    first = make_draft(intake, date="--05-12")
    second = make_draft(intake, date="--05-13")
    third = make_draft(intake, date="--05-14")
    clerk.post(
        f"/extraction/{intake.pk}/decide/",
        {"bulk": "drop_selected", "selected": [str(first.pk), str(second.pk)]},
    )
    clerk.post(f"/extraction/{intake.pk}/decide/", {"confirm": str(third.pk)})
    for draft in (first, second, third):
        draft.refresh_from_db()
    assert [first.state, second.state, third.state] == ["dropped", "dropped", "confirmed"]
    from taizhang.activities.models import Activity

    assert Activity.objects.get().held_on == dt.date(2026, 5, 14)
    assert AuditEvent.objects.filter(action="extraction.draft_drop").count() == 2


def test_the_neighbour_cannot_decide_through_the_review_form(client, intake, personas):
    draft = make_draft(intake, date="--05-12")
    assert client.login(username="street_b", password=PASSWORD)
    response = client.post(f"/extraction/{intake.pk}/decide/", {"bulk": "confirm_all"})
    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.state == DraftState.PENDING


def test_a_figure_is_shown_beside_what_the_records_say(clerk, intake, tree):
    study = make_draft(intake, date="--05-12")  # one 集中学习 on street A, in 2026
    clerk.post(f"/extraction/{intake.pk}/decide/", {"confirm": str(study.pk)})
    figure = make_draft(
        intake, "reported_figure", metric="集中学习", value=5, unit="场", period="2026"
    )
    unknown = make_draft(intake, "reported_figure", metric="客商考察团", value=62, unit="批次")
    clerk.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    page = clerk.get(f"/extraction/{intake.pk}/").content.decode()
    assert 'data-metric="activities.group_study">报告称5场，台账记录为1场' in page
    assert "（集中学习，A，2026-01-01至2026-12-31）" in page
    assert page.count('class="compared"') == 1
    assert f'id="d-{unknown.pk}"' in page and f'id="d-{figure.pk}"' in page


def test_a_figure_names_a_metric_only_when_words_and_unit_agree():
    from taizhang.extraction.compare import metric_for

    assert metric_for("主题党日活动", "场").name == "activities.party_day"
    assert metric_for("招商线索", "条").name == "investment.leads"
    assert metric_for("培训班", "期").name == "trainings.classes"
    assert metric_for("招商线索", "场") is None  # the unit is not the metric's
    assert metric_for("项目", "个") is None  # too short to choose one
    assert metric_for("客商考察团", "批次") is None
