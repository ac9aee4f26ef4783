"""Pages: my messages (only mine), the top bar's count, and the administrator's rules,
robots and deliveries, scoped to the organizations they configure."""

from __future__ import annotations

import pytest
from django.urls import reverse

from taizhang.core.models import AuditEvent
from taizhang.core.notify import notify
from taizhang.reminders.models import Delivery, DeliveryStatus, Message, ReminderRule
from taizhang.reminders.services import rule_for
from taizhang.reminders.tests.factories import make_admin, make_endpoint
from tests.support import PASSWORD


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _send(user, title="t", url="/workbench/"):
    notify(recipients=[user], rule="x.y", title=title, url=url)
    return Message.objects.filter(recipient=user).latest("pk")


def test_my_messages_unread_first_only_mine(client, personas, django_assert_max_num_queries):
    old = _send(personas.street_a, "已读的")
    old.read_at = old.created_at
    old.save()
    for n in range(25):
        _send(personas.street_a, f"消息{n}")
    _send(personas.street_b, "别人的")
    _login(client, personas.street_a)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("reminders:messages"))
    assert response.status_code == 200
    titles = [m.title for m in response.context["page"]]
    assert titles[0] == "消息24" and len(titles) == 20
    assert "别人的" not in response.content.decode()
    last = client.get(reverse("reminders:messages"), {"page": 2})
    assert [m.title for m in last.context["page"]][-1] == "已读的"


def test_opening_marks_read_and_goes_to_the_local_link(client, personas):
    message = _send(personas.street_a, url="/problems/1/")
    _login(client, personas.street_a)
    response = client.post(reverse("reminders:open", args=[message.pk]))
    assert response.status_code == 302 and response["Location"] == "/problems/1/"
    message.refresh_from_db()
    assert message.read_at is not None


@pytest.mark.parametrize(
    "url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil.example"]
)
def test_an_outside_link_is_never_followed(client, personas, url):
    message = _send(personas.street_a, url=url)
    _login(client, personas.street_a)
    response = client.post(reverse("reminders:open", args=[message.pk]))
    assert response["Location"] == reverse("reminders:messages")


def test_someone_elses_message_is_404(client, personas):
    """Whatever her grants, another person's message answers like a missing one."""
    message = _send(personas.street_a)
    _login(client, personas.district)
    for name in ("reminders:open", "reminders:read"):
        assert client.post(reverse(name, args=[message.pk])).status_code == 404
        assert client.post(reverse(name, args=[message.pk + 1000])).status_code == 404
    message.refresh_from_db()
    assert message.read_at is None


def test_opening_needs_a_post(client, personas):
    message = _send(personas.street_a)
    _login(client, personas.street_a)
    assert client.get(reverse("reminders:open", args=[message.pk])).status_code == 405


def test_count_is_cached_and_forgotten_when_read(client, personas):
    message = _send(personas.street_a)
    _send(personas.street_a)
    _login(client, personas.street_a)
    first = client.get(reverse("reminders:count"))
    assert "<b>2</b>" in first.content.decode()
    client.post(reverse("reminders:read", args=[message.pk]))
    assert "<b>1</b>" in client.get(reverse("reminders:count")).content.decode()
    client.post(reverse("reminders:read_all"))
    assert "<b>" not in client.get(reverse("reminders:count")).content.decode()


def test_top_bar_asks_for_the_count(client, personas, settings):
    _login(client, personas.street_a)
    assert reverse("reminders:count") in client.get("/").content.decode()
    settings.TAIZHANG_UNREAD_COUNT_IN_TOP_BAR = False
    assert reverse("reminders:count") not in client.get("/").content.decode()


def test_anonymous_is_sent_to_log_in(client, db):
    response = client.get(reverse("reminders:messages"))
    assert response.status_code in (302, 403)


def test_rules_page_for_the_site_administrator_only(client, tree, personas):
    rule = rule_for("todo.due_soon")
    assert rule is not None
    _login(client, personas.district)
    assert client.get(reverse("reminders:rules")).status_code == 403
    client.logout()
    _login(client, make_admin("admin_a", tree.street_a))
    assert client.get(reverse("reminders:rules")).status_code == 403
    client.logout()
    _login(client, make_admin("admin", tree.district))
    page = client.get(reverse("reminders:rules"))
    assert page.status_code == 200 and "todo.due_soon" in page.content.decode()
    response = client.post(
        reverse("reminders:rule_edit", args=[rule.pk]), {"enabled": "on", "days_before": "3"}
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.days_before, rule.to_webhook) == (3, False)
    assert AuditEvent.objects.filter(action="reminder_rule.update").count() == 1
    assert ReminderRule.objects.filter(code="digest.daily").exists()


def test_endpoints_masked_and_scoped(client, tree):
    make_endpoint(
        tree.street_a,
        kind="dingtalk",
        url="https://oapi.dingtalk.com/robot/send?access_token=tok0123456789",
        secret="SEC0123456789abcdef",
    )
    other = make_endpoint(tree.street_b)
    _login(client, make_admin("admin_a", tree.street_a))
    page = client.get(reverse("reminders:endpoints")).content.decode()
    assert "tok0****" in page and "SEC0****" in page
    assert "tok0123456789" not in page and "SEC0123456789abcdef" not in page
    assert "B 工作群" not in page
    assert client.get(reverse("reminders:endpoint_edit", args=[other.pk])).status_code == 404
    assert client.post(reverse("reminders:endpoint_delete", args=[other.pk])).status_code == 404


def test_endpoint_created_on_a_configurable_org_only(client, tree):
    _login(client, make_admin("admin_a", tree.street_a))
    data = {"org": tree.street_b.pk, "kind": "wecom", "name": "群", "url": "https://x.example/"}
    response = client.post(reverse("reminders:endpoint_create"), data)
    assert response.status_code == 200 and "org" in response.context["form"].errors
    data["org"] = tree.community_a.pk
    response = client.post(reverse("reminders:endpoint_create"), {**data, "enabled": "on"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="webhook_endpoint.create").count() == 1


def test_failed_deliveries_shown_to_their_administrator_with_retry(
    client, tree, django_assert_max_num_queries
):
    endpoint = make_endpoint(tree.street_a)
    for n in range(5):
        Delivery.objects.create(
            endpoint=endpoint,
            rule="x.y",
            title=f"失败{n}",
            status=DeliveryStatus.FAILED,
            attempts=4,
            last_error="unreachable: [Errno 111] Connection refused",
        )
    Delivery.objects.create(endpoint=make_endpoint(tree.street_b), rule="x.y", title="B的")
    _login(client, make_admin("admin_a", tree.street_a))
    with django_assert_max_num_queries(12):
        page = client.get(reverse("reminders:deliveries"))
    text = page.content.decode()
    assert "失败0" in text and "Connection refused" in text and "B的" not in text
    failed = Delivery.objects.filter(title="失败0").get()
    response = client.post(reverse("reminders:delivery_retry", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.PENDING
    hidden = Delivery.objects.get(title="B的")
    assert client.post(reverse("reminders:delivery_retry", args=[hidden.pk])).status_code == 404


def test_clerk_has_no_administrator_pages(client, personas):
    _login(client, personas.street_a)
    for name in ("reminders:endpoints", "reminders:deliveries", "reminders:endpoint_create"):
        assert client.get(reverse(name)).status_code == 403
