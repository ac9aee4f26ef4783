"""Person writes are scoped and audited; personal data never enters the trail in clear."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.people.models import Position, PositionTitle
from taizhang.people.services import (
    person_create,
    person_import,
    person_reveal,
    person_update,
    position_assign,
    position_end,
)
from taizhang.people.tests.factories import make_person

pytestmark = pytest.mark.django_db


def test_create_is_audited_without_personal_data(tree, personas):
    """The audit event says the mobile number was set, not what it is."""
    person_create(
        organization=tree.community_a,
        name="李华",
        gender="F",
        mobile="13900001111",
        id_number="990102198505051234",
        acting_user=personas.street_a,
    )
    event = AuditEvent.objects.get(action="person.create")
    assert "13900001111" not in str(event.changes)
    assert event.changes["mobile"] == ["", "***"]
    assert event.changes["name"] == [None, "李华"]


def test_writes_outside_scope_refused(tree, personas):
    """street_a cannot record a person in B, nor move one of hers there."""
    with pytest.raises(PermissionDenied):
        person_create(
            organization=tree.community_b, name="x", gender="M", acting_user=personas.street_a
        )
    person = make_person(tree.community_a)
    with pytest.raises(PermissionDenied):
        person_update(person=person, organization=tree.community_b, acting_user=personas.street_a)


def test_several_positions_at_once(tree):
    """One person may be secretary and director at the same time."""
    person = make_person(tree.community_a, title=PositionTitle.SECRETARY)
    position_assign(
        person=person,
        organization=tree.community_a,
        title=PositionTitle.DIRECTOR,
        start_date=dt.date(2022, 1, 1),
        acting_user=SYSTEM,
    )
    assert Position.objects.filter(person=person, end_date__isnull=True).count() == 2


def test_position_end_before_start_refused(tree):
    """A position cannot end before it began."""
    person = make_person(tree.community_a, title=PositionTitle.GRID_WORKER)
    position = person.positions.get()
    with pytest.raises(ValidationError):
        position_end(position=position, end_date=dt.date(2000, 1, 1), acting_user=SYSTEM)


def test_reveal_is_audited_and_refused_without_the_right(tree, personas):
    """The personnel officer sees the number (audited); a clerk is refused (audited too)."""
    person = make_person(tree.community_a)
    assert person_reveal(person=person, acting_user=personas.personnel) == {
        "mobile": "13812345678",
        "id_number": "990102199001011234",
    }
    assert person_reveal(person=person, acting_user=personas.street_a) is None
    outcomes = list(
        AuditEvent.objects.filter(action="person.reveal").values_list("outcome", flat=True)
    )
    assert outcomes == ["success", "denied"]


def test_import_is_all_or_nothing(tree):
    """One bad row means no person is written."""
    rows = [
        {"organization": tree.community_a, "name": "甲", "gender": "M"},
        {"organization": tree.community_a, "name": "乙", "gender": "X"},
    ]
    with pytest.raises(ValidationError):
        person_import(persons=rows, source="test", acting_user=SYSTEM)
    assert not AuditEvent.objects.filter(action="person.import").exists()
    rows[1]["gender"] = "F"
    created = person_import(persons=rows, source="test", acting_user=SYSTEM)
    assert len(created) == 2
    assert AuditEvent.objects.get(action="person.import").changes["persons"] == [None, 2]


def _latest() -> AuditEvent:
    return AuditEvent.objects.order_by("-pk").first()


def test_update_is_audited_without_personal_data(tree, personas):
    """person_update records one person.update event with the masked diff."""
    person = make_person(tree.community_a, "周一")
    person_update(person=person, name="周一一", mobile="13900002222", acting_user=personas.street_a)
    event = _latest()
    assert event.action == "person.update" and event.actor_id == personas.street_a.pk
    assert event.changes["name"] == ["周一", "周一一"]
    assert event.changes["mobile"] == ["***", "***"]
    assert "13900002222" not in str(event.changes)


def test_every_person_service_audits_by_name(tree, personas):
    """Each write names its own audit action."""
    actor = personas.street_a
    person = person_create(
        organization=tree.community_a, name="吴二", gender="M", acting_user=actor
    )
    assert _latest().action == "person.create"
    from taizhang.people.services import membership_set

    membership_set(
        person=person,
        branch=tree.community_a,
        joined_on=dt.date(2015, 7, 1),
        status="full",
        acting_user=actor,
    )
    assert _latest().action == "membership.set"
    position = position_assign(
        person=person,
        organization=tree.grid_a,
        title=PositionTitle.GRID_WORKER,
        start_date=dt.date(2022, 1, 1),
        acting_user=actor,
    )
    assert _latest().action == "position.assign"
    position_end(position=position, end_date=dt.date(2023, 1, 1), acting_user=actor)
    assert _latest().action == "position.end"
    person_reveal(person=person, acting_user=personas.personnel)
    assert _latest().action == "person.reveal"
    person_import(
        persons=[{"organization": tree.grid_a, "name": "郑三", "gender": "F"}],
        source="名册.xlsx",
        acting_user=actor,
    )
    assert _latest().action == "person.import"


def test_other_writes_outside_scope_refused(tree, personas):
    """Positions, memberships and imports in B are refused for street_a."""
    mine = make_person(tree.community_a)
    theirs = make_person(tree.community_b, "李四")
    with pytest.raises(PermissionDenied):
        position_assign(
            person=mine,
            organization=tree.community_b,
            title=PositionTitle.CLERK,
            start_date=dt.date(2022, 1, 1),
            acting_user=personas.street_a,
        )
    with pytest.raises(PermissionDenied):
        position_assign(
            person=theirs,
            organization=tree.community_a,
            title=PositionTitle.CLERK,
            start_date=dt.date(2022, 1, 1),
            acting_user=personas.street_a,
        )
    with pytest.raises(PermissionDenied):
        person_import(
            persons=[{"organization": tree.community_b, "name": "x", "gender": "M"}],
            source="x",
            acting_user=personas.street_a,
        )
    with pytest.raises(PermissionDenied):
        person_update(person=theirs, name="y", acting_user=personas.street_a)
    with pytest.raises(TypeError):
        person_update(person=mine, name="y", acting_user=None)


# --- external persons ----------------------------------------------------------------


def test_external_person_is_kept_by_the_recording_organization(tree, personas):
    """A lecturer from another unit: recorded by A1, seen by A, hidden from B, masked
    for the clerk, and the flags are audited."""
    from taizhang.people.permissions import PERSON, can_view_personal

    lecturer = person_create(
        organization=tree.community_a,
        name="孙教授",
        gender="M",
        mobile="13911112222",
        is_external=True,
        affiliation=" 市委党校 ",
        acting_user=personas.street_a,
    )
    assert lecturer.is_external and lecturer.affiliation == "市委党校"
    event = _latest()
    assert event.action == "person.create"
    assert event.changes["is_external"] == [None, True]
    assert event.changes["affiliation"] == [None, "市委党校"]
    assert PERSON.covers(personas.street_a, lecturer)
    assert not PERSON.covers(personas.street_b, lecturer)
    assert not can_view_personal(personas.street_a, lecturer)
    assert can_view_personal(personas.personnel, lecturer)
    with pytest.raises(PermissionDenied):
        person_create(
            organization=tree.community_b,
            name="x",
            gender="F",
            is_external=True,
            affiliation="外区",
            acting_user=personas.street_a,
        )
    person_update(person=lecturer, is_external=False, affiliation="", acting_user=personas.street_a)
    assert _latest().changes["is_external"] == [True, False]


# --- 任免 and 调动 -------------------------------------------------------------------


def _viewer_a(tree):
    """A leader of A: sees A's people, keeps no register (no people.manage)."""
    from taizhang.accounts.models import ScopeKind
    from tests.support import make_user

    return make_user("leader_a", ("leader", ScopeKind.SUBTREE, tree.street_a))


