"""重大项目 by level (issue 15): set through the API as on the form, refused when it is
no level, and printed in a briefing as a part of the projects on the ledger."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from taizhang.projects.models import MajorLevel
from taizhang.projects.tests.factories import make_project
from taizhang.statistics import briefings, services
from taizhang.statistics.periods import Period
from tests.support import bearer

pytestmark = pytest.mark.django_db


def test_the_api_sets_and_clears_the_level(client, tree, personas):
    project = make_project(tree.community_a, "甲项目")
    headers = bearer(client, personas.street_a)
    url = f"/api/v1/projects/{project.pk}"
    answer = client.patch(
        url, data={"major_level": "province"}, content_type="application/json", **headers
    )
    assert answer.status_code == 200 and answer.json()["major_level"] == "province"
    wrong = client.patch(
        url, data={"major_level": "country"}, content_type="application/json", **headers
    )
    assert wrong.status_code == 422 and "major_level" in wrong.json()["error"]["fields"]
    cleared = client.patch(
        url, data={"major_level": None}, content_type="application/json", **headers
    )
    assert cleared.status_code == 200 and cleared.json()["major_level"] == ""


def test_a_briefing_names_the_major_projects_among_the_stock(tree, personas):
    make_project(tree.community_a, "甲项目", major_level=MajorLevel.PROVINCE)
    make_project(tree.community_a, "乙项目", major_level=MajorLevel.CITY)
    make_project(tree.community_a, "丙项目")
    today = timezone.localdate()
    with translation.override("zh-hans"):
        draft = services.briefing_generate(
            acting_user=personas.street_a,
            org=tree.street_a,
            period=Period.month(today.year, today.month),
        )
        (section,) = [s for s in briefings.sections_of(draft) if s.module == "projects"]
        text = briefings.paragraph_text(section)
    assert "在库重点项目3个（其中省重大项目1个、市重大项目1个）" in text


def test_the_api_levels_are_the_models():
    from typing import get_args

    from taizhang.projects.api import MajorLevelIn

    assert set(get_args(MajorLevelIn)) == {"", *MajorLevel.values}
