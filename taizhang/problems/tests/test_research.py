"""调研课题 (issue 15 §2): 选题 → 调研 → 报告 → 成果转化 as their own flow, forward only and
dated, with 补录; the report through the one upload policy; scope, audit, pages and the
briefing's figures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from taizhang.core.models import AuditEvent
from taizhang.core.versions import StaleEdit, version_of
from taizhang.people.models import PositionTitle
from taizhang.problems import services
from taizhang.problems.models import ResearchStage, ResearchTopic
from taizhang.problems.permissions import RESEARCH_POLICY
from taizhang.problems.selectors import research_list, research_stage_counts
from taizhang.problems.tests.factories import make_research_topic
from taizhang.projects.tests.factories import make_person
from taizhang.statistics import briefings
from taizhang.statistics.periods import Period
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def topic(tree, personas):
    return make_research_topic(
        tree.street_a,
        chosen_on=TODAY - 40 * DAY,
        late_reason="课题会后补录",
        acting_user=personas.street_a,
    )


def _to_report(topic, user):
    topic = services.research_topic_advance(
        topic=topic, stage="survey", on=TODAY - 30 * DAY, late_reason="补录", acting_user=user
    )
    return services.research_topic_advance(
        topic=topic, stage="report", on=TODAY - 10 * DAY, late_reason="补录", acting_user=user
    )


def test_the_flow_moves_forward_one_stage_at_a_time_with_dates(topic, personas):
    user = personas.street_a
    with pytest.raises(ValidationError):  # skipping 调研
        services.research_topic_advance(topic=topic, stage="report", acting_user=user)
    topic = services.research_topic_advance(topic=topic, stage="survey", acting_user=user)
    assert topic.stage == ResearchStage.SURVEY
    with pytest.raises(ValidationError):  # never back
        services.research_topic_advance(topic=topic, stage="topic", acting_user=user)
    topic = services.research_topic_advance(topic=topic, stage="report", acting_user=user)
    with pytest.raises(ValidationError) as no_report:  # 成果转化 needs the report
        services.research_topic_advance(topic=topic, stage="outcome", acting_user=user)
    assert "stage" in no_report.value.message_dict
    assert [s.stage for s in topic.steps.all()] == ["topic", "survey", "report"]
    assert topic.steps.get(stage="survey").occurred_on == TODAY
    moves = AuditEvent.objects.filter(action="research_topic.advance", object_id=str(topic.pk))
    assert sorted(e.changes["stage"][1] for e in moves) == ["report", "survey"]


def test_a_late_move_needs_its_reason_and_follows_the_stage_before(topic, personas):
    user = personas.street_a
    with pytest.raises(ValidationError) as no_reason:
        services.research_topic_advance(
            topic=topic, stage="survey", on=TODAY - 5 * DAY, acting_user=user
        )
    assert "late_reason" in no_reason.value.message_dict
    with pytest.raises(ValidationError) as too_early:  # before the topic was chosen
        services.research_topic_advance(
            topic=topic, stage="survey", on=TODAY - 50 * DAY, late_reason="补录", acting_user=user
        )
    assert "occurred_on" in too_early.value.message_dict
    with pytest.raises(ValidationError):  # not in the future
        services.research_topic_advance(
            topic=topic, stage="survey", on=TODAY + DAY, acting_user=user
        )
    topic = services.research_topic_advance(
        topic=topic,
        stage="survey",
        on=TODAY - 5 * DAY,
        late_reason="调研方案会后补录",
        acting_user=user,
    )
    step = topic.steps.get(stage="survey")
    assert step.is_late_entry and step.occurred_on == TODAY - 5 * DAY
    event = AuditEvent.objects.get(action="research_topic.advance", object_id=str(topic.pk))
    assert event.changes["late_entry"]["reason"] == "调研方案会后补录"
    chosen = topic.steps.get(stage="topic")
    assert chosen.is_late_entry and chosen.late_reason == "课题会后补录"
    with pytest.raises(ValidationError):  # a topic chosen earlier needs the reason too
        make_research_topic(topic.org, chosen_on=TODAY - 3 * DAY, acting_user=personas.street_a)


def test_a_sibling_street_neither_sees_nor_writes(topic, personas, client):
    assert RESEARCH_POLICY.covers(personas.district, topic)
    assert not RESEARCH_POLICY.covers(personas.street_b, topic)
    assert list(research_list(viewer=personas.street_b)) == []
    with pytest.raises(PermissionDenied):
        services.research_topic_advance(topic=topic, stage="survey", acting_user=personas.street_b)
    with pytest.raises(PermissionDenied):
        services.research_topic_update(topic=topic, title="改名", acting_user=personas.street_b)
    with pytest.raises(PermissionDenied):
        make_research_topic(topic.org, acting_user=personas.street_b)
    client.login(username="street_b", password=PASSWORD)
    assert client.get(reverse("problems:research_detail", args=[topic.pk])).status_code == 404
    moved = client.post(reverse("problems:research_advance", args=[topic.pk]), {"stage": "survey"})
    assert moved.status_code == 404
    topic.refresh_from_db()
    assert topic.stage == ResearchStage.TOPIC


def test_the_report_goes_through_the_upload_policy(topic, personas):
    user = personas.street_a
    with pytest.raises(ValidationError):  # not before the report stage
        services.research_report_record(
            topic=topic, report_title="报告", report_on=TODAY, report_text="正文", acting_user=user
        )
    topic = _to_report(topic, user)
    fake = SimpleUploadedFile("调研报告.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    with pytest.raises(ValidationError) as bad:
        services.research_report_record(
            topic=topic, report_title="报告", report_on=TODAY, files=[fake], acting_user=user
        )
    assert "report_file" in bad.value.message_dict
    with pytest.raises(ValidationError) as empty:  # a file or the text
        services.research_report_record(
            topic=topic, report_title="报告", report_on=TODAY, acting_user=user
        )
    assert "report_text" in empty.value.message_dict
    good = SimpleUploadedFile("调研报告.pdf", PDF, content_type="application/pdf")
    topic = services.research_report_record(
        topic=topic,
        report_title="关于老旧小区物业管理的调研报告",
        report_on=TODAY - 2 * DAY,
        files=[good],
        acting_user=user,
    )
    assert topic.has_report and topic.report_file_name == "调研报告.pdf"
    assert "调研报告" not in topic.report_file.name  # the user's name never reaches the disk
    event = AuditEvent.objects.get(action="research_topic.report", object_id=str(topic.pk))
    assert event.changes["report_title"][1] == "关于老旧小区物业管理的调研报告"


def test_outcomes_follow_the_report_and_a_problem_is_raised_from_the_topic(topic, tree, personas):
    user = personas.street_a
    topic = _to_report(topic, user)
    topic = services.research_report_record(
        topic=topic,
        report_title="报告",
        report_on=TODAY - 8 * DAY,
        report_text="调研发现……",
        acting_user=user,
    )
    with pytest.raises(ValidationError):  # not before 成果转化
        services.research_outcome_add(
            topic=topic, text="出台办法", adopted_on=TODAY, acting_user=user
        )
    topic = services.research_topic_advance(topic=topic, stage="outcome", acting_user=user)
    with pytest.raises(ValidationError):  # adopted before the report
        services.research_outcome_add(
            topic=topic, text="出台办法", adopted_on=TODAY - 9 * DAY, acting_user=user
        )
    services.research_outcome_add(
        topic=topic, text="街道印发《物业服务考评办法》", adopted_on=TODAY, acting_user=user
    )
    assert topic.outcomes.count() == 1
    assert AuditEvent.objects.filter(action="research_topic.outcome").count() == 1
    problem = services.problem_create(
        org=topic.org,
        title="部分小区物业服务合同到期未续签",
        deadline=TODAY + 30 * DAY,
        source="survey",
        origin_type="problems.researchtopic",
        origin_id=topic.pk,
        acting_user=user,
    )
    assert problem.origin_label == topic.title
    row = research_list(viewer=user).get(pk=topic.pk)
    assert (row.problem_count, row.outcome_count) == (1, 1)
    with pytest.raises(ValidationError):  # a sibling cannot name it as an origin
        services.problem_create(
            org=tree.street_b,
            title="越权",
            deadline=TODAY + DAY,
            source="survey",
            origin_type="problems.researchtopic",
            origin_id=topic.pk,
            acting_user=personas.street_b,
        )


def test_editing_checks_the_team_and_the_version(topic, tree, personas):
    leader = make_person(tree.district, "孙区长", PositionTitle.LEADER)
    member = make_person(tree.street_a, "社区书记甲", PositionTitle.CLERK)
    elsewhere = make_person(tree.street_b, "外街干部", PositionTitle.CLERK)
    seen = version_of(topic)
    with pytest.raises(ValidationError):  # a person of street B is not in her sight
        services.research_topic_update(
            topic=topic, team=[elsewhere], version=seen, acting_user=personas.street_a
        )
    with pytest.raises(ValidationError):  # the lead leader is a leader candidate
        services.research_topic_update(
            topic=topic, lead_leader=member, version=seen, acting_user=personas.street_a
        )
    services.research_topic_update(
        topic=topic, lead_leader=leader, team=[member], version=seen, acting_user=personas.street_a
    )
    assert list(topic.team.all()) == [member]
    event = AuditEvent.objects.filter(action="research_topic.update").latest("pk")
    assert event.changes["team"] == [[], [member.pk]]
    with pytest.raises(StaleEdit):
        services.research_topic_update(
            topic=topic, title="另一个", version=seen, acting_user=personas.district
        )


def test_the_pages_create_move_report_and_count(client, tree, personas):
    client.login(username="street_a", password=PASSWORD)
    refused = client.post(
        reverse("problems:research_create"),
        {
            "title": "关于社区养老服务的调研",
            "org": tree.street_a.pk,
            "chosen_on": (TODAY - 3 * DAY).isoformat(),
        },
    )
    assert refused.status_code == 200 and "late_reason" in refused.context["form"].errors
    response = client.post(
        reverse("problems:research_create"),
        {"title": "关于社区养老服务的调研", "org": tree.street_a.pk, "chosen_on": f"{TODAY}"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    topic = ResearchTopic.objects.get(title="关于社区养老服务的调研")
    detail = reverse("problems:research_detail", args=[topic.pk])
    page = client.get(detail)
    assert page.status_code == 200 and page.context["next_stage"] == "survey"
    moved = client.post(
        reverse("problems:research_advance", args=[topic.pk]),
        {"stage": "survey", "move-note": "制定调研方案"},
    )
    assert moved.status_code == 302
    client.post(reverse("problems:research_advance", args=[topic.pk]), {"stage": "report"})
    bad = client.post(
        reverse("problems:research_report", args=[topic.pk]),
        {
            "report-report_title": "调研报告",
            "report-report_on": TODAY.isoformat(),
            "report-report_file": SimpleUploadedFile("报告.pdf", b"not a pdf at all"),
        },
    )
    assert bad.status_code == 422
    good = client.post(
        reverse("problems:research_report", args=[topic.pk]),
        {
            "report-report_title": "调研报告",
            "report-report_on": TODAY.isoformat(),
            "report-report_file": SimpleUploadedFile("报告.pdf", PDF),
        },
    )
    assert good.status_code == 302
    download = client.get(reverse("problems:research_report_file", args=[topic.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    listing = client.get(reverse("problems:research") + "?stage=report")
    assert [t.pk for t in listing.context["page"]] == [topic.pk]
    assert {s: n for s, _label, n in listing.context["counts"]}["report"] == 1
    edit = client.get(reverse("problems:research_edit", args=[topic.pk]))
    assert edit.status_code == 200 and edit.context["version"] is not None
    # Raising a problem from it starts from the topic and links back to it.
    form = client.get(page.context["raise_url"]).context["form"]
    assert form.initial["org"] == tree.street_a and form.initial["source"] == "survey"
    assert form.initial["origin_type"] == "problems.researchtopic"
    problem = services.problem_create(
        org=tree.street_a,
        title="社区助餐点覆盖不足",
        deadline=TODAY + 30 * DAY,
        source="survey",
        origin=topic,
        acting_user=personas.street_a,
    )
    problem_page = client.get(reverse("problems:detail", args=[problem.pk]))
    assert problem_page.context["origin_url"] == detail
    toolbar = client.get(reverse("problems:list")).content.decode()
    assert f'href="{reverse("problems:research")}"' in toolbar
    client.logout()
    client.login(username="street_b", password=PASSWORD)
    assert client.get(reverse("problems:research_report_file", args=[topic.pk])).status_code == 404
    assert research_stage_counts(viewer=personas.street_b)[2][2] == 0


def test_the_briefing_counts_topics_reports_and_outcomes(tree, personas):
    user = personas.street_a
    topic = make_research_topic(tree.street_a, acting_user=user)
    make_research_topic(tree.street_a, title="关于夜间经济的调研", acting_user=user)
    topic = services.research_topic_advance(topic=topic, stage="survey", acting_user=user)
    topic = services.research_topic_advance(topic=topic, stage="report", acting_user=user)
    topic = services.research_report_record(
        topic=topic, report_title="报告", report_on=TODAY, report_text="正文", acting_user=user
    )
    topic = services.research_topic_advance(topic=topic, stage="outcome", acting_user=user)
    for text in ("印发实施办法", "建立联席会议机制", "纳入明年民生实事"):
        services.research_outcome_add(topic=topic, text=text, adopted_on=TODAY, acting_user=user)
    with translation.override("zh-hans"):
        sections = briefings.compose(
            personas.district, tree.district, Period.month(TODAY.year, TODAY.month)
        )
        text = briefings.paragraph_text(next(s for s in sections if s.module == "problems"))
    assert "新立调研课题2个" in text
    assert "形成调研报告1篇" in text
    assert "成果转化3项" in text
    assert "调研课题" not in text.replace("新立调研课题2个", "")  # not counted twice