def test_appoint_allowed_in_a_refused_in_b_and_without_manage(tree, personas):
    """street_a appoints in A (audited ``position.assign`` with the document number);
    she cannot appoint in B, nor can a leader of A without people.manage."""
    person = make_person(tree.community_a)
    position = position_assign(
        person=person,
        organization=tree.community_a,
        title=PositionTitle.SECRETARY,
        start_date=dt.date(2024, 1, 1),
        document_number="A委〔2024〕3号",
        acting_user=personas.street_a,
    )
    event = AuditEvent.objects.filter(action="position.assign").latest("pk")
    assert event.object_id == str(position.pk)
    assert event.changes["document_number"] == [None, "A委〔2024〕3号"]
    with pytest.raises(PermissionDenied):
        position_assign(
            person=person,
            organization=tree.community_b,
            title=PositionTitle.DIRECTOR,
            start_date=dt.date(2024, 1, 1),
            acting_user=personas.street_a,
        )
    with pytest.raises(PermissionDenied):
        position_assign(
            person=person,
            organization=tree.community_a,
            title=PositionTitle.DIRECTOR,
            start_date=dt.date(2024, 1, 1),
            acting_user=_viewer_a(tree),
        )
    assert person.positions.count() == 1


def test_concurrent_positions_in_several_units_but_not_the_same_title_twice(tree, personas):
    """Secretary of A1 and committee member of A at once is fine; a second secretary
    term in A1 overlapping the first is refused, one after it ended is allowed."""
    person = make_person(tree.community_a, title=PositionTitle.SECRETARY)  # from 2021-01-01
    position_assign(
        person=person,
        organization=tree.street_a,
        title=PositionTitle.COMMITTEE_MEMBER,
        start_date=dt.date(2022, 1, 1),
        acting_user=personas.street_a,
    )
    with pytest.raises(ValidationError):
        position_assign(
            person=person,
            organization=tree.community_a,
            title=PositionTitle.SECRETARY,
            start_date=dt.date(2023, 1, 1),
            acting_user=personas.street_a,
        )
    first = person.positions.get(organization=tree.community_a)
    position_end(position=first, end_date=dt.date(2023, 12, 31), acting_user=personas.street_a)
    position_assign(
        person=person,
        organization=tree.community_a,
        title=PositionTitle.SECRETARY,
        start_date=dt.date(2024, 1, 1),
        acting_user=personas.street_a,
    )
    assert person.positions.count() == 3


