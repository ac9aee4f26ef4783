"""A report's text becomes the JSON shape of issue 16, nothing written."""

from __future__ import annotations

import json

from taizhang.extraction.extract import extract

REPORT = """东湖区重点项目建设简报

本报讯 6月12日，东湖区委书记唐建军带队到东湖智能制造产业园项目现场调研，区委常委、
常务副区长梁晓红参加调研。该项目总投资约18.5亿元，总建筑面积12.6万平方米，
目前已进入主体结构施工阶段。

今年以来，全区累计开展项目观摩活动12场，解决企业难题46个。
"""


def test_the_shape_of_the_drafts():
    result = extract(REPORT, year=2024)
    assert set(result) >= {
        "persons",
        "organizations",
        "projects",
        "money",
        "dates",
        "events",
        "figures",
        "drafts",
    }
    assert {"name": "唐建军", "title": "东湖区委书记"}.items() <= result["persons"][0].items()
    (project,) = result["projects"]
    assert project["name"] == "东湖智能制造产业园项目"
    assert project["investment_yuan"] == 1_850_000_000
    assert project["area_m2"] == 126_000
    assert project["stage"] == "在建"
    (event,) = result["events"]
    assert (event["date"], event["kind"]) == ("2024-06-12", "调研考察")
    assert set(event["leaders"]) == {"唐建军", "梁晓红"}
    assert [m["yuan"] for m in result["money"]] == [1_850_000_000]
    assert {"metric": "项目观摩活动", "value": 12, "unit": "场"}.items() <= result["figures"][
        0
    ].items()
    json.dumps(result, ensure_ascii=False)  # JSON as it is


def test_every_item_cites_a_sentence_of_the_cleaned_text():
    result = extract(REPORT)
    for key in (
        "persons",
        "organizations",
        "projects",
        "money",
        "dates",
        "events",
        "figures",
        "drafts",
    ):
        for item in result[key]:
            assert result["text"][item["start"] : item["end"]] == item["sentence"]


def test_without_a_year_dates_have_none():
    result = extract(REPORT)
    assert result["events"][0]["date"] == "--06-12"
    assert result["meta"]["year"] is None
