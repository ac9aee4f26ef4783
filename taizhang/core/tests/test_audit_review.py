"""The audit administrator's review (三员分立): what the other administrators did,
personal data revealed, exports and refused actions are her to-do until she marks them
read; ordinary ledger work and her own actions are not."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from taizhang.accounts.models import ScopeKind
from taizhang.accounts.services import grant_create
from taizhang.core.actors import SYSTEM
from taizhang.core.audit import audit_record
from taizhang.core.audit_review import audit_review_mark, events_to_review, reviewed_up_to
from taizhang.core.models import AuditEvent, AuditOutcome, AuditReview
from taizhang.core.registry import AUDIT_REVIEW, register_audit_review
from taizhang.workbench.selectors import todo_groups
from tests.support import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def _event(actor, action, outcome=AuditOutcome.SUCCESS):
    return audit_record(actor=actor, action=action, object_repr="x", outcome=outcome)


def _actions(viewer):
    return [e.action for e in events_to_review(viewer)]


def test_the_registered_actions_and_refusals_are_to_review(tree, personas):
    before = AuditEvent.objects.count()
    grant_create(
        user=personas.nobody,
        role="viewer",
        scope_kind=ScopeKind.ORG,
        organization=tree.street_a,
        acting_user=SYSTEM,
    )
    _event(personas.district, "person.reveal")
    _event(personas.district, "problems.export")
    _event(personas.district, "activity.create")  # ordinary ledger work
    _event(personas.street_a, "problem.verify", outcome=AuditOutcome.DENIED)
    _event(personas.auditor, "person.reveal")  # her own
    actions = _actions(personas.auditor)
    assert "grant.create" in actions
    assert actions[-3:] == ["person.reveal", "problems.export", "problem.verify"]
    assert "activity.create" not in actions
    assert all(e.actor_id != personas.auditor.pk for e in events_to_review(personas.auditor))
    assert AuditEvent.objects.count() == before + 6


def test_nobody_else_has_events_to_review(tree, personas):
    _event(personas.district, "person.reveal")
    for viewer in (personas.district, personas.street_a, personas.nobody):
        assert list(events_to_review(viewer)) == []


def test_the_modules_register_their_administrative_actions():
    for pattern in ("grant.*", "user.*", "organization.*", "reminder_rule.*", "*.reveal"):
        assert pattern in AUDIT_REVIEW
    with pytest.raises(ValueError, match="prefix"):
        register_audit_review("grant", "bad")


def test_marking_read_clears_the_list_and_is_audited(tree, personas):
    _event(personas.district, "person.reveal")
    last = _event(personas.district, "problems.export")
    assert len(_actions(personas.auditor)) >= 2
    mark = audit_review_mark(acting_user=personas.auditor, up_to=last.pk)
    assert reviewed_up_to(personas.auditor) == last.pk
    event = AuditEvent.objects.get(action="audit.review")
    assert event.actor == personas.auditor and event.object_id == str(mark.pk)
    assert event.changes["up_to"] == [0, last.pk] and event.changes["events"][1] >= 2
    assert _actions(personas.auditor) == []
    # What happens after the mark is on the list again.
    _event(personas.district, "user.unlock")
    assert _actions(personas.auditor) == ["user.unlock"]


def test_marking_is_the_auditors_and_goes_forward_only(tree, personas):
    last = _event(personas.district, "person.reveal")
    with pytest.raises(PermissionDenied):
        audit_review_mark(acting_user=personas.district, up_to=last.pk)
    with pytest.raises(PermissionDenied):
        audit_review_mark(acting_user=SYSTEM, up_to=last.pk)
    with pytest.raises(ValidationError):
        audit_review_mark(acting_user=personas.auditor, up_to=last.pk + 1000)
    audit_review_mark(acting_user=personas.auditor, up_to=last.pk)
    with pytest.raises(ValidationError):
        audit_review_mark(acting_user=personas.auditor, up_to=last.pk)
    assert AuditReview.objects.count() == 1


def test_each_auditor_keeps_her_own_mark(tree, personas):
    other = make_user("auditor2", ("audit_admin", ScopeKind.SUBTREE, tree.district))
    last = _event(personas.district, "person.reveal")
    audit_review_mark(acting_user=personas.auditor, up_to=last.pk)
    assert _actions(personas.auditor) == []
    assert "person.reveal" in _actions(other)


def test_the_auditors_workbench_lists_them(tree, personas):
    _event(personas.district, "person.reveal")
    groups = {g.kind.name: g for g in todo_groups(viewer=personas.auditor)}
    group = groups["core.audit_to_review"]
    assert group.count == len(_actions(personas.auditor))
    assert group.items[-1].url == "/audit/?review=1" or group.items[0].url == "/audit/?review=1"
    assert "core.audit_to_review" not in {
        g.kind.name for g in todo_groups(viewer=personas.district)
    }


def test_the_review_page_lists_and_marks(client, tree, personas):
    _event(personas.district, "person.reveal")
    _event(personas.district, "activity.create")
    client.login(username="auditor", password=PASSWORD)
    page = client.get("/audit/?review=1", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert page.status_code == 200
    assert "person.reveal" in text and "activity.create" not in text
    up_to = page.context["review_up_to"]
    assert up_to == events_to_review(personas.auditor).order_by("-pk").first().pk
    response = client.post("/audit/review/", {"up_to": up_to})
    assert response.status_code == 302 and response["Location"] == "/audit/?review=1"
    text = client.get("/audit/?review=1", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "person.reveal" not in text.split("<tbody>")[1]
    # A repeated press says so instead of failing.
    response = client.post("/audit/review/", {"up_to": up_to}, follow=True)
    assert "已标为已读" in response.content.decode()
    # Only the auditor reaches the page or the mark.
    client.login(username="district", password=PASSWORD)
    assert client.get("/audit/?review=1").status_code == 403
    assert client.post("/audit/review/", {"up_to": up_to}).status_code == 403


def test_an_event_is_named_in_its_modules_words(tree, personas):
    from django.utils import translation

    from taizhang.core.audit_review import kind_of

    with translation.override("zh-hans"):
        assert kind_of(_event(personas.district, "person.reveal")) == "查看个人信息明文"
        refused = _event(personas.street_a, "grant.create", outcome=AuditOutcome.DENIED)
        assert kind_of(refused) == "授权（拒绝）"
        assert kind_of(_event(personas.street_a, "login.form", AuditOutcome.FAILURE)).startswith(
            "login.form"
        )
