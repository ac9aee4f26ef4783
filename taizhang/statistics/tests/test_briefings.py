"""Briefings: figures rounded the Chinese way, every figure from the records, stored as
a snapshot that checks itself against the records later; scope and audit."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from docx import Document

from taizhang.activities.tests.factories import make_activity, make_person
from taizhang.core.models import AuditEvent
from taizhang.core.registry import METRICS
from taizhang.statistics import briefings, services
from taizhang.statistics.documents import briefing_docx
from taizhang.statistics.figures import format_figure
from taizhang.statistics.models import Briefing
from taizhang.statistics.periods import Period
from taizhang.statistics.tests.factories import issue
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db

MARCH = Period.month(2026, 3)


@pytest.mark.parametrize(
    ("metric", "value", "expected"),
    [
        ("activities.count", 7012, "7000余场"),
        ("activities.count", 496, "496场"),
        ("activities.count", 1300, "1300场"),
        ("activities.members_reached", 17342, "1.7万余人"),
        ("activities.members_reached", 10000, "1万人"),
        ("projects.total_investment", 79_700_000_000, "797亿元"),
        ("projects.total_investment", 1_377_000_000, "13.77亿元"),
        ("investment.subsidy_amount", 840_000_000, "8.4亿元"),
        ("investment.subsidy_enterprises", 3292, "3200余家次"),
    ],
)
def test_figures_are_rounded_the_chinese_way(metric, value, expected):
    with translation.override("zh-hans"):
        assert format_figure(METRICS[metric], Decimal(value)) == expected


@pytest.fixture
def march(tree):
    """Activities in March 2026 under street A: one with a list of two members."""
    one, two = make_person(tree.grid_a, "甲"), make_person(tree.community_a, "乙")
    make_activity(tree.grid_a, attendees=[one, two], held_on=dt.date(2026, 3, 2))
    make_activity(tree.community_a, headcount=30, held_on=dt.date(2026, 3, 20))
    return tree


def _line(briefing, metric):
    return next(f for f in briefing.figures if f["metric"] == metric)


def test_generate_keeps_a_snapshot_and_an_audit_event(march, personas):
    with translation.override("zh-hans"):
        briefing = services.briefing_generate(
            acting_user=personas.street_a, org=march.street_a, period=MARCH
        )
    count = _line(briefing, "activities.count")
    assert count["text"] == "2场" and count["trace"]["rows"] == 2
    assert len(count["trace"]["ids"]) == 2 and len(count["trace"]["digest"]) == 64
    assert _line(briefing, "activities.members_reached")["text"] == "2人"
    assert briefing.title == "A 组织2026年3月工作简报"
    event = AuditEvent.objects.get(action="statistics.briefing_generate")
    assert event.object_id == str(briefing.pk) and event.actor == personas.street_a


def test_regenerating_gives_the_same_numbers(march, personas):
    first = services.briefing_generate(
        acting_user=personas.street_a, org=march.street_a, period=MARCH
    )
    second = services.briefing_generate(
        acting_user=personas.street_a, org=march.street_a, period=MARCH
    )
    assert first.digest == second.digest
    assert [f["trace"] for f in first.figures] == [f["trace"] for f in second.figures]
    assert not any(check.changed for check in briefings.briefing_check(first))


def test_check_says_which_figure_changed_and_why(march, personas):
    briefing = services.briefing_generate(
        acting_user=personas.street_a, org=march.street_a, period=MARCH
    )
    make_activity(march.community_a, headcount=5, held_on=dt.date(2026, 3, 25))
    with translation.override("en"):
        checks = {c.metric: c for c in briefings.briefing_check(briefing)}
    assert checks["activities.count"].changed
    assert checks["activities.count"].reason == "1 records added"
    assert (checks["activities.count"].old_rows, checks["activities.count"].new_rows) == (2, 3)
    assert not checks["activities.members_reached"].changed  # headcount-only adds nobody


def test_no_data_is_said_and_never_invented(tree, personas):
    """Asked for empty sections, a unit with no records gets its level's sections, each
    saying so; not asked, it gets none (nothing invented either way)."""
    briefing = services.briefing_generate(
        acting_user=personas.street_b, org=tree.street_b, period=MARCH, include_empty=True
    )
    with translation.override("zh-hans"):
        sections = briefings.sections_of(briefing)
        texts = [briefings.paragraph_text(s) for s in sections]
    assert sections and all(not s.has_data for s in sections)
    assert all(t.startswith("本期暂无") for t in texts)
    assert all(f["trace"]["rows"] == 0 for f in briefing.figures)
    bare = services.briefing_generate(
        acting_user=personas.street_b, org=tree.street_b, period=MARCH
    )
    assert briefings.sections_of(bare) == [] and bare.figures == []
    assert not bare.sections.exists()


def test_figures_follow_the_author_scope(march, personas):
    """street_b holds no part of street A: a briefing on A is refused."""
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.briefing_generate(acting_user=personas.street_b, org=march.street_a, period=MARCH)


def test_docx_has_the_text_and_the_appendix(march, personas):
    with translation.override("zh-hans"):
        briefing = services.briefing_generate(
            acting_user=personas.district, org=march.district, period=MARCH
        )
        document = Document(io.BytesIO(briefing_docx(briefing)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "工作简报" in text and "开展各类活动2场" in text and "附：数据来源说明" in text
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells][:3] == ["序号", "数字", "简报所载"]
    assert len(table.rows) == 1 + len(briefing.figures)


def test_docx_writes_dates_the_chinese_way(march, personas):
    """The period and the date line read 2026年3月 and 2026年X月X日, never ISO dates."""
    with translation.override("zh-hans"):
        briefing = services.briefing_generate(
            acting_user=personas.district, org=march.district, period=MARCH
        )
        document = Document(io.BytesIO(briefing_docx(briefing)))
    text = "\n".join(p.text for p in document.paragraphs)
    made = timezone.localdate(briefing.created_at)
    assert "本期简报数据统计期间为2026年3月。" in text
    assert f"{made.year}年{made.month}月{made.day}日" in text
    assert "2026-03" not in text and made.isoformat() not in text


def test_pages(client, march, personas):
    client.login(username="street_a", password=PASSWORD)
    response = client.post(
        "/statistics/briefings/new/", {"org": march.street_a.pk, "period": "2026-03"}
    )
    briefing = Briefing.objects.get()
    assert response.status_code == 302 and response.url == f"/statistics/briefings/{briefing.pk}/"
    page = client.get(response.url).content.decode()
    assert (
        f"/statistics/figures/activities.count/?org={march.street_a.pk}&amp;period=2026-03" in page
    )
    docx = client.get(f"/statistics/briefings/{briefing.pk}/docx/")
    assert docx["Content-Type"].endswith("wordprocessingml.document")
    assert client.get(f"/statistics/briefings/{briefing.pk}/check/").status_code == 200

    bad = client.post("/statistics/briefings/new/", {"org": march.street_a.pk, "period": "2026-13"})
    assert bad.status_code == 422 and Briefing.objects.count() == 1

    client.login(username="street_b", password=PASSWORD)
    assert client.get(f"/statistics/briefings/{briefing.pk}/").status_code == 404
    assert client.get(f"/statistics/briefings/{briefing.pk}/docx/").status_code == 404
    outside = client.post(
        "/statistics/briefings/new/", {"org": march.street_a.pk, "period": "2026-03"}
    )
    assert outside.status_code == 422  # not a choice in street_b's form
    assert Briefing.objects.count() == 1


def test_the_generate_form_starts_at_the_viewers_top_and_this_month(client, tree, personas):
    """Opened from the list or its own address, the form is filled for this month's
    briefing of the clerk's organization, and only 工作简报 is lit in the menu."""
    client.login(username="street_a", password=PASSWORD)
    today = timezone.localdate()
    this_month = Period.month(today.year, today.month).key
    for url in ("/statistics/briefings/", "/statistics/briefings/new/"):
        response = client.get(url)
        form = response.context["form"]
        assert form["org"].value() == tree.street_a.pk
        assert form["period"].value() == this_month
        active = [item["url"] for item in response.context["nav_items"] if item["active"]]
        assert active == ["/statistics/briefings/"]


