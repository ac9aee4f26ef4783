"""Notice services: drafts, publication to the right units, reading, acknowledging,
reminding; each audited (reading aside) and scoped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from taizhang.accounts.models import ScopeKind
from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.notices import services
from taizhang.notices.models import Audience, NoticeReceipt, NoticeState
from taizhang.notices.tests.factories import make_notice, pdf, published, staff
from tests.support import make_org

pytestmark = pytest.mark.django_db


def _actions(notice):
    return list(
        AuditEvent.objects.filter(object_id=str(notice.pk), action__startswith="notice.")
        .order_by("pk")
        .values_list("action", flat=True)
    )


def test_a_draft_is_created_and_audited(tree, personas):
    """A draft of the clerk's own unit, with its attachment, leaves one audit event."""
    notice = make_notice(tree.street_a, attachments=[pdf()], acting_user=personas.street_a)
    assert notice.state == NoticeState.DRAFT
    assert notice.targets.count() == 0
    assert notice.attachments.get().original_name == "通知.pdf"
    assert _actions(notice) == ["notice.create"]


def test_a_draft_of_the_neighbours_unit_is_refused(tree, personas):
    with pytest.raises(PermissionDenied):
        make_notice(tree.street_b, acting_user=personas.street_a)


def test_choosing_a_unit_outside_the_publishing_scope_is_refused(tree, personas):
    """Street A may not send its notice to a community of street B."""
    with pytest.raises(PermissionDenied):
        make_notice(
            tree.street_a,
            audience=Audience.CHOSEN,
            chosen_units=[tree.community_b],
            acting_user=personas.street_a,
        )


def test_a_deadline_without_acknowledgement_is_refused(tree):
    with pytest.raises(ValidationError) as error:
        make_notice(tree.street_a, ack_deadline=timezone.localdate())
    assert "ack_deadline" in error.value.message_dict


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("evil.exe", b"MZ", "only PDF"),
        ("fake.pdf", b"\x89PNG\r\n\x1a\n", "does not look like"),
    ],
)
def test_attachments_are_checked(tree, name, content, message):
    """Only the accepted types, whose content matches the extension."""
    with pytest.raises(ValidationError) as error:
        make_notice(tree.street_a, attachments=[SimpleUploadedFile(name, content)])
    assert message in str(error.value)


def test_an_attachment_over_the_upload_limit_is_refused(tree, settings):
    settings.TAIZHANG_UPLOAD_MAX_BYTES = 16
    with pytest.raises(ValidationError) as error:
        make_notice(tree.street_a, attachments=[pdf()])
    assert "larger than" in str(error.value)


def test_publishing_to_the_subtree_resolves_the_units_levels_down(tree, personas):
    """One level below the district: its streets; two levels: their communities too.
    Grids and buildings are left out of a subtree notice."""
    grid = make_org(tree.community_a, "A1W", "grid")
    one = published(tree.district, acting_user=personas.district)
    assert set(one.targets.values_list("org__code", flat=True)) == {"A", "B"}
    three = published(tree.district, levels=3, acting_user=personas.district)
    codes = set(three.targets.values_list("org__code", flat=True))
    assert codes == {"A", "B", "A1", "B1", "A1G"}
    assert grid.code not in codes
    assert three.published_at is not None
    assert _actions(three) == ["notice.create", "notice.publish"]


def test_publication_tells_the_staff_at_each_unit(tree, personas, sent):
    """The staff at each receiving unit hear of it, once each; the district clerk (a
    subtree grant above them) and the neighbours' communities do not."""
    secretary_a1 = staff("sec_a1", tree.community_a, "secretary", ScopeKind.ORG)
    notice = published(
        tree.district, units=[tree.street_a, tree.community_a], acting_user=personas.district
    )
    assert sent.recipients("notices.published") == {"street_a", "sec_a1"}
    orgs = {n.org.code for n, _users in sent.calls}
    assert orgs == {"A", "A1"}
    assert all(n.url == f"/notices/{notice.pk}/" and n.source == notice for n, _u in sent.calls)
    assert secretary_a1.username in sent.recipients("notices.published")


def test_only_a_draft_is_published(tree):
    notice = published(tree.district, units=[tree.street_a])
    with pytest.raises(ValidationError):
        services.notice_publish(notice=notice, acting_user=SYSTEM)


def test_nobody_to_receive_is_refused(tree):
    notice = make_notice(tree.grid_a)
    with pytest.raises(ValidationError):
        services.notice_publish(notice=notice, acting_user=SYSTEM)


