"""Duties kept apart in pairing: a grid worker records village figures but never
confirms them; whoever recorded a figure does not confirm it. Each allowed and each
refused case, in the services, ``can()`` and the pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from taizhang.core.actors import SYSTEM
from taizhang.core.registry import ROLES
from taizhang.pairing.models import Indicator, ValueStatus
from taizhang.pairing.permissions import can
from taizhang.pairing.services import indicator_confirm, indicator_correct, indicator_record
from taizhang.pairing.tests.factories import FIRST_YEAR, make_organ, make_pair
from tests.support import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def _record(village, user, value=300_000):
    return indicator_record(
        village=village,
        indicator=Indicator.COLLECTIVE_INCOME,
        year=FIRST_YEAR,
        value=value,
        acting_user=user,
    )


def test_grid_worker_reads_but_neither_records_nor_confirms():
    role = ROLES["grid_worker"]
    assert "pairing.view" in role.permissions
    assert not {"pairing.manage", "pairing.confirm"} & role.permissions


def test_a_grid_worker_records_and_confirms_nothing(client, tree):
    worker = make_user("grid1", ("grid_worker", "subtree", tree.community_a))
    pair = make_pair(make_organ(tree), tree.community_a)
    assert not can(worker, "record", pair)
    with pytest.raises(PermissionDenied):
        _record(tree.community_a, worker)
    row = _record(tree.community_a, SYSTEM)
    assert not can(worker, "confirm", row) and not can(worker, "confirm", pair)
    with pytest.raises(PermissionDenied):
        indicator_confirm(value=row, acting_user=worker)
    assert client.login(username=worker.username, password=PASSWORD)
    page = client.get(reverse("pairing:pair_detail", args=[pair.pk])).content.decode()
    confirm = reverse("pairing:value_confirm", args=[pair.pk, row.pk])
    assert confirm not in page
    assert client.post(confirm).status_code == 403
    row = indicator_confirm(value=row, acting_user=SYSTEM)
    with pytest.raises(PermissionDenied):
        indicator_correct(value=row, new_value=1, reason="试", acting_user=worker)
    assert not can(worker, "correct", row)


def test_whoever_recorded_a_figure_does_not_confirm_it(tree, personas):
    row = _record(tree.community_a, personas.street_a)
    assert not can(personas.street_a, "confirm", row)
    with pytest.raises(PermissionDenied) as refused:
        indicator_confirm(value=row, acting_user=personas.street_a)
    assert "confirm" in str(refused.value) or "确认" in str(refused.value)
    row.refresh_from_db()
    assert row.status == ValueStatus.DRAFT
    # Another clerk with pairing.confirm on the village confirms it.
    assert can(personas.district, "confirm", row)
    confirmed = indicator_confirm(value=row, acting_user=personas.district)
    assert confirmed.confirmed_by == personas.district


def test_a_revision_by_another_hands_the_confirmation_back(tree, personas):
    """The rule follows the latest recorder: after the district clerk revises the draft,
    the street clerk may confirm it and the district clerk may not."""
    row = _record(tree.community_a, personas.street_a)
    row = _record(tree.community_a, personas.district, value=310_000)
    assert not can(personas.district, "confirm", row)
    assert can(personas.street_a, "confirm", row)
    assert indicator_confirm(value=row, acting_user=personas.street_a).value == 310_000


def test_system_recorded_figures_are_confirmed_by_any_confirmer(tree, personas):
    row = _record(tree.community_a, SYSTEM)
    assert row.recorded_by is None
    assert can(personas.street_a, "confirm", row)
    indicator_confirm(value=row, acting_user=personas.street_a)


def test_the_confirm_page_shows_the_rule_to_the_recorder(client, tree, personas):
    pair = make_pair(make_organ(tree), tree.community_a)
    row = _record(tree.community_a, personas.street_a)
    confirm = reverse("pairing:value_confirm", args=[pair.pk, row.pk])
    assert client.login(username=personas.street_a.username, password=PASSWORD)
    page = client.get(reverse("pairing:pair_detail", args=[pair.pk])).content.decode()
    assert confirm not in page
    assert client.login(username=personas.district.username, password=PASSWORD)
    page = client.get(reverse("pairing:pair_detail", args=[pair.pk])).content.decode()
    assert confirm in page
