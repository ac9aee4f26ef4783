"""``updated_at`` on every ledger resource (issue 17): the moment of the record's newest
audited write, so that it agrees with ``updated_since`` (a record listed for
``updated_since=T`` has ``updated_at >= T``), computed for a whole page in the page's
one query (the number of queries of a list does not grow with its page size), and
declared in the document as a ``date-time`` with a description."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from taizhang.core.models import AuditEvent
from tests.support import bearer, policy_samples

pytestmark = pytest.mark.django_db

# Each ledger list of the API, the policy whose sample rows it lists, its item schema.
LISTS = {
    "/api/v1/projects": ("projects.project", "ProjectOut"),
    "/api/v1/investment/leads": ("investment.lead", "LeadOut"),
    "/api/v1/investment/events": ("investment.event", "EventOut"),
    "/api/v1/problems": ("problems.problem", "ProblemOut"),
    "/api/v1/demands": ("demands.demand", "DemandOut"),
    "/api/v1/activities": ("activities.activity", "ActivityOut"),
    "/api/v1/activities/campaigns": ("activities.campaign", "CampaignOut"),
    "/api/v1/activities/volunteer-services": ("activities.volunteer_service", "ServiceOut"),
    "/api/v1/trainings": ("trainings.training_class", "ClassOut"),
    "/api/v1/evaluations/competitions": ("evaluations.competition", "CompetitionOut"),
    "/api/v1/evaluations/awards": ("evaluations.award", "AwardOut"),
    "/api/v1/pairing/pairs": ("pairing.pair", "PairOut"),
    "/api/v1/pairing/partnerships": ("pairing.partnership", "PartnershipOut"),
    "/api/v1/people": ("people.person", "PersonOut"),
}


def _items(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return list(response.json()["items"])


def _audited_pair(org: Any) -> Any:
    """A pair through its service (the policy sample writes one directly, unaudited:
    its ``updated_at`` is null, as the document says)."""
    from taizhang.organizations.models import OrgKind
    from taizhang.pairing.tests.factories import make_pair
    from tests.support import make_org

    village = make_org(org, f"{org.code}V{org.children.count()}", OrgKind.VILLAGE)
    return make_pair(org, village)


# Samples that bypass the services, replaced by rows written the audited way.
AUDITED = {"pairing.pair": _audited_pair}


def _make(policy: str, orgs: list[Any]) -> list[Any]:
    """Rows of ``policy``'s sample, one on each of ``orgs``."""
    make = AUDITED.get(policy) or policy_samples()[policy]
    rows = []
    for org in orgs:
        with transaction.atomic():
            rows.append(make(org))
    return rows


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize("path", sorted(LISTS))
def test_updated_at_agrees_with_updated_since(client, tree, personas, path):
    policy, _schema = LISTS[path]
    headers = bearer(client, personas.district)
    before = _make(policy, [tree.community_a])
    since = timezone.now()
    after = _make(policy, [tree.grid_a])

    everything = {item["id"]: item for item in _items(client.get(path, **headers))}
    assert {row.pk for row in before + after} <= set(everything)
    for row in before:
        assert _moment(everything[row.pk]["updated_at"]) < since
    # The newest audited write of the row, to the microsecond.
    for row in after:
        newest = (
            AuditEvent.objects.filter(
                object_type=row._meta.label_lower, object_id=str(row.pk), outcome="success"
            )
            .order_by("-occurred_at")
            .values_list("occurred_at", flat=True)
            .first()
        )
        assert newest is not None and _moment(everything[row.pk]["updated_at"]) == newest

    changed = _items(client.get(path, {"updated_since": since.isoformat()}, **headers))
    assert {item["id"] for item in changed} >= {row.pk for row in after}
    assert not {item["id"] for item in changed} & {row.pk for row in before}
    for item in changed:
        assert item["updated_at"] is not None and _moment(item["updated_at"]) >= since, item

    # One record read alone says the same.
    one = client.get(f"{path}/{after[0].pk}", **headers)
    if one.status_code == 200 and "updated_at" in one.json():
        assert one.json()["updated_at"] == everything[after[0].pk]["updated_at"]


@pytest.mark.parametrize("path", sorted(LISTS))
def test_a_page_costs_the_same_queries_whatever_its_size(client, tree, personas, path):
    policy, _schema = LISTS[path]
    headers = bearer(client, personas.district)
    _make(policy, [tree.community_a, tree.grid_a, tree.community_b, tree.street_b])

    def queries(limit: int) -> int:
        with CaptureQueriesContext(connection) as run:
            items = _items(client.get(path, {"limit": limit}, **headers))
        assert len(items) == min(limit, total)
        assert all(item["updated_at"] for item in items)
        return len(run.captured_queries)

    total = len(_items(client.get(path, **headers)))
    assert total >= 4
    small, large = queries(1), queries(total)
    assert large == small, f"{path}: {small} queries for 1 row, {large} for {total}"


def test_the_document_declares_updated_at(client, personas):
    document = client.get("/api/v1/openapi.json", **bearer(client, personas.district)).json()
    schemas = document["components"]["schemas"]
    for _path, (_policy, name) in sorted(LISTS.items()):
        field = schemas[name]["properties"]["updated_at"]
        formats = {option.get("format") for option in field.get("anyOf", [field])}
        assert "date-time" in formats, (name, field)
        assert "updated_since" in field.get("description", ""), (name, field)
    people = next(op for op in [document["paths"]["/api/v1/people"]["get"]] if op["operationId"])
    assert "updated_since" in {p["name"] for p in people["parameters"]}


def test_rows_an_import_wrote_are_seen_by_a_sync(client, tree, personas):
    """An import is audited once for all its rows; the rows it reports are stamped, so an
    incremental pull sees them, with an ``updated_at`` at or after ``updated_since``."""
    from taizhang.activities import services as activities
    from taizhang.activities.tests.factories import kind

    headers = bearer(client, personas.district)
    since = timezone.now()
    rows = [
        activities.ActivityIn(
            org=tree.community_a,
            kind=kind(),
            title=f"导入的第{n}场集中学习",
            held_on=dt.date(2026, 3, n + 1),
            attendance_mode="headcount",
            headcount=20,
        )
        for n in range(3)
    ]
    built = activities.activity_import(rows=rows, source="台账.xlsx", acting_user=personas.district)
    audited = AuditEvent.objects.filter(object_type="activities.activity")
    assert not audited.filter(object_id__in=[str(a.pk) for a in built]).exists()
    items = _items(
        client.get("/api/v1/activities", {"updated_since": since.isoformat()}, **headers)
    )
    assert sorted(item["id"] for item in items) == sorted(a.pk for a in built)
    assert all(_moment(item["updated_at"]) >= since for item in items)
    later = timezone.now()
    assert (
        _items(client.get("/api/v1/activities", {"updated_since": later.isoformat()}, **headers))
        == []
    )