def test_issue_numbers_per_organization_and_year(march, personas):
    """第X期 counts per organization and year of the period: two orgs each start at 第1期,
    a second briefing of the year is 第2期, and the next year starts again at 第1期."""
    district, street = march.district, march.street_a
    first = issue(personas.district, district, MARCH)
    other = issue(personas.street_a, street, MARCH)
    services.briefing_generate(  # a draft takes no number
        acting_user=personas.district, org=district, period=Period.month(2026, 5)
    )
    second = issue(personas.district, district, Period.month(2026, 4))
    next_year = issue(personas.district, district, Period.month(2027, 1))
    assert (first.number, other.number, second.number, next_year.number) == (1, 1, 2, 1)
    assert (first.year, next_year.year) == (2026, 2027)
    event = AuditEvent.objects.filter(action="statistics.briefing_issue").last()
    assert event is not None and event.changes["number"] == [None, "2027-1"]
    with translation.override("zh-hans"):
        assert second.number_label == "第2期"
        text = "\n".join(p.text for p in Document(io.BytesIO(briefing_docx(second))).paragraphs)
    assert "第2期" in text


def test_page_shows_the_number_and_chinese_dates(client, march, personas):
    """The web page shows 第X期 and the period as 2026年3月."""
    briefing = issue(personas.street_a, march.street_a, MARCH)
    client.login(username="street_a", password=PASSWORD)
    page = client.get(f"/statistics/briefings/{briefing.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert "第1期" in text and "2026年3月" in text
    listing = client.get("/statistics/briefings/", HTTP_ACCEPT_LANGUAGE="zh-hans").content
    assert "第1期" in listing.decode()
