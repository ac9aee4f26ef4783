"""The activity list's default order has an index of its own (issue 20): at city scale
"the newest 50 in the subtree" sorted all 4.5 M activities and spilled to disk; with an
index on (held_on DESC, id DESC) the database can read the newest rows in order. Whether
the planner uses it depends on the table's size and statistics: ``make bench`` measures
it; here we check that the index is in the database with that order."""

from __future__ import annotations

import pytest
from django.db import connection

from taizhang.activities.models import Activity

pytestmark = pytest.mark.django_db


def test_the_list_order_has_its_index():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Activity._meta.db_table)
    newest = constraints["activity_newest"]
    assert newest["index"] and newest["columns"] == ["held_on", "id"]
    assert newest["orders"] == ["DESC", "DESC"]
    assert Activity._meta.ordering == ["-held_on", "-pk"]
