"""The sender behind notify(), the rules dictionary, endpoints and deliveries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.core.notify import notify
from taizhang.reminders import services
from taizhang.reminders.models import Delivery, DeliveryStatus, Message, ReminderRule
from taizhang.reminders.tests.factories import make_admin, make_endpoint
from taizhang.reminders.tests.receiver import dead_url, robot_receiver
from taizhang.workbench.selectors import todo_groups


def _rule(code: str) -> ReminderRule:
    row = services.rule_for(code)
    assert row is not None
    return row


def test_one_message_per_recipient(personas, tree):
    """notify() stores one message in each recipient's centre, nobody else's."""
    sent = notify(
        recipients=[personas.street_a, personas.district],
        rule="digest.daily",
        title="今日待办",
        url="/workbench/",
    )
    assert sent == 2
    assert sorted(Message.objects.values_list("recipient__username", flat=True)) == [
        "district",
        "street_a",
    ]
    assert not Message.objects.filter(recipient=personas.street_b).exists()


def test_a_rule_switched_off_sends_nothing(personas):
    row = _rule("digest.daily")
    services.reminder_rule_update(
        rule=row, enabled=False, days_before=None, to_webhook=True, acting_user=SYSTEM
    )
    assert notify(recipients=[personas.street_a], rule="digest.daily", title="x") == 0
    assert not Message.objects.exists()


def test_an_unknown_rule_goes_to_the_message_centre_only(
    personas, tree, django_capture_on_commit_callbacks
):
    """A code nobody registered is treated as on, in-app: no robot hears of it."""
    make_endpoint(tree.street_a)
    with django_capture_on_commit_callbacks(execute=True):
        sent = notify(
            recipients=[personas.street_a], rule="nobody.declared", title="x", org=tree.street_a
        )
    assert sent == 1
    assert not Delivery.objects.exists()
    assert not ReminderRule.objects.filter(code="nobody.declared").exists()


def test_no_personal_data_beyond_names(personas):
    """Mobile and ID numbers a caller let slip into a message are masked."""
    notify(
        recipients=[personas.street_a],
        rule="x.y",
        title="张大妈 13812345678 来电",
        body="身份证 110101199003071234，电话13912345678。",
    )
    message = Message.objects.get()
    assert "13812345678" not in message.title and "138****5678" in message.title
    assert "110101199003071234" not in message.body
    assert "13912345678" not in message.body
    assert "张大妈" in message.title


def test_rules_rows_exist_for_every_registered_rule(db):
    from taizhang.core.notify import RULES

    services.rules_ensure()
    assert set(RULES) <= set(ReminderRule.objects.values_list("code", flat=True))
    assert ReminderRule.objects.get(code="todo.due_soon").days_before == 2
    assert ReminderRule.objects.get(code="digest.daily").days_before is None


def test_rule_update_is_audited_and_needs_a_top_level_administrator(tree, personas):
    row = _rule("todo.due_soon")
    with pytest.raises(PermissionDenied):
        services.reminder_rule_update(
            rule=row, enabled=True, days_before=3, to_webhook=False, acting_user=personas.district
        )
    street_admin = make_admin("admin_a", tree.street_a)
    with pytest.raises(PermissionDenied):
        services.reminder_rule_update(
            rule=row, enabled=True, days_before=3, to_webhook=False, acting_user=street_admin
        )
    admin = make_admin("admin", tree.district)
    services.reminder_rule_update(
        rule=row, enabled=True, days_before=3, to_webhook=False, acting_user=admin
    )
    row.refresh_from_db()
    assert (row.days_before, row.to_webhook) == (3, False)
    event = AuditEvent.objects.filter(action="reminder_rule.update").get()
    assert event.changes["days_before"] == [2, 3]
    with pytest.raises(ValidationError):
        services.reminder_rule_update(
            rule=row, enabled=True, days_before=None, to_webhook=False, acting_user=admin
        )


def test_endpoint_is_scoped_and_its_secret_never_audited(tree):
    admin_a = make_admin("admin_a", tree.street_a)
    admin_b = make_admin("admin_b", tree.street_b)
    endpoint = services.webhook_endpoint_create(
        org=tree.street_a,
        kind="dingtalk",
        name="A 街道工作群",
        url="https://oapi.dingtalk.com/robot/send?access_token=tok123456789",
        secret="SEC0123456789abcdef",
        acting_user=admin_a,
    )
    event = AuditEvent.objects.get(action="webhook_endpoint.create")
    assert "SEC0123456789abcdef" not in str(event.changes)
    assert "tok123456789" not in str(event.changes)
    with pytest.raises(PermissionDenied):
        services.webhook_endpoint_update(endpoint=endpoint, name="x", acting_user=admin_b)
    with pytest.raises(PermissionDenied):
        services.webhook_endpoint_create(
            org=tree.street_a, kind="wecom", name="x", url="https://x.example/", acting_user=admin_b
        )
    services.webhook_endpoint_update(
        endpoint=endpoint, name="新名称", secret="", acting_user=admin_a
    )
    endpoint.refresh_from_db()
    assert endpoint.secret == "SEC0123456789abcdef"  # empty keeps the stored secret


def test_webhook_success_after_commit(personas, tree, django_capture_on_commit_callbacks):
    """The organization's robot receives the message once the write commits."""
    with robot_receiver() as robot:
        make_endpoint(tree.street_a, url=f"{robot.url}?key=k1234567890")
        with django_capture_on_commit_callbacks(execute=True):
            notify(
                recipients=[personas.street_a],
                rule="digest.daily",
                title="今日待办 3 项",
                org=tree.street_a,
            )
            assert robot.requests == []  # nothing leaves before the commit
    assert len(robot.requests) == 1
    assert "今日待办 3 项" in robot.requests[0].body["markdown"]["content"]
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)


