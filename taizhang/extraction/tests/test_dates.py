"""Dates become ISO text: with the report's year when known, ``--MM-DD`` when not."""

from __future__ import annotations

import datetime as dt

import pytest

from taizhang.extraction.dates import find_dates, report_date


@pytest.mark.parametrize(
    ("text", "without_year", "with_year"),
    [
        ("5月9日", "--05-09", "2023-05-09"),
        ("5月7日至10日", "--05-07/--05-10", "2023-05-07/2023-05-10"),
        ("9月28日至10月3日", "--09-28/--10-03", "2023-09-28/2023-10-03"),
        ("5月下旬", "--05-21/--05-31", "2023-05-21/2023-05-31"),
        ("10月中旬", "--10-11/--10-20", "2023-10-11/2023-10-20"),
        ("8月份", "--08", "2023-08"),
        ("1至9月", "--01/--09", "2023-01/2023-09"),
        ("今年以来", "--01-01/..", "2023-01-01/2023-11-21"),
        ("4月2日下午", "--04-02", "2023-04-02"),
    ],
)
def test_dates(text, without_year, with_year):
    (plain,) = find_dates(f"{text}，区委召开会议。")
    assert plain.value == without_year
    (dated,) = find_dates(f"{text}，区委召开会议。", year=2023, today=dt.date(2023, 11, 21))
    assert dated.value == with_year


def test_a_year_written_out_wins_over_the_reports_year():
    (found,) = find_dates("2021年5月9日，签约。", year=2023)
    assert found.value == "2021-05-09"


def test_last_year_is_relative_to_the_report():
    values = [d.value for d in find_dates("去年全年，新增企业。", year=2024)]
    assert values == ["2023"]


def test_the_report_date_comes_from_its_dateline():
    assert report_date("标题\n来源：东山日报 2024-03-18 08:30\n正文") == dt.date(2024, 3, 18)
    assert report_date("标题\n正文没有日期。") is None