def test_reading_records_the_unit_once_and_is_not_audited(tree, personas):
    notice = published(tree.district, units=[tree.street_a, tree.street_b])
    before = AuditEvent.objects.count()
    assert services.notice_read(notice=notice, viewer=personas.street_a) is True
    assert services.notice_read(notice=notice, viewer=personas.street_a) is False
    target = notice.targets.get(org=tree.street_a)
    assert target.read_at is not None and target.acked_at is None
    assert notice.targets.get(org=tree.street_b).read_at is None
    assert NoticeReceipt.objects.filter(notice=notice).count() == 1
    assert AuditEvent.objects.count() == before


def test_reading_from_above_records_nothing(tree, personas):
    """The district clerk reading her own notice is no receiving unit's reading."""
    notice = published(tree.district, units=[tree.street_a])
    assert services.notice_read(notice=notice, viewer=personas.district) is False
    assert notice.targets.get().read_at is None


def test_acknowledging_marks_the_unit_and_is_audited(tree, personas):
    notice = published(tree.district, units=[tree.street_a, tree.street_b])
    [target] = services.notice_acknowledge(notice=notice, acting_user=personas.street_a)
    target.refresh_from_db()
    assert target.org == tree.street_a
    assert target.acked_at is not None and target.read_at is not None
    assert target.acked_by == personas.street_a
    assert _actions(notice)[-1] == "notice.acknowledge"
    with pytest.raises(ValidationError):
        services.notice_acknowledge(notice=notice, acting_user=personas.street_a)


def test_acknowledging_keeps_the_first_reading(tree, personas):
    notice = published(tree.district, units=[tree.street_a])
    first = timezone.now() - dt.timedelta(hours=3)
    services.notice_read(notice=notice, viewer=personas.street_a, when=first)
    services.notice_acknowledge(notice=notice, acting_user=personas.street_a)
    target = notice.targets.get()
    assert target.read_at == first
    assert target.acked_at > first


def test_the_neighbour_cannot_acknowledge(tree, personas):
    """Street B neither sees nor answers a notice sent to street A."""
    notice = published(tree.district, units=[tree.street_a])
    with pytest.raises(PermissionDenied):
        services.notice_acknowledge(notice=notice, acting_user=personas.street_b)


def test_a_notice_without_acknowledgement_takes_none(tree, personas):
    notice = published(tree.district, units=[tree.street_a], requires_ack=False)
    with pytest.raises(ValidationError):
        services.notice_acknowledge(notice=notice, acting_user=personas.street_a)


def test_withdrawing_stops_acknowledgements(tree, personas):
    notice = published(tree.district, units=[tree.street_a], acting_user=personas.district)
    services.notice_withdraw(notice=notice, acting_user=personas.district)
    notice.refresh_from_db()
    assert notice.state == NoticeState.WITHDRAWN
    with pytest.raises(ValidationError):
        services.notice_acknowledge(notice=notice, acting_user=personas.street_a)
    with pytest.raises(PermissionDenied):
        services.notice_withdraw(notice=notice, acting_user=personas.street_a)


def test_reminding_tells_only_the_units_not_acknowledged_once_a_day(tree, personas, sent):
    notice = published(
        tree.district,
        units=[tree.street_a, tree.street_b],
        ack_deadline=timezone.localdate() + dt.timedelta(days=2),
        acting_user=personas.district,
    )
    services.notice_acknowledge(notice=notice, acting_user=personas.street_a)
    sent.calls.clear()
    told = services.notice_remind(notice=notice, acting_user=personas.district)
    assert told == 1
    assert sent.recipients("notices.ack_due") == {"street_b"}
    assert _actions(notice)[-1] == "notice.remind"
    with pytest.raises(ValidationError) as error:
        services.notice_remind(notice=notice, acting_user=personas.district)
    assert "today already" in str(error.value)


def test_reminding_is_the_publishers_business(tree, personas):
    notice = published(tree.district, units=[tree.street_a])
    with pytest.raises(PermissionDenied):
        services.notice_remind(notice=notice, acting_user=personas.street_a)


def test_only_a_draft_is_edited(tree, personas):
    notice = make_notice(tree.street_a, acting_user=personas.street_a)
    services.notice_update(
        notice=notice,
        changes={"title": "关于调整会议时间的通知", "requires_ack": True},
        attachments=[pdf("议程.pdf")],
        acting_user=personas.street_a,
    )
    notice.refresh_from_db()
    assert notice.title == "关于调整会议时间的通知" and notice.requires_ack
    assert notice.attachments.count() == 1
    services.notice_publish(notice=notice, acting_user=personas.street_a)
    with pytest.raises(ValidationError):
        services.notice_update(notice=notice, changes={"title": "x"}, acting_user=personas.street_a)
