"""Indicators, continued: the ranking rule's edge cases, persona scope on every read and
write (pages, API, evidence files), one audit event per write, and input validation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from taizhang.accounts.models import ScopeKind
from taizhang.activities.tests.factories import make_activity
from taizhang.core.models import AuditEvent
from taizhang.statistics import figures, selectors, services
from taizhang.statistics.indicators import Standing, rank
from taizhang.statistics.periods import Period
from taizhang.statistics.tests.factories import make_indicator
from tests.support import PASSWORD, bearer, make_user

YEAR = Period.year(2026)
Q4 = Period.quarter(2026, 4)


def _s(name, actual, cases, target=None):
    return Standing(org=name, target=target, actual=actual, cases=cases)


# --- the ranking rule (pure) ------------------------------------------------------------


def test_ties_share_a_rank_and_the_next_rank_skips():
    rows = rank(
        [_s("a", Decimal(7), 5), _s("b", Decimal(9), 5), _s("c", Decimal(9), 5)],
        direction="higher",
        min_cases=1,
    )
    assert [(r.org, r.rank) for r in rows] == [("b", 1), ("c", 1), ("a", 3)]


def test_min_cases_is_inclusive_and_unranked_units_come_last_in_their_order():
    rows = rank(
        [
            _s("few", Decimal(100), 2),
            _s("none", None, 0),
            _s("enough", Decimal(1), 3),
            _s("also-few", Decimal(50), 0),
        ],
        direction="higher",
        min_cases=3,
    )
    assert [(r.org, r.rank, r.reason) for r in rows] == [
        ("enough", 1, ""),
        ("few", None, "too_few_cases"),
        ("none", None, "no_value"),
        ("also-few", None, "too_few_cases"),
    ]


def test_lower_is_better_on_completion_and_a_zero_target_is_not_ranked():
    rows = rank(
        [
            _s("a", Decimal(8), 5, Decimal(10)),  # 80 %
            _s("b", Decimal(4), 5, Decimal(10)),  # 40 %: best
            _s("c", Decimal(0), 5, Decimal(0)),  # no completion rate
            _s("d", Decimal(1), 5),  # no target
        ],
        direction="lower",
        min_cases=1,
    )
    assert [(r.org, r.rank, r.reason) for r in rows] == [
        ("b", 1, ""),
        ("a", 2, ""),
        ("c", None, "zero_target"),
        ("d", None, "no_target"),
    ]


def test_rank_is_repeatable():
    rows = [_s("a", Decimal(1), 5), _s("b", Decimal(2), 5)]
    once = [(r.org, r.rank) for r in rank(rows, direction="higher", min_cases=1)]
    twice = [(r.org, r.rank) for r in rank(rows, direction="higher", min_cases=1)]
    assert once == twice == [("b", 1), ("a", 2)]


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def metric_indicator(tree, personas):
    return make_indicator(personas.district, tree.district)


@pytest.fixture
def manual_indicator(tree, personas):
    return make_indicator(
        personas.district,
        tree.district,
        name="党员志愿服务覆盖率",
        unit="%",
        source="manual",
        metric="",
    )


@pytest.fixture
def viewer_only(tree):
    return make_user("watcher", ("viewer", ScopeKind.SUBTREE, tree.district))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _actions():
    return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


# --- actuals ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_metric_actual_and_cases_are_the_records_of_the_period(tree, personas, metric_indicator):
    make_activity(tree.community_a, headcount=5, held_on=dt.date(2026, 10, 3))
    make_activity(tree.grid_a, headcount=5, held_on=dt.date(2026, 11, 9))
    make_activity(tree.community_a, headcount=5, held_on=dt.date(2026, 9, 30))  # Q3
    rows = selectors.ranking(personas.district, metric_indicator, tree.district, Q4)
    a = next(r for r in rows if r.org == tree.street_a)
    metric = figures.get_metric("activities.count")
    assert a.actual == figures.compute(personas.district, metric, tree.street_a, Q4) == 2
    assert a.cases == 2
    b = next(r for r in rows if r.org == tree.street_b)
    assert (b.actual, b.cases, b.reason) == (0, 0, "too_few_cases")


@pytest.mark.django_db
def test_manual_actual_rules(tree, personas, metric_indicator, manual_indicator):
    enter = {
        "acting_user": personas.district,
        "org": tree.street_a,
        "period": YEAR,
        "value": Decimal(90),
        "cases": 10,
        "evidence": "登记表",
    }
    with pytest.raises(ValidationError):
        services.actual_enter(indicator=metric_indicator, **enter)
    with pytest.raises(ValidationError) as error:
        services.actual_enter(indicator=manual_indicator, **{**enter, "value": Decimal(-1)})
    assert "value" in error.value.message_dict
    services.actual_enter(indicator=manual_indicator, **enter)
    services.actual_enter(indicator=manual_indicator, **{**enter, "value": Decimal(92)})
    entry = manual_indicator.entries.get()
    assert entry.value == 92 and entry.evidence == "登记表"
    event = AuditEvent.objects.filter(action="statistics.actual_enter").last()
    assert event.changes["value"] == ["90.00", "92"]


# --- audit ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_write_records_one_audit_event(tree, personas, manual_indicator):
    start = AuditEvent.objects.exclude(action="access.denied").count()
    services.indicator_update(
        acting_user=personas.district,
        indicator=manual_indicator,
        name="志愿服务覆盖率",
        min_cases=5,
    )
    assert _actions()[start:] == ["statistics.indicator_update"]
    event = AuditEvent.objects.last()
    assert event.changes == {
        "name": ["党员志愿服务覆盖率", "志愿服务覆盖率"],
        "min_cases": [1, 5],
    }
    for value in (Decimal(80), Decimal(85)):
        services.target_set(
            acting_user=personas.district,
            indicator=manual_indicator,
            org=tree.street_a,
            period=YEAR,
            target=value,
        )
    assert _actions()[start + 1 :] == ["statistics.target_set", "statistics.target_set"]
    assert AuditEvent.objects.last().changes == {"target": ["80.00", "85"]}
    services.actual_enter(
        acting_user=personas.street_a,
        indicator=manual_indicator,
        org=tree.community_a,
        period=YEAR,
        value=Decimal(3),
        cases=3,
        evidence="签到表",
    )
    assert _actions()[start + 3 :] == ["statistics.actual_enter"]


@pytest.mark.django_db
def test_a_refused_write_records_nothing(tree, personas, manual_indicator):
    start = AuditEvent.objects.exclude(action="access.denied").count()
    with pytest.raises(ValidationError):
        services.actual_enter(
            acting_user=personas.district,
            indicator=manual_indicator,
            org=tree.street_a,
            period=YEAR,
            value=Decimal(1),
            cases=1,
            evidence="",
        )
    with pytest.raises(PermissionDenied):
        services.target_set(
            acting_user=personas.street_b,
            indicator=manual_indicator,
            org=tree.street_a,
            period=YEAR,
            target=Decimal(1),
        )
    assert AuditEvent.objects.exclude(action="access.denied").count() == start


# --- validation -------------------------------------------------------------------------


@pytest.mark.django_db
def test_indicator_validation(tree, personas, metric_indicator):
    with pytest.raises(ValidationError) as error:
        make_indicator(personas.district, tree.district, name="x" * 121)
    assert "name" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        make_indicator(personas.district, tree.district, direction="sideways")
    assert "direction" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.indicator_update(
            acting_user=personas.district, indicator=metric_indicator, metric=""
        )
    assert "metric" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.indicator_update(
            acting_user=personas.district, indicator=metric_indicator, source="manual"
        )
    assert "source" in error.value.message_dict
    unchanged = services.indicator_update(
        acting_user=personas.district,
        indicator=metric_indicator,
        metric="activities.count",
        unit="次",
    )
    assert (unchanged.metric, unchanged.unit) == ("activities.count", "次")
    with pytest.raises(PermissionDenied):
        services.indicator_update(
            acting_user=personas.street_a, indicator=metric_indicator, name="改名"
        )


@pytest.mark.django_db
def test_targets_only_inside_the_owners_subtree(tree, personas):
    own = make_indicator(personas.street_a, tree.street_a, name="A 街道指标")
    with pytest.raises(ValidationError) as error:
        services.target_set(
            acting_user=personas.district,
            indicator=own,
            org=tree.street_b,
            period=YEAR,
            target=Decimal(1),
        )
    assert "org" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.target_set(
            acting_user=personas.district,
            indicator=own,
            org=tree.community_a,
            period=YEAR,
            target=Decimal(-1),
        )
    assert "target" in error.value.message_dict


# --- reads and scope --------------------------------------------------------------------


@pytest.mark.django_db
def test_who_sees_which_indicator(tree, personas, metric_indicator, viewer_only):
    own = make_indicator(personas.street_a, tree.street_a, name="A 街道指标")
    community = make_indicator(personas.street_a, tree.community_a, name="A1 社区指标")

    def names(user):
        return sorted(i.name for i in selectors.indicators_for(user))

    # The district's indicator concerns everyone below it; A's only A and those above.
    assert names(personas.street_a) == sorted(["集中学习场次", "A 街道指标", "A1 社区指标"])
    assert names(personas.street_b) == ["集中学习场次"]
    assert names(personas.district) == names(personas.street_a)
    assert names(viewer_only) == names(personas.district)
    assert names(personas.nobody) == names(personas.auditor) == []
    for pk in (own.pk, community.pk):
        with pytest.raises(Http404):
            selectors.get_indicator_for_viewer(personas.street_b, pk)


@pytest.mark.django_db
def test_street_b_cannot_see_or_set_street_as_targets(client, tree, personas, metric_indicator):
    services.target_set(
        acting_user=personas.district,
        indicator=metric_indicator,
        org=tree.community_a,
        period=YEAR,
        target=Decimal(12),
    )
    client.login(username="street_b", password=PASSWORD)
    url = f"/statistics/indicators/{metric_indicator.pk}/"
    assert client.get(url, {"org": tree.street_a.pk, "period": "2026"}).status_code == 404
    own = client.get(url, {"period": "2026"})
    assert own.status_code == 200 and own.context["parent"] == tree.street_b
    assert [r["standing"].org for r in own.context["rows"]] == [tree.community_b]
    posted = client.post(
        url,
        {
            "action": "target",
            "unit": tree.community_a.pk,
            "org": tree.street_a.pk,
            "period": "2026",
            "target": "1",
        },
    )
    assert posted.status_code == 404
    assert metric_indicator.targets.get(org=tree.community_a).target == 12
    headers = bearer(client, personas.street_b)
    api = f"/api/v1/statistics/indicators/{metric_indicator.pk}/targets"
    response = client.post(
        api,
        {"org_id": tree.community_a.pk, "period": "2026", "target": "1"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 422  # hidden: the same answer as a missing id
    assert metric_indicator.targets.get(org=tree.community_a).target == 12


@pytest.mark.django_db
def test_view_only_and_outsiders_cannot_write(client, tree, personas, viewer_only):
    indicator = make_indicator(personas.district, tree.district)
    client.force_login(viewer_only)
    listing = client.get("/statistics/indicators/")
    assert listing.status_code == 200 and listing.context["form"] is None
    assert client.post("/statistics/indicators/", {"name": "x"}).status_code == 404
    page = client.get(f"/statistics/indicators/{indicator.pk}/", {"period": "2026"})
    assert page.status_code == 200 and page.context["can_manage"] is False
    assert "设目标" not in page.content.decode()
    response = client.post(
        f"/api/v1/statistics/indicators/{indicator.pk}/targets",
        {"org_id": tree.street_a.pk, "period": "2026", "target": "5"},
        content_type="application/json",
        **bearer(client, viewer_only),
    )
    assert response.status_code == 403
    for persona in (personas.nobody, personas.auditor):
        client.force_login(persona)
        assert client.get("/statistics/indicators/").status_code == 403
        assert client.get(f"/statistics/indicators/{indicator.pk}/").status_code == 403
    assert not indicator.targets.exists()


# --- pages ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_an_indicator_on_the_list_page(client, tree, personas):
    client.login(username="district", password=PASSWORD)
    page = client.get("/statistics/indicators/")
    assert page.status_code == 200 and "new-indicator" in page.content.decode()
    response = client.post(
        "/statistics/indicators/",
        {
            "owner": tree.district.pk,
            "name": "诉求办结件数",
            "unit": "件",
            "direction": "higher",
            "source": "metric",
            "metric": "demands.closed",
            "min_cases": "3",
            "description": "",
        },
    )
    assert response.status_code == 302
    created = selectors.indicators_for(personas.district).get(name="诉求办结件数")
    assert response["Location"] == f"/statistics/indicators/{created.pk}/"
    invalid = client.post(
        "/statistics/indicators/",
        {"owner": tree.district.pk, "name": "缺指标来源", "direction": "higher",
         "source": "metric", "metric": "", "min_cases": "3"},
    )  # fmt: skip
    assert invalid.status_code == 422


@pytest.mark.django_db
def test_ranking_page_links_figures_and_shows_the_minimum_case_rule(
    client, tree, personas, metric_indicator
):
    metric_indicator.min_cases = 2
    metric_indicator.save()
    make_activity(tree.community_a, headcount=5, held_on=dt.date(2026, 10, 3))
    make_activity(tree.community_a, headcount=5, held_on=dt.date(2026, 10, 4))
    make_activity(tree.community_b, headcount=5, held_on=dt.date(2026, 10, 4))
    client.login(username="district", password=PASSWORD)
    page = client.get(f"/statistics/indicators/{metric_indicator.pk}/", {"period": "2026-Q4"})
    html = page.content.decode()
    assert page.status_code == 200
    assert f"/statistics/figures/activities.count/?org={tree.street_a.pk}&amp;period=2026-Q4" in (
        html
    )
    assert "样本不足，不排名" in html
    assert [r["standing"].org for r in page.context["rows"]] == [tree.street_a, tree.street_b]


@pytest.mark.django_db
def test_manual_actual_with_evidence_file_on_the_page(
    client, media, tree, personas, manual_indicator
):
    client.login(username="street_a", password=PASSWORD)
    url = f"/statistics/indicators/{manual_indicator.pk}/"
    response = client.post(
        url,
        {
            "action": "actual",
            "unit": tree.community_a.pk,
            "org": tree.street_a.pk,
            "period": "2026",
            "value": "88",
            "cases": "40",
            "evidence": "社区双报到签到汇总",
            "attachment": SimpleUploadedFile("签到表.pdf", b"%PDF-1.4 evidence"),
        },
    )
    assert response.status_code == 302
    entry = manual_indicator.entries.get()
    page = client.get(url, {"period": "2026"})
    download = f"/statistics/indicators/{manual_indicator.pk}/evidence/{entry.pk}/"
    html = page.content.decode()
    assert "社区双报到签到汇总" in html and download in html
    file = client.get(download)
    assert file.status_code == 200 and b"".join(file.streaming_content) == b"%PDF-1.4 evidence"
    client.login(username="street_b", password=PASSWORD)
    assert client.get(download).status_code == 404
    event = AuditEvent.objects.filter(action="statistics.actual_enter").get()
    assert event.changes["attachment"][1] == entry.attachment.name


@pytest.mark.django_db
def test_evidence_route_without_a_file_is_404(client, tree, personas, manual_indicator):
    entry = services.actual_enter(
        acting_user=personas.district,
        indicator=manual_indicator,
        org=tree.street_a,
        period=YEAR,
        value=Decimal(1),
        cases=1,
        evidence="口头汇报",
    )
    client.login(username="district", password=PASSWORD)
    url = f"/statistics/indicators/{manual_indicator.pk}/evidence/{entry.pk}/"
    assert client.get(url).status_code == 404


# --- API writes -------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_targets(client, tree, personas):
    own = make_indicator(personas.street_a, tree.street_a, name="A 街道指标")
    headers = bearer(client, personas.street_a)
    url = f"/api/v1/statistics/indicators/{own.pk}/targets"

    def post(body):
        return client.post(url, body, content_type="application/json", **headers)

    response = post({"org_id": tree.community_a.pk, "period": "2026-Q4", "target": "6"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["org_id"], body["target"], body["period_start"], body["period_end"]) == (
        tree.community_a.pk,
        "6",
        "2026-10-01",
        "2026-12-31",
    )
    assert (
        post({"org_id": tree.community_a.pk, "period": "2026-Q4", "target": "8"}).json()["target"]
        == "8"
    )
    assert own.targets.get().target == 8
    assert post({"org_id": tree.community_a.pk, "period": "", "target": "1"}).status_code == 422
    assert post({"org_id": tree.community_a.pk, "period": "Q9", "target": "1"}).status_code == 422
    negative = post({"org_id": tree.community_a.pk, "period": "2026", "target": "-1"})
    assert negative.status_code == 422 and "target" in negative.json()["error"]["fields"]
    hidden = post({"org_id": tree.district.pk, "period": "2026", "target": "1"})
    assert hidden.status_code == 422 and "org_id" in hidden.json()["error"]["fields"]
    assert client.post(url, {}, content_type="application/json").status_code in (401, 403)
    ranking = client.get(
        f"/api/v1/statistics/indicators/{own.pk}/ranking",
        {"org_id": tree.street_a.pk, "period": "2026-Q4"},
        **headers,
    ).json()
    assert [(r["org_id"], r["target"]) for r in ranking] == [(tree.community_a.pk, "8")]


@pytest.mark.django_db
def test_api_actuals(client, tree, personas, metric_indicator, manual_indicator):
    headers = bearer(client, personas.district)

    def post(indicator, body):
        return client.post(
            f"/api/v1/statistics/indicators/{indicator.pk}/actuals",
            body,
            content_type="application/json",
            **headers,
        )

    body = {"org_id": tree.street_b.pk, "period": "2026", "value": "75.5", "cases": 300}
    missing = post(manual_indicator, {**body, "evidence": " "})
    assert missing.status_code == 422 and "evidence" in missing.json()["error"]["fields"]
    assert post(metric_indicator, {**body, "evidence": "x"}).status_code == 422
    saved = post(manual_indicator, {**body, "evidence": "登记表"})
    assert saved.status_code == 200
    assert (saved.json()["value"], saved.json()["cases"]) == ("75.5", 300)
    assert _actions().count("statistics.actual_enter") == 1


@pytest.mark.django_db
def test_edit_an_indicator_keeps_what_it_measures(client, tree, personas, viewer_only):
    """The manager who set an indicator can reword it and change its ranking rule (one
    audited write); its owner, source and metric cannot be changed through the form, a
    subdistrict clerk cannot edit the district's indicator, and a viewer has no page."""
    indicator = make_indicator(personas.district, tree.district)
    url = f"/statistics/indicators/{indicator.pk}/edit/"
    client.login(username="district", password=PASSWORD)
    detail = client.get(f"/statistics/indicators/{indicator.pk}/")
    assert url in detail.content.decode()
    page = client.get(url)
    assert page.status_code == 200 and page.context["form"]["name"].value() == "集中学习场次"
    before = AuditEvent.objects.exclude(action="access.denied").count()
    response = client.post(
        url,
        {"name": "集中学习开展场次", "unit": "场", "direction": "higher", "min_cases": "4",
         "description": "按街道排名", "source": "manual", "metric": "", "owner": tree.street_a.pk},
    )  # fmt: skip
    assert response.status_code == 302
    indicator.refresh_from_db()
    assert (indicator.name, indicator.min_cases, indicator.description) == (
        "集中学习开展场次",
        4,
        "按街道排名",
    )
    assert (indicator.owner, indicator.source, indicator.metric) == (
        tree.district,
        "metric",
        "activities.count",
    )
    assert AuditEvent.objects.exclude(action="access.denied").count() == before + 1
    event = AuditEvent.objects.latest("pk")
    assert event.action == "statistics.indicator_update"
    assert event.changes["name"] == ["集中学习场次", "集中学习开展场次"]
    assert "source" not in event.changes
    invalid = client.post(url, {"name": " ", "direction": "higher", "min_cases": "4"})
    assert invalid.status_code == 422
    assert AuditEvent.objects.exclude(action="access.denied").count() == before + 1

    client.login(username="street_a", password=PASSWORD)
    assert client.get(url).status_code == 404
    assert url not in client.get(f"/statistics/indicators/{indicator.pk}/").content.decode()
    client.force_login(viewer_only)
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_api_edit_an_indicator(client, tree, personas, metric_indicator):
    """PATCH changes the fields given, audited; owner, source and metric are not
    accepted; a subdistrict clerk who sees the district's indicator may not change it."""
    url = f"/api/v1/statistics/indicators/{metric_indicator.pk}"

    tokens = {p: bearer(client, getattr(personas, p)) for p in ("district", "street_a", "street_b")}

    def patch(persona, body):
        return client.patch(url, body, content_type="application/json", **tokens[persona])

    before = AuditEvent.objects.exclude(action="access.denied").count()
    response = patch("district", {"min_cases": 5, "source": "manual", "owner_id": 1})
    assert response.status_code == 200, response.content
    assert (response.json()["min_cases"], response.json()["source"]) == (5, "metric")
    assert AuditEvent.objects.exclude(action="access.denied").count() == before + 1
    assert patch("district", {"min_cases": -1}).status_code == 422
    assert patch("district", {"direction": "sideways"}).status_code == 422
    assert patch("street_a", {"name": "改名"}).status_code == 403
    assert patch("street_b", {"name": "改名"}).status_code in (403, 404)
    metric_indicator.refresh_from_db()
    assert (metric_indicator.name, metric_indicator.min_cases) == ("集中学习场次", 5)
    assert AuditEvent.objects.exclude(action="access.denied").count() == before + 1
