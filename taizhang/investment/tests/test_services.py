"""Writes for investment attraction: stages, signings, conversion, competitions, subsidies."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.investment.models import EventKind, LeadStage, Source
from taizhang.investment.services import (
    competition_create,
    event_create,
    lead_advance,
    lead_convert_to_project,
    lead_create,
    lead_mark_lost,
    lead_update,
    subsidy_create,
    team_create,
)
from taizhang.investment.tests.factories import days_ago, make_lead, subsidy_policy
from taizhang.projects.models import Stage

pytestmark = pytest.mark.django_db


def test_create_is_scoped_and_audited(tree, personas):
    """A's clerk records a lead on A (one audit event); B's clerk may not."""
    before = AuditEvent.objects.count()
    lead = lead_create(
        org=tree.street_a,
        enterprise="澜湾新能科技",
        project_name="储能电池项目",
        sector="新能源",
        source=Source.RESIDENT,
        amount=340_000_000,
        acting_user=personas.street_a,
    )
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.latest("id").action == "lead.create"
    assert lead.stage == LeadStage.CONTACT
    with pytest.raises(PermissionDenied):
        lead_create(
            org=tree.street_a,
            enterprise="x",
            project_name="x",
            sector="x",
            source=Source.OTHER,
            acting_user=personas.street_b,
        )


def test_signing_records_date_amount_and_event(tree, personas):
    """Reaching 签约 records the date, the signed amount and the event."""
    event = event_create(
        org=tree.district,
        kind=EventKind.PROMOTION,
        name="推介会",
        held_on=days_ago(5),
        acting_user=SYSTEM,
    )
    lead = make_lead(tree.street_a, stage=LeadStage.NEGOTIATING)
    lead = lead_advance(
        lead=lead,
        to_stage=LeadStage.SIGNED,
        on=days_ago(5),
        signed_amount=1_377_000_000,
        event=event,
        acting_user=personas.street_a,
    )
    assert lead.signed_on == days_ago(5)
    assert lead.signed_amount == 1_377_000_000
    assert lead.event == event
    assert AuditEvent.objects.latest("id").changes["stage"] == [20, 30]


def test_going_back_needs_a_reason_and_undoes_the_signing(tree, personas):
    """Back below 签约 needs a reason and clears the signing."""
    lead = make_lead(tree.street_a, stage=LeadStage.SIGNED)
    with pytest.raises(ValidationError):
        lead_advance(lead=lead, to_stage=LeadStage.NEGOTIATING, acting_user=personas.street_a)
    lead = lead_advance(
        lead=lead,
        to_stage=LeadStage.NEGOTIATING,
        reason="协议解除，重新谈判",
        acting_user=personas.street_a,
    )
    assert lead.signed_on is None
    assert lead.signed_amount is None


@pytest.mark.parametrize(
    "to_stage, on",
    [(LeadStage.CONTACT, None), (99, None), (LeadStage.NEGOTIATING, days_ago(-3))],
    ids=["same stage", "unknown stage", "future date"],
)
def test_illegal_moves_are_refused(tree, personas, to_stage, on):
    """Same stage, an unknown stage and a future date are refused, nothing is audited."""
    lead = make_lead(tree.street_a)
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        lead_advance(lead=lead, to_stage=to_stage, on=on, acting_user=personas.street_a)
    assert AuditEvent.objects.count() == before


def test_lost_needs_a_reason_and_freezes_the_lead(tree, personas):
    """Losing a lead needs a reason; a lost lead cannot move."""
    lead = make_lead(tree.street_a)
    with pytest.raises(ValidationError):
        lead_mark_lost(lead=lead, reason=" ", acting_user=personas.street_a)
    lead = lead_mark_lost(lead=lead, reason="选址外省", acting_user=personas.street_a)
    assert lead.is_lost
    with pytest.raises(ValidationError):
        lead_advance(lead=lead, to_stage=LeadStage.NEGOTIATING, acting_user=personas.street_a)


def test_landed_lead_becomes_a_project_keeping_the_link(tree, personas):
    """Conversion creates the project in 供地/落地 with the signed amount and links both."""
    lead = make_lead(tree.street_a, stage=LeadStage.LANDED)
    project = lead_convert_to_project(
        lead=lead, category="industry", lead_unit=tree.street_a, acting_user=personas.street_a
    )
    lead.refresh_from_db()
    assert lead.project == project
    assert project.stage == Stage.LAND
    assert project.total_investment == 970_000_000
    assert project.org == tree.street_a
    actions = list(AuditEvent.objects.order_by("-id").values_list("action", flat=True)[:2])
    assert actions == ["lead.convert", "project.create"]
    with pytest.raises(ValidationError):
        lead_convert_to_project(
            lead=lead, category="industry", lead_unit=tree.street_a, acting_user=personas.street_a
        )


def test_only_landed_leads_convert(tree, personas):
    """A signed but not landed lead cannot become a project."""
    lead = make_lead(tree.street_a, stage=LeadStage.SIGNED)
    with pytest.raises(ValidationError):
        lead_convert_to_project(
            lead=lead, category="industry", lead_unit=tree.street_a, acting_user=personas.street_a
        )


def test_competition_and_team_are_audited(tree, personas):
    """Setting up a competition with custom points and a team writes audit events."""
    competition = competition_create(
        org=tree.district,
        name="驻点招商竞赛",
        starts_on=days_ago(200),
        ends_on=days_ago(-100),
        points={"points_signed": 6},
        acting_user=personas.district,
    )
    assert competition.points_for(LeadStage.SIGNED) == 6
    team_create(competition=competition, name="驻深圳组", acting_user=personas.district)
    assert AuditEvent.objects.latest("id").action == "team.create"
    with pytest.raises(ValidationError):
        competition_create(
            org=tree.district,
            name="坏竞赛",
            starts_on=days_ago(1),
            ends_on=days_ago(10),
            acting_user=personas.district,
        )


def test_subsidy_must_be_positive_and_in_scope(tree, personas):
    """A payment must be positive, not in the future, and on an organization in scope."""
    subsidy = subsidy_create(
        org=tree.street_a,
        policy=subsidy_policy("稳岗补贴"),
        enterprise="临溪食品",
        amount=85_000,
        paid_on=days_ago(1),
        acting_user=personas.street_a,
    )
    assert AuditEvent.objects.latest("id").object_id == str(subsidy.pk)
    with pytest.raises(ValidationError):
        subsidy_create(
            org=tree.street_a,
            policy=subsidy_policy("x"),
            enterprise="x",
            amount=0,
            paid_on=days_ago(1),
            acting_user=personas.street_a,
        )
    with pytest.raises(PermissionDenied):
        subsidy_create(
            org=tree.street_a,
            policy=subsidy_policy("x"),
            enterprise="x",
            amount=1,
            paid_on=days_ago(1),
            acting_user=personas.street_b,
        )


def test_every_service_records_its_audit_action(tree, personas):
    """Each write leaves exactly its own audit action, named."""
    clerk = personas.street_a
    lead = make_lead(tree.street_a, stage=LeadStage.NEGOTIATING)
    landed = make_lead(tree.street_a, "已落地", stage=LeadStage.LANDED)
    competition = competition_create(
        org=tree.street_a,
        name="审计竞赛",
        starts_on=days_ago(30),
        ends_on=days_ago(-30),
        acting_user=clerk,
    )
    assert AuditEvent.objects.latest("id").action == "competition.create"
    flows = [
        ("lead.create", lambda: make_lead(tree.street_a, "审计线索")),
        ("lead.update", lambda: lead_update(lead=lead, note="补充", acting_user=clerk)),
        (
            "lead.advance",
            lambda: lead_advance(lead=lead, to_stage=LeadStage.SIGNED, acting_user=clerk),
        ),
        ("lead.lost", lambda: lead_mark_lost(lead=lead, reason="外迁", acting_user=clerk)),
        (
            "lead.convert",
            lambda: lead_convert_to_project(
                lead=landed, category="industry", lead_unit=tree.district, acting_user=clerk
            ),
        ),
        (
            "event.create",
            lambda: event_create(
                org=tree.street_a,
                kind=EventKind.FAIR,
                name="审计投洽会",
                held_on=days_ago(3),
                acting_user=clerk,
            ),
        ),
        ("team.create", lambda: team_create(competition=competition, name="组", acting_user=clerk)),
        (
            "subsidy.create",
            lambda: subsidy_create(
                org=tree.street_a,
                policy=subsidy_policy("稳岗补贴"),
                enterprise="审计企业",
                amount=1_000,
                paid_on=days_ago(1),
                acting_user=clerk,
            ),
        ),
    ]
    for action, run in flows:
        run()
        assert AuditEvent.objects.latest("id").action == action


def test_convert_needs_the_project_ledgers_manage_too(tree, personas, monkeypatch):
    """Turning a lead into a project writes the project ledger: a clerk who records
    leads on A but may not record key projects there is refused, and nothing is written."""
    from taizhang.accounts.models import ScopeKind
    from taizhang.core.registry import ROLES
    from taizhang.investment.permissions import can
    from taizhang.projects.models import Project
    from tests.support import make_user

    clerk = ROLES["clerk"]
    monkeypatch.setattr(clerk, "permissions", clerk.permissions - {"projects.manage"})
    officer = make_user("officer", ("clerk", ScopeKind.SUBTREE, tree.street_a))
    lead = make_lead(tree.street_a, stage=LeadStage.LANDED)
    assert can(officer, "advance", lead)
    assert not can(officer, "convert", lead)
    with pytest.raises(PermissionDenied):
        lead_convert_to_project(
            lead=lead, category="industry", lead_unit=tree.street_a, acting_user=officer
        )
    assert not Project.objects.exists()
    monkeypatch.undo()
    assert can(personas.street_a, "convert", lead)
    assert not can(personas.street_b, "convert", lead)


def test_team_members_follow_the_person_rule(tree, personas):
    """A team's leader and members are persons the acting clerk sees (the person rule)."""
    from taizhang.organizations.policy import unknown_message
    from taizhang.projects.tests.factories import make_person

    own = make_person(tree.community_a, "临溪队员")
    other = make_person(tree.community_b, "望澜队员")
    competition = competition_create(
        org=tree.street_a,
        name="临溪竞赛",
        starts_on=days_ago(30),
        ends_on=days_ago(-30),
        acting_user=personas.street_a,
    )
    team_create(
        competition=competition,
        name="一组",
        leader=own,
        members=[own],
        acting_user=personas.street_a,
    )
    with pytest.raises(ValidationError) as refused:
        team_create(
            competition=competition, name="二组", members=[other], acting_user=personas.street_a
        )
    assert refused.value.message_dict == {"members": [unknown_message()]}
    with pytest.raises(PermissionDenied):
        team_create(competition=competition, name="三组", acting_user=personas.street_b)


def test_lead_update_cannot_move_a_lead_out_of_scope(tree, personas):
    """A's clerk cannot move a lead to B; the district clerk can."""
    lead = make_lead(tree.street_a)
    with pytest.raises(PermissionDenied):
        lead_update(lead=lead, org=tree.street_b, acting_user=personas.street_a)
    assert lead_update(lead=lead, org=tree.street_b, acting_user=personas.district).org == (
        tree.street_b
    )
    with pytest.raises(TypeError):
        lead_update(lead=lead, note="x", acting_user=None)
