"""Notice pages: the lists, writing and publishing, the detail with its 确认收到
button, the receipt board and its reminder, attachments served only in scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from taizhang.notices.models import Notice, NoticeState
from taizhang.notices.tests.factories import make_notice, pdf, published
from tests.support import PASSWORD

pytestmark = pytest.mark.django_db


def _client(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def notice(tree, personas):
    return published(
        tree.district,
        units=[tree.street_a],
        ack_deadline=timezone.localdate() + dt.timedelta(days=3),
        attachments=[pdf()],
        acting_user=personas.district,
    )


def test_the_receiver_reads_and_acknowledges(client, tree, personas, notice):
    c = _client(client, personas.street_a)
    page = c.get("/notices/")
    assert page.status_code == 200
    assert notice.title in page.content.decode()
    detail = c.get(f"/notices/{notice.pk}/")
    assert detail.status_code == 200
    assert "请于月底前完成本年度台账整理。" in detail.content.decode()
    assert notice.targets.get().read_at is not None
    response = c.post(f"/notices/{notice.pk}/acknowledge/")
    assert response.status_code == 302
    assert notice.targets.get().acked_at is not None


def test_the_body_is_rendered_as_escaped_paragraphs(client, tree, personas):
    evil = published(
        tree.district,
        units=[tree.street_a],
        body="第一段<script>alert(1)</script>\n\n第二段",
        requires_ack=False,
    )
    html = _client(client, personas.street_a).get(f"/notices/{evil.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert "<p>第二段</p>" in html


def test_the_neighbour_gets_404_everywhere(client, tree, personas, notice):
    c = _client(client, personas.street_b)
    attachment = notice.attachments.get()
    for url in (
        f"/notices/{notice.pk}/",
        f"/notices/{notice.pk}/board/",
        f"/notices/{notice.pk}/attachments/{attachment.pk}/",
    ):
        assert c.get(url).status_code == 404, url
    assert c.post(f"/notices/{notice.pk}/acknowledge/").status_code == 404
    assert notice.title not in c.get("/notices/").content.decode()
    assert notice.title not in c.get("/notices/?tab=published").content.decode()
    assert notice.title not in c.get("/").content.decode()


def test_the_attachment_is_served_in_scope(client, tree, personas, notice):
    attachment = notice.attachments.get()
    response = _client(client, personas.street_a).get(
        f"/notices/{notice.pk}/attachments/{attachment.pk}/"
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    # An attachment id of another notice is not found through this one.
    other = published(tree.district, units=[tree.street_a], attachments=[pdf("b.pdf")])
    wrong = other.attachments.get()
    assert client.get(f"/notices/{notice.pk}/attachments/{wrong.pk}/").status_code == 404


def test_the_publisher_writes_and_publishes(client, tree, personas, sent):
    c = _client(client, personas.street_a)
    assert c.get("/notices/new/").status_code == 200
    response = c.post(
        "/notices/new/",
        {
            "org": tree.street_a.code,
            "org_id": str(tree.street_a.pk),
            "title": "关于开展消防安全排查的通知",
            "body": "各社区：\n\n请于本周内完成排查。",
            "audience": "subtree",
            "levels": "1",
            "requires_ack": "on",
            "ack_deadline": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
            "attachments": [pdf("排查表.pdf")],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    notice = Notice.objects.get(title="关于开展消防安全排查的通知")
    assert notice.state == NoticeState.DRAFT and notice.attachments.count() == 1
    assert c.get(f"/notices/{notice.pk}/edit/").status_code == 200
    assert c.post(f"/notices/{notice.pk}/publish/").status_code == 302
    notice.refresh_from_db()
    assert notice.state == NoticeState.PUBLISHED
    assert list(notice.targets.values_list("org__code", flat=True)) == ["A1"]


def test_choosing_the_neighbours_unit_is_not_offered(client, tree, personas):
    c = _client(client, personas.street_a)
    response = c.post(
        "/notices/new/",
        {
            "org": tree.street_a.code,
            "org_id": str(tree.street_a.pk),
            "title": "越权通知",
            "body": "正文",
            "audience": "chosen",
            "chosen_units": [str(tree.community_b.pk)],
        },
    )
    assert response.status_code == 200
    assert not Notice.objects.filter(title="越权通知").exists()


def test_a_receiver_cannot_publish_for_the_publisher(client, tree, personas):
    draft = make_notice(tree.district, acting_user=personas.district)
    c = _client(client, personas.street_a)
    assert c.get(f"/notices/{draft.pk}/").status_code == 404
    assert c.post(f"/notices/{draft.pk}/publish/").status_code == 404


def test_the_board_and_its_reminder(
    client, tree, personas, notice, sent, django_assert_max_num_queries
):
    c = _client(client, personas.district)
    page = c.get(f"/notices/{notice.pk}/board/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-count="acked">0/1<' in html
    assert 'data-count="read">0/1<' in html
    response = c.post(f"/notices/{notice.pk}/remind/")
    assert response.status_code == 302
    assert sent.recipients("notices.ack_due") == {"street_a"}
    # A receiver sees no board.
    assert _client(client, personas.street_a).get(f"/notices/{notice.pk}/board/").status_code == 403


def test_the_board_page_costs_a_fixed_number_of_queries(
    client, tree, personas, django_assert_max_num_queries
):
    notice = published(tree.district, levels=3, acting_user=personas.district)
    c = _client(client, personas.district)
    c.get(f"/notices/{notice.pk}/board/")
    with django_assert_max_num_queries(12):
        assert c.get(f"/notices/{notice.pk}/board/").status_code == 200


def test_the_home_page_shows_unread_notices(client, tree, personas, notice):
    html = _client(client, personas.street_a).get("/").content.decode()
    assert notice.title in html
    assert f"/notices/{notice.pk}/" in html