def test_errcode_marks_the_delivery_for_retry(personas, tree, django_capture_on_commit_callbacks):
    with robot_receiver(answer={"errcode": 45009, "errmsg": "api freq out of limit"}) as robot:
        make_endpoint(tree.street_a, url=robot.url)
        with django_capture_on_commit_callbacks(execute=True):
            notify(
                recipients=[personas.street_a], rule="digest.daily", title="t", org=tree.street_a
            )
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert "45009" in delivery.last_error


def test_rule_without_robots_sends_in_app_only(personas, tree, django_capture_on_commit_callbacks):
    row = _rule("digest.daily")
    services.reminder_rule_update(
        rule=row, enabled=True, days_before=None, to_webhook=False, acting_user=SYSTEM
    )
    make_endpoint(tree.street_a)
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[personas.street_a], rule="digest.daily", title="t", org=tree.street_a)
    assert Message.objects.count() == 1
    assert not Delivery.objects.exists()


def test_receiver_down_never_blocks_the_write_retries_then_fails(
    personas, tree, django_capture_on_commit_callbacks
):
    """A robot nobody answers: the message is committed, the delivery is tried again after
    1, 5 and 30 minutes, then shows as failed; the administrator's retry starts again."""
    make_endpoint(tree.street_a, url=dead_url())
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[personas.street_a], rule="digest.daily", title="t", org=tree.street_a)
    assert Message.objects.count() == 1  # the write stands
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert "unreachable" in delivery.last_error
    first = delivery.next_attempt_at
    assert first is not None

    # Not yet due: nothing is attempted.
    assert services.deliveries_dispatch(now=first - dt.timedelta(seconds=1))["attempted"] == 0
    moment = first
    waits = []
    for _attempt in range(3):
        services.deliveries_dispatch(now=moment)
        delivery.refresh_from_db()
        if delivery.next_attempt_at:
            waits.append(round((delivery.next_attempt_at - moment).total_seconds() / 60))
            moment = delivery.next_attempt_at
    assert waits == [5, 30]
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 4)
    assert delivery.next_attempt_at is None

    # The failure is a to-do of the administrator of that street, and of no other.
    admin = make_admin("admin_a", tree.street_a)
    groups = {g.kind.name: g for g in todo_groups(viewer=admin)}
    assert groups["reminders.failed_deliveries"].count == 1
    assert groups["reminders.failed_deliveries"].items[0].url.endswith("?status=failed")
    other = {g.kind.name for g in todo_groups(viewer=make_admin("admin_c", tree.street_b))}
    assert "reminders.failed_deliveries" not in other
    # A fortnight on, it is no longer worth sending and leaves the list.
    Delivery.objects.filter(pk=delivery.pk).update(
        created_at=delivery.created_at - dt.timedelta(days=15)
    )
    assert "reminders.failed_deliveries" not in {g.kind.name for g in todo_groups(viewer=admin)}
    Delivery.objects.filter(pk=delivery.pk).update(created_at=delivery.created_at)
    with pytest.raises(PermissionDenied):
        services.delivery_retry(delivery=delivery, acting_user=make_admin("admin_b", tree.street_b))
    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_retry(delivery=delivery, acting_user=admin)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert AuditEvent.objects.filter(action="delivery.retry").count() == 1
    with pytest.raises(ValidationError):
        services.delivery_retry(delivery=delivery, acting_user=admin)


def test_mark_read_only_by_the_recipient(personas):
    notify(recipients=[personas.street_a], rule="x.y", title="t")
    message = Message.objects.get()
    with pytest.raises(PermissionDenied):
        services.message_mark_read(message=message, acting_user=personas.street_b)
    services.message_mark_read(message=message, acting_user=personas.street_a)
    message.refresh_from_db()
    assert message.read_at is not None


def test_mark_all_read_touches_only_mine(personas):
    notify(recipients=[personas.street_a, personas.street_b], rule="x.y", title="t")
    notify(recipients=[personas.street_a], rule="x.y", title="u")
    assert services.messages_mark_all_read(acting_user=personas.street_a) == 2
    assert Message.objects.filter(recipient=personas.street_b, read_at__isnull=True).count() == 1


def test_org_must_be_an_organization(personas):
    """An ``org`` that is not an organization row is ignored, never an error."""
    notify(recipients=[personas.street_a], rule="x.y", title="t", org="A")
    assert Message.objects.get().org is None