def test_end_position_scoped_and_audited(tree, personas):
    """Ending records the date and reason (``position.end``); street_b and a clerk
    without people.manage are refused; an ended position cannot end again."""
    person = make_person(tree.community_a, title=PositionTitle.DIRECTOR)
    position = person.positions.get()
    with pytest.raises(PermissionDenied):
        position_end(position=position, end_date=dt.date(2024, 1, 1), acting_user=personas.street_b)
    with pytest.raises(PermissionDenied):
        position_end(position=position, end_date=dt.date(2024, 1, 1), acting_user=_viewer_a(tree))
    position_end(
        position=position,
        end_date=dt.date(2024, 6, 30),
        reason="换届",
        acting_user=personas.street_a,
    )
    position.refresh_from_db()
    assert (position.end_date, position.end_reason) == (dt.date(2024, 6, 30), "换届")
    event = AuditEvent.objects.filter(action="position.end").latest("pk")
    assert event.changes["end_reason"] == ["", "换届"]
    with pytest.raises(ValidationError):
        position_end(position=position, end_date=dt.date(2024, 7, 1), acting_user=personas.street_a)


def test_transfer_within_scope_ends_old_positions_and_keeps_history(tree, personas):
    """street_a moves a person from A1 to A: the A1 positions end the day before, the
    transfer is kept and audited as ``person.transfer``."""
    from taizhang.people.services import person_transfer

    person = make_person(tree.community_a, title=PositionTitle.SECRETARY)
    transfer = person_transfer(
        person=person,
        organization=tree.street_a,
        transferred_on=dt.date(2025, 3, 1),
        reason="工作需要",
        end_positions=True,
        acting_user=personas.street_a,
    )
    person.refresh_from_db()
    assert person.organization == tree.street_a
    old = person.positions.get()
    assert old.end_date == dt.date(2025, 2, 28)
    assert (transfer.from_org, transfer.to_org) == (tree.community_a, tree.street_a)
    event = AuditEvent.objects.filter(action="person.transfer").latest("pk")
    assert event.changes["organization"] == [tree.community_a.pk, tree.street_a.pk]
    assert event.changes["positions_ended"] == [None, [old.pk]]


def test_transfer_needs_manage_on_both_ends(tree, personas):
    """street_a cannot send her person to B, nor take B's; a leader of A moves nobody;
    the district clerk, who keeps both, may; positions stay open unless asked."""
    from taizhang.people.services import person_transfer

    mine = make_person(tree.community_a, title=PositionTitle.SECRETARY)
    theirs = make_person(tree.community_b, "赵六")
    for person, actor in (
        (mine, personas.street_a),
        (theirs, personas.street_a),
        (mine, _viewer_a(tree)),
    ):
        with pytest.raises(PermissionDenied):
            person_transfer(
                person=person,
                organization=tree.community_b if person is mine else tree.community_a,
                transferred_on=dt.date(2025, 3, 1),
                acting_user=actor,
            )
    person_transfer(
        person=mine,
        organization=tree.community_b,
        transferred_on=dt.date(2025, 3, 1),
        acting_user=personas.district,
    )
    mine.refresh_from_db()
    assert mine.organization == tree.community_b
    assert mine.positions.get().end_date is None
    assert not AuditEvent.objects.filter(action="person.transfer", actor=personas.street_a).exists()
