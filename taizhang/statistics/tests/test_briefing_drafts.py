"""A briefing is first a draft (issue 15 §1): sections for the organization's level and
for the modules with records, each with its locked figures' sentence and the narrative
the clerk writes; issued, it is numbered and locked, and later changes are logged
corrections. Scope, audit, optimistic locking and the page's query count."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from docx import Document

from taizhang.activities.tests.factories import make_activity, make_person
from taizhang.core.models import AuditEvent
from taizhang.core.versions import StaleEdit, version_of
from taizhang.statistics import briefings, services
from taizhang.statistics.documents import briefing_docx
from taizhang.statistics.models import BriefingCorrection, BriefingSection, BriefingState
from taizhang.statistics.periods import Period
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db

MARCH = Period.month(2026, 3)


@pytest.fixture
def march(tree):
    """Two activities in March 2026 under street A (a grid's and a community's)."""
    one = make_person(tree.grid_a, "甲")
    make_activity(tree.grid_a, attendees=[one], held_on=dt.date(2026, 3, 2))
    make_activity(tree.community_a, headcount=30, held_on=dt.date(2026, 3, 20))
    return tree


def _draft(personas, tree, **kwargs):
    with translation.override("zh-hans"):
        return services.briefing_generate(
            acting_user=personas.street_a, org=tree.street_a, period=MARCH, **kwargs
        )


def _modules(briefing):
    return list(briefing.sections.values_list("module", flat=True))


# --- sections for the level and the data ----------------------------------------------


def test_only_sections_with_records_unless_empty_ones_are_asked_for(march, personas):
    draft = _draft(personas, march)
    assert _modules(draft) == ["activities"]
    assert {line["section"] for line in draft.figures} == {"activities"}
    full = _draft(personas, march, include_empty=True)
    assert _modules(full) == [
        m for m in briefings.LEVEL_SECTIONS["subdistrict"] if m in _modules(full)
    ]
    assert set(_modules(full)) == set(briefings.LEVEL_SECTIONS["subdistrict"])
    assert "evaluations" not in _modules(full)  # not a subdistrict's section


@pytest.mark.parametrize(
    ("place", "level"),
    [
        ("district", "district"),
        ("street_a", "subdistrict"),
        ("community_a", "community"),
        ("grid_a", "grid"),
    ],
)
def test_empty_sections_follow_the_level(tree, personas, place, level):
    """A community's briefing is not six paragraphs of 本期暂无…: asked for empty
    sections, each level gets its own list."""
    org = getattr(tree, place)
    assert briefings.level_of(org) == level
    draft = services.briefing_generate(
        acting_user=personas.district, org=org, period=MARCH, include_empty=True
    )
    assert set(_modules(draft)) == set(briefings.LEVEL_SECTIONS[level])


def test_a_section_with_records_appears_whatever_the_level(march, personas):
    """Records are never hidden: the grid's activities appear in the grid's briefing."""
    draft = services.briefing_generate(
        acting_user=personas.street_a, org=march.grid_a, period=MARCH
    )
    assert _modules(draft) == ["activities"]


# --- the draft -------------------------------------------------------------------------


def test_a_draft_has_no_number_and_locked_figures(march, personas):
    draft = _draft(personas, march)
    assert draft.state == BriefingState.DRAFT and draft.number is None
    section = BriefingSection.objects.get(briefing=draft)
    assert section.figures_text.startswith("开展各类活动2场")
    assert section.progress == section.next_steps == ""
    event = AuditEvent.objects.get(action="statistics.briefing_generate")
    assert event.changes["sections"] == [None, ["activities"]]
    assert "number" not in event.changes
    with translation.override("zh-hans"):
        assert draft.number_label == "草稿"


def test_the_clerk_writes_the_narrative(march, personas):
    draft = _draft(personas, march)
    services.briefing_draft_edit(
        acting_user=personas.street_a,
        briefing=draft,
        sections={
            "activities": {"progress": "开展主题党日。\r\n组织集中学习。", "next_steps": "深化宣讲"}
        },
    )
    section = draft.sections.get()
    assert section.progress == "开展主题党日。\n组织集中学习。" and section.next_steps == "深化宣讲"
    event = AuditEvent.objects.get(action="statistics.briefing_edit")
    assert event.changes == {
        "activities.progress": ["", "开展主题党日。\n组织集中学习。"],
        "activities.next_steps": ["", "深化宣讲"],
    }
    # Sending the same text again writes nothing and records nothing.
    services.briefing_draft_edit(
        acting_user=personas.street_a,
        briefing=draft,
        sections={"activities": {"next_steps": "深化宣讲"}},
    )
    assert AuditEvent.objects.filter(action="statistics.briefing_edit").count() == 1


def test_a_changed_figure_is_refused_with_the_reason(march, personas):
    """The service refuses it, whatever sent it; the narrative of the same call is not
    saved either, and nothing is audited."""
    draft = _draft(personas, march)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.briefing_draft_edit(
            acting_user=personas.street_a,
            briefing=draft,
            sections={"activities": {"figures": "开展各类活动200场。", "progress": "新写的"}},
        )
    message = refused.value.message_dict["activities-figures"][0]
    assert "computed from the records and cannot be typed over" in message
    assert draft.sections.get().progress == ""
    assert not AuditEvent.objects.filter(action="statistics.briefing_edit").exists()
    # The sentence as computed goes through (the page sends it back unchanged).
    section = draft.sections.get()
    services.briefing_draft_edit(
        acting_user=personas.street_a,
        briefing=draft,
        sections={"activities": {"figures": section.figures_text, "progress": "新写的"}},
    )
    assert draft.sections.get().progress == "新写的"


def test_two_clerks_do_not_overwrite_each_other(march, personas):
    draft = _draft(personas, march)
    opened = version_of(draft)
    services.briefing_draft_edit(
        acting_user=personas.district,
        briefing=draft,
        sections={"activities": {"progress": "区里写的"}},
        version=opened,
    )
    with pytest.raises(StaleEdit):
        services.briefing_draft_edit(
            acting_user=personas.street_a,
            briefing=draft,
            sections={"activities": {"progress": "街道写的"}},
            version=opened,
        )
    assert draft.sections.get().progress == "区里写的"


# --- issue and corrections ---------------------------------------------------------------


def test_issuing_numbers_and_locks_it(march, personas):
    draft = _draft(personas, march)
    issued = services.briefing_issue(acting_user=personas.street_a, briefing=draft)
    assert (issued.state, issued.number, issued.year) == (BriefingState.ISSUED, 1, 2026)
    assert issued.issued_by == personas.street_a and issued.issued_at is not None
    event = AuditEvent.objects.get(action="statistics.briefing_issue")
    assert event.changes["number"] == [None, "2026-1"]
    assert event.changes["digest"] == [None, draft.digest]
    assert not any(check.changed for check in briefings.briefing_check(issued))
    with translation.override("en"):
        with pytest.raises(ValidationError, match="issued as No. 1 and can no longer be edited"):
            services.briefing_draft_edit(
                acting_user=personas.street_a,
                briefing=issued,
                sections={"activities": {"progress": "改"}},
            )
        with pytest.raises(ValidationError):
            services.briefing_issue(acting_user=personas.street_a, briefing=issued)
    issued.refresh_from_db()
    assert issued.number == 1 and issued.sections.get().progress == ""


def test_a_correction_is_logged_and_printed(march, personas):
    draft = _draft(personas, march)
    with pytest.raises(ValidationError):  # a draft is edited, not corrected
        services.briefing_correct(
            acting_user=personas.street_a, briefing=draft, text="x", reason="y"
        )
    issued = services.briefing_issue(acting_user=personas.street_a, briefing=draft)
    with pytest.raises(ValidationError) as missing:
        services.briefing_correct(
            acting_user=personas.street_a, briefing=issued, text="", reason=""
        )
    assert set(missing.value.message_dict) == {"text", "reason"}
    correction = services.briefing_correct(
        acting_user=personas.street_a,
        briefing=issued,
        section="activities",
        text="主题党日应为3月20日",
        reason="日期笔误",
    )
    assert correction.made_by == personas.street_a and correction.section is not None
    event = AuditEvent.objects.get(action="statistics.briefing_correct")
    assert event.changes["correction"] == [None, "主题党日应为3月20日"]
    assert event.object_id == str(issued.pk)
    with translation.override("zh-hans"):
        xml = _document_xml(briefing_docx(issued))
        leader = _document_xml(briefing_docx(issued, appendix=False))
    assert "主题党日应为3月20日" in xml and "日期笔误" in xml and "更正" in xml
    assert "主题党日应为3月20日" not in leader


def test_the_word_file_has_the_narrative_under_its_heading(march, personas):
    draft = _draft(personas, march)
    services.briefing_draft_edit(
        acting_user=personas.street_a,
        briefing=draft,
        sections={"activities": {"progress": "开展主题党日。", "next_steps": "深化宣讲。"}},
    )
    with translation.override("zh-hans"):
        document = Document(io.BytesIO(briefing_docx(draft)))
    texts = [p.text for p in document.paragraphs if p.text.strip()]
    heading = next(i for i, t in enumerate(texts) if t.endswith(draft.sections.get().title))
    assert texts[heading + 1].startswith("开展各类活动2场")
    assert texts[heading + 2 : heading + 6] == [
        "（一）工作动态",
        "开展主题党日。",
        "（二）下步打算",
        "深化宣讲。",
    ]


def _document_xml(docx: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return archive.read("word/document.xml").decode()


# --- scope ----------------------------------------------------------------------------------


def test_another_street_cannot_read_or_write_the_draft(client, march, personas):
    draft = _draft(personas, march)
    for call in (
        lambda: services.briefing_draft_edit(
            acting_user=personas.street_b,
            briefing=draft,
            sections={"activities": {"progress": "x"}},
        ),
        lambda: services.briefing_issue(acting_user=personas.street_b, briefing=draft),
    ):
        with pytest.raises(PermissionDenied):
            call()
    client.login(username="street_b", password=PASSWORD)
    base = f"/statistics/briefings/{draft.pk}/"
    assert client.get(base).status_code == 404
    assert client.post(base + "edit/", {"activities-progress": "x"}).status_code == 404
    assert client.post(base + "issue/").status_code == 404
    assert client.post(base + "correct/", {"text": "x", "reason": "y"}).status_code == 404
    draft.refresh_from_db()
    assert draft.is_draft and draft.sections.get().progress == ""
    assert not AuditEvent.objects.filter(
        action__in=["statistics.briefing_edit", "statistics.briefing_issue"]
    ).exists()


# --- the pages ------------------------------------------------------------------------------


def _post(draft, **slots):
    section = draft.sections.get()
    data = {
        "version": version_of(draft),
        "activities-figures": section.figures_text,
        "activities-progress": "",
        "activities-practices": "",
        "activities-shortcomings": "",
        "activities-next_steps": "",
    }
    data.update({f"activities-{k}": v for k, v in slots.items()})
    return data


def test_the_draft_page_edits_and_issues(client, march, personas):
    draft = _draft(personas, march)
    client.login(username="street_a", password=PASSWORD)
    url = f"/statistics/briefings/{draft.pk}/"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'id="draft-form"' in page and "草稿" in page
    assert f"/statistics/figures/activities.count/?org={march.street_a.pk}" in page
    saved = client.post(url + "edit/", _post(draft, progress="开展主题党日"))
    assert saved.status_code == 302
    assert draft.sections.get().progress == "开展主题党日"

    refused = client.post(
        url + "edit/",
        _post(draft, figures="开展各类活动200场。", next_steps="继续努力"),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    text = refused.content.decode()
    assert refused.status_code == 422
    assert "不能改写" in text and "继续努力" in text  # the reason, and what was typed
    assert draft.sections.get().next_steps == ""

    stale = client.post(
        url + "edit/",
        {**_post(draft, next_steps="我的打算"), "version": version_of(draft) - 1},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert stale.status_code == 409 and "我的打算" in stale.content.decode()

    issued = client.post(url + "issue/", {"version": version_of(draft)})
    assert issued.status_code == 302
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "第1期" in page and 'id="draft-form"' not in page and "开展主题党日" in page
    assert 'id="correction-form"' in page
    after = client.post(url + "edit/", _post(draft, progress="改写"))
    assert after.status_code == 422 and draft.sections.get().progress == "开展主题党日"
    corrected = client.post(
        url + "correct/", {"section": "activities", "text": "应为3场", "reason": "漏报"}
    )
    assert corrected.status_code == 302
    assert BriefingCorrection.objects.get().text == "应为3场"
    assert "应为3场" in client.get(url).content.decode()


def test_a_reader_sees_the_draft_without_the_form(client, march, personas):
    from taizhang.accounts.models import ScopeKind
    from tests.support import make_user

    draft = _draft(personas, march)
    make_user("reader", ("leader", ScopeKind.SUBTREE, march.street_a))
    client.login(username="reader", password=PASSWORD)
    page = client.get(f"/statistics/briefings/{draft.pk}/").content.decode()
    assert 'id="draft-form"' not in page and 'id="issue-form"' not in page
    assert client.post(f"/statistics/briefings/{draft.pk}/issue/").status_code == 403


def test_the_generate_form_can_ask_for_empty_sections(client, march, personas):
    client.login(username="street_a", password=PASSWORD)
    client.post("/statistics/briefings/new/", {"org": march.street_a.pk, "period": "2026-03"})
    client.post(
        "/statistics/briefings/new/",
        {"org": march.street_a.pk, "period": "2026-03", "include_empty": "on"},
    )
    bare, full = services.Briefing.objects.order_by("pk")
    assert _modules(bare) == ["activities"] and len(_modules(full)) > 1


def test_the_page_query_count_does_not_grow_with_sections_or_corrections(client, march, personas):
    client.force_login(personas.street_a)

    def queries(briefing) -> int:
        url = f"/statistics/briefings/{briefing.pk}/"
        client.get(url)  # the session's first request renews its expiry
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    one = _draft(personas, march)
    many = _draft(personas, march, include_empty=True)
    assert many.sections.count() > 3
    assert queries(many) == queries(one)
    issued = services.briefing_issue(acting_user=personas.street_a, briefing=one)
    before = queries(issued)
    for index in range(3):
        services.briefing_correct(
            acting_user=personas.street_a, briefing=issued, text=f"更正{index}", reason="笔误"
        )
    assert queries(issued) == before <= 30


def test_the_audit_trail_names_the_briefing_actions(march, personas):
    from taizhang.core.audit_display import action_label

    with translation.override("zh-hans"):
        assert action_label("statistics.briefing_issue") == "签发简报"
        assert action_label("statistics.briefing_edit") == "撰写简报草稿"
