"""Events by kind from the documented list, with date, leaders and place."""

from __future__ import annotations

import pytest

from taizhang.extraction.dates import find_dates
from taizhang.extraction.events import KINDS, event_kind, find_event, is_event_date


def event(sentence: str, leaders: tuple[str, ...] = ()):
    dates = [(d.value, d.start, is_event_date(d.text, d.value)) for d in find_dates(sentence)]
    return find_event(sentence, dates=dates, leaders=list(leaders))


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("5月9日，城东街道与新华公司签订共建协议。", "签约"),
        ("3月11日，第八期青年干部培训班开班。", "培训"),
        ("3月15日，培训班举行结业式。", "培训"),
        ("7月2日，乡贤工作站在上坪村揭牌成立。", "挂牌"),
        ("9月3日，在杭州举办数字经济产业招商推介会，签约项目9个。", "招商推介"),
        ("4月2日下午，开发区召开驻企服务专员岗前培训动员会。", "会议"),
        ("6月5日，区长带队调研河道整治工作。", "调研考察"),
        ("6月1日，网格党支部开展主题党日活动。", "主题党日"),
        ("9月4日至6日，县委举行读书班。", "集中学习"),
        ("6月26日，第二季度重大项目集中开工。", "开工"),
        ("2月7日，镇领导走访慰问困难群众。", "慰问"),
        ("7月1日，“红色故事汇”宣讲活动正式启动。", "宣讲"),
    ],
)
def test_kinds(sentence, kind):
    found = event(sentence)
    assert found is not None
    assert found.kind == kind
    assert found.kind in KINDS


def test_date_place_and_leaders():
    found = event("6月1日上午，金桥社区党支部在社区活动中心举行主题党日活动。", ("赵小燕",))
    assert found is not None
    assert (found.date, found.place, found.leaders) == ("--06-01", "社区活动中心", ("赵小燕",))


def test_a_period_is_not_an_event_date():
    assert event("今年以来，全区召开会议20次。") is None


def test_an_exhortation_is_not_a_held_event():
    assert event("会议要求，下一步要在9月底前召开推进会。") is None


def test_land_listed_for_sale_is_no_plaque():
    assert event_kind("两宗工业用地挂牌出让。") is None


def test_same_day_takes_the_date_of_the_event_before_it():
    from taizhang.extraction.extract import extract

    result = extract("4月18日，开发区举行项目集中签约仪式。当天下午，开发区还召开招商工作推进会。")
    assert [(e["date"], e["kind"]) for e in result["events"]] == [
        ("--04-18", "签约"),
        ("--04-18", "会议"),
    ]


def test_a_period_of_months_is_no_event_date():
    assert event("会上通报了1至3月招商引资进展，召开了会议。") is None
