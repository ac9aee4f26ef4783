"""The review of a report: paste it, let the job find its drafts, confirm or drop them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase
from django.utils import translation

from taizhang.activities.models import Activity, ActivityKind
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.extraction.models import Draft, DraftState, IntakeState, ReportIntake
from taizhang.extraction.services import draft_confirm, intake_create, report_text
from taizhang.extraction.tests.factories import SAMPLE, make_draft, make_intake
from taizhang.people.models import Person
from taizhang.people.services import person_create
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_messages():
    """Messages are asserted in English (msgids); the catalogue test checks the Chinese."""
    from django.utils import translation

    with translation.override("en"):
        yield


def _ready(org, drafts: int = 0) -> ReportIntake:
    """An intake whose extraction has run, with ``drafts`` drafts of mixed kinds."""
    intake = make_intake(org)
    ReportIntake.objects.filter(pk=intake.pk).update(
        state=IntakeState.READY, text=SAMPLE, meta={"year": 2026}
    )
    intake.refresh_from_db()
    kinds = ("activity", "person", "project", "reported_figure", "training")
    for number in range(drafts):
        make_draft(intake, kinds[number % len(kinds)], name=f"周明{number}")
    return intake


def _login(client, username: str, language: str = "en") -> None:
    """Sign in; pages answer in English (the msgids) unless ``language`` says otherwise."""
    assert client.login(username=username, password=PASSWORD)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language


def test_pasting_a_report_runs_the_job_and_stores_its_drafts(client, tree, personas):
    """Given a short report pasted by street A's clerk, the background job stores drafts
    citing their sentences in the cleaned text, and the page shows them."""
    _login(client, "street_a")
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            "/extraction/new/",
            {"title": "临河街道工作简报", "org": "", "org_id": tree.street_a.pk, "text": SAMPLE},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    intake = ReportIntake.objects.get()
    assert intake.state == IntakeState.READY
    assert intake.job is not None and intake.job.status == "succeeded"
    drafts = list(intake.drafts.all())
    kinds = {d.kind for d in drafts}
    assert {"activity", "person", "reported_figure"} <= kinds
    for draft in drafts:
        assert intake.text[draft.start : draft.end] == draft.sentence
    study = next(d for d in drafts if d.kind == "activity" and d.fields["kind"] == "集中学习")
    assert study.fields["date"] == "2026-05-12"
    assert any(d.kind == "person" and d.fields["name"] == "周明远" for d in drafts)
    page = client.get(response["Location"])
    text = page.content.decode()
    assert page.status_code == 200
    assert f'<mark id="s-{study.start}">' in text and f'href="#s-{study.start}"' in text
    assert "0 confirmed, 0 dropped," in text
    assert AuditEvent.objects.filter(action="extraction.intake_create").count() == 1


def test_the_neighbour_gets_404_and_cannot_confirm(client, tree, personas):
    """Street B's clerk neither sees street A's intake nor confirms or drops its drafts."""
    intake = _ready(tree.street_a)
    draft = make_draft(intake)
    _login(client, "street_b")
    assert client.get(f"/extraction/{intake.pk}/").status_code == 404
    assert client.post(f"/extraction/drafts/{draft.pk}/confirm/", {}).status_code == 404
    assert client.post(f"/extraction/drafts/{draft.pk}/drop/", {}).status_code == 404
    assert intake.title not in client.get("/extraction/").content.decode()
    draft.refresh_from_db()
    assert draft.state == DraftState.PENDING
    assert not Activity.objects.exists()
    with pytest.raises(PermissionDenied):
        draft_confirm(draft=draft, data=None, acting_user=personas.street_b)
    with pytest.raises(PermissionDenied):
        intake_create(org=tree.street_a, title="x", text=SAMPLE, acting_user=personas.street_b)


def test_confirming_an_activity_writes_it_through_the_service(client, tree, personas):
    """The activity is written once, audited, booked on the intake's organization and
    dated by the report; the draft links to it; a second confirmation is refused."""
    intake = _ready(tree.street_a)
    draft = make_draft(intake, date="--05-12")
    _login(client, "street_a")
    response = client.post(f"/extraction/drafts/{draft.pk}/confirm/", {"venue": "党群服务中心"})
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert activity.org == tree.street_a
    assert activity.held_on == dt.date(2026, 5, 12)  # the report's year
    assert activity.kind.code == "group_study"
    assert activity.venue == "党群服务中心"
    assert activity.title == "5月12日，临河街道党工委开展集中学习"
    assert "临河街道工作简报" in activity.summary
    draft.refresh_from_db()
    assert draft.state == DraftState.CONFIRMED
    assert (draft.object_type, draft.object_id) == ("activities.activity", str(activity.pk))
    assert draft.decided_by == personas.street_a
    assert AuditEvent.objects.filter(action="activity.create", object_id=str(activity.pk)).exists()
    confirm = AuditEvent.objects.get(action="extraction.draft_confirm")
    assert confirm.changes["object"] == f"activities.activity#{activity.pk}"
    assert confirm.changes["late_entry"]["held_on"] == "2026-05-12"
    page = client.get(f"/extraction/{intake.pk}/").content.decode()
    assert f"/activities/{activity.pk}/" in page
    assert "1 confirmed, 0 dropped, 0 pending" in page
    intake.refresh_from_db()
    assert intake.state == IntakeState.DONE

    again = client.post(f"/extraction/drafts/{draft.pk}/confirm/", {}, follow=True)
    assert "cannot be decided again" in again.content.decode()
    assert Activity.objects.count() == 1
    with pytest.raises(ValidationError):
        draft_confirm(draft=draft, data=None, acting_user=personas.street_a)


def test_a_unit_named_in_the_sentence_holds_the_activity(client, tree, personas):
    """A unit of the tree matched in the sentence is the default holding organization."""
    intake = _ready(tree.street_a)
    draft = make_draft(intake, org_ids=[tree.community_a.pk])
    _login(client, "street_a")
    client.post(f"/extraction/drafts/{draft.pk}/confirm/", {})
    assert Activity.objects.get().org == tree.community_a


def test_dropping_writes_nothing(client, tree, personas):
    intake = _ready(tree.street_a)
    draft = make_draft(intake)
    _login(client, "street_a")
    response = client.post(f"/extraction/drafts/{draft.pk}/drop/", {}, follow=True)
    assert "nothing was written" in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == DraftState.DROPPED
    assert not Activity.objects.exists()
    assert AuditEvent.objects.filter(action="extraction.draft_drop").count() == 1
    assert client.post(f"/extraction/drafts/{draft.pk}/confirm/", {}).status_code == 302
    assert not Activity.objects.exists()


def test_a_bad_edited_date_is_a_field_error_and_nothing_is_written(client, tree, personas):
    intake = _ready(tree.street_a)
    draft = make_draft(intake)
    _login(client, "street_a")
    events = AuditEvent.objects.count()
    response = client.post(f"/extraction/drafts/{draft.pk}/confirm/", {"held_on": "2026-13-45"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Enter a valid date." in text
    assert 'value="2026-13-45"' in text  # the value typed is kept on the card
    assert not Activity.objects.exists()
    draft.refresh_from_db()
    assert draft.state == DraftState.PENDING
    assert AuditEvent.objects.count() == events


def test_an_activity_outside_the_viewers_units_is_refused(client, tree, personas):
    """A holding organization the clerk does not manage is a field error, as on the
    activities page."""
    intake = _ready(tree.street_a)
    draft = make_draft(intake)
    _login(client, "street_a")
    response = client.post(
        f"/extraction/drafts/{draft.pk}/confirm/", {"org": str(tree.street_b.pk)}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Activity.objects.exists()


def test_an_unknown_activity_kind_must_be_chosen(client, tree, personas):
    intake = _ready(tree.street_a)
    draft = make_draft(intake, kind="慰问")
    _login(client, "street_a")
    response = client.post(f"/extraction/drafts/{draft.pk}/confirm/", {})
    assert response.status_code == 200
    assert not Activity.objects.exists()
    kind = ActivityKind.objects.get(code="volunteer")
    client.post(f"/extraction/drafts/{draft.pk}/confirm/", {"kind": str(kind.pk)})
    assert Activity.objects.get().kind == kind


def test_an_unsupported_kind_says_not_yet(client, tree, personas):
    intake = _ready(tree.street_a)
    draft = make_draft(intake, "appointment")
    _login(client, "street_a")
    response = client.post(f"/extraction/drafts/{draft.pk}/confirm/", {}, follow=True)
    assert "cannot be confirmed into a ledger yet" in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == DraftState.PENDING
    assert not AuditEvent.objects.filter(action="extraction.draft_confirm").exists()


def test_confirming_a_person_adds_an_external_person_or_links_one(client, tree, personas):
    intake = _ready(tree.street_a)
    new = make_draft(intake, "person", name="周明远", title="街道党工委书记")
    _login(client, "street_a")
    refused = client.post(f"/extraction/drafts/{new.pk}/confirm/", {})
    assert refused.status_code == 200  # the gender is required, as on the people page
    assert not Person.objects.exists()
    client.post(f"/extraction/drafts/{new.pk}/confirm/", {"gender": "M"})
    person = Person.objects.get()
    assert (person.name, person.is_external, person.affiliation) == (
        "周明远",
        True,
        "街道党工委书记",
    )
    assert person.organization == tree.street_a
    new.refresh_from_db()
    assert new.object_id == str(person.pk)

    known = person_create(
        organization=tree.community_a, name="李春华", gender="F", acting_user=SYSTEM
    )
    linked = make_draft(intake, "person", name="李春华", title="社区党委书记")
    page = client.get(f"/extraction/{intake.pk}/").content.decode()
    assert f'<option value="{known.pk}">李春华（A1）</option>' in page
    client.post(f"/extraction/drafts/{linked.pk}/confirm/", {"person": str(known.pk)})
    linked.refresh_from_db()
    assert (linked.state, linked.object_id) == (DraftState.CONFIRMED, str(known.pk))
    assert Person.objects.count() == 2


@pytest.mark.parametrize("drafts", [5, 30])
def test_the_review_page_reads_a_bounded_number_of_queries(
    client, tree, personas, django_assert_max_num_queries, drafts
):
    intake = _ready(tree.street_a, drafts)
    _login(client, "street_a")
    client.get(f"/extraction/{intake.pk}/")  # warm the per-session caches
    with django_assert_max_num_queries(10):
        response = client.get(f"/extraction/{intake.pk}/")
    assert response.status_code == 200
    assert response.content.decode().count('class="draft"') == drafts


def test_the_list_shows_the_intakes_in_scope(client, tree, personas):
    mine = _ready(tree.community_a)
    other = _ready(tree.street_b)
    ReportIntake.objects.filter(pk=other.pk).update(title="望澜街道简报")
    _login(client, "street_a")
    page = client.get("/extraction/").content.decode()
    assert f"/extraction/{mine.pk}/" in page and "望澜街道简报" not in page


def test_an_uploaded_report_is_read_as_utf8_gb18030_or_word():
    assert report_text(file_name="a.txt", content="简报正文".encode("gb18030")) == "简报正文"
    assert report_text(file_name="a.TXT", content="\ufeff简报正文".encode()) == "简报正文"
    import docx

    document = docx.Document()
    document.add_paragraph("第一段")
    document.add_paragraph("第二段")
    buffer = io.BytesIO()
    document.save(buffer)
    assert report_text(file_name="a.docx", content=buffer.getvalue()) == "第一段\n第二段"
    with pytest.raises(ValidationError):
        report_text(file_name="a.docx", content=b"not a zip")
    with pytest.raises(ValidationError):
        report_text(file_name="a.pdf", content=b"%PDF")
    with pytest.raises(ValidationError):
        report_text(file_name="a.txt", content=b"x" * (5 * 1024 * 1024 + 1))


def test_an_upload_through_the_page_is_brought_in(client, tree, personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _login(client, "street_a")
    upload = SimpleUploadedFile("简报.txt", SAMPLE.encode("gb18030"), content_type="text/plain")
    response = client.post(
        "/extraction/new/",
        {"title": "上传的简报", "org": "", "org_id": tree.street_a.pk, "file": upload},
    )
    assert response.status_code == 302
    intake = ReportIntake.objects.get()
    assert intake.source_text.startswith("临河街道工作简报")
    assert intake.file_name == "简报.txt"
    assert not Draft.objects.exists()  # the job runs after the request commits


def test_the_review_page_reads_as_many_queries_for_30_drafts_as_for_5(client, tree, personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    intake = _ready(tree.street_a, 5)
    _login(client, "street_a")
    client.get(f"/extraction/{intake.pk}/")
    with CaptureQueriesContext(connection) as five:
        client.get(f"/extraction/{intake.pk}/")
    for number in range(25):
        make_draft(intake, ("activity", "person", "project")[number % 3], name=f"王{number}")
    with CaptureQueriesContext(connection) as thirty:
        client.get(f"/extraction/{intake.pk}/")
    assert len(thirty) == len(five), [q["sql"] for q in thirty.captured_queries]


def test_the_pages_speak_chinese(client, tree, personas):
    """The summary, the kinds' names, the not-yet message and the menu entry in Chinese."""
    intake = _ready(tree.street_a)
    activity = make_draft(intake)
    project = make_draft(intake, "appointment")
    make_draft(intake, "person")
    _login(client, "street_a", language="zh-hans")
    client.post(f"/extraction/drafts/{activity.pk}/confirm/", {})
    page = client.post(f"/extraction/drafts/{project.pk}/confirm/", {}, follow=True)
    text = page.content.decode()
    assert "已确认1条、已舍弃0条、待处理2条" in text
    assert "这类草稿暂不能确认写入台账" in text
    assert "报告录入" in text and "重点项目" in text
    assert "举办单位" not in text  # the confirmed activity's card shows no inputs
    assert "新建报告录入" in client.get("/extraction/").content.decode()


def test_the_audit_trail_names_the_reviews_events():
    from taizhang.core.audit_display import action_label, field_label

    with translation.override("zh-hans"):
        assert action_label("extraction.draft_confirm", "extraction.draft") == "报告录入：确认草稿"
        assert field_label(None, "late_entry", "extraction.draft").startswith("补录")
