"""The subsidy-policy migration turns every policy text already paid under into a
dictionary entry and points the payments to it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.mark.django_db(transaction=True)
def test_policy_texts_become_dictionary_entries(tree):
    executor = MigrationExecutor(connection)
    before = [("investment", "0001_initial")]
    after = [("investment", "0002_subsidy_policies")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Subsidy = old.get_model("investment", "Subsidy")
    for name in ["稳岗补贴", "技改补助", "稳岗补贴"]:
        Subsidy.objects.create(
            org_id=tree.street_a.pk,
            policy=name,
            enterprise="甲公司",
            amount=1000,
            paid_on=dt.date(2026, 3, 1),
        )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    policies = new.get_model("investment", "SubsidyPolicy")
    assert sorted(policies.objects.values_list("name", flat=True)) == ["技改补助", "稳岗补贴"]
    paid = new.get_model("investment", "Subsidy").objects.filter(policy__name="稳岗补贴")
    assert paid.count() == 2
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
