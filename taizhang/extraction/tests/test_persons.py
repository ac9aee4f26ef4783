"""Persons and their titles, before and after the name, shared in enumerations."""

from __future__ import annotations

from taizhang.extraction.persons import find_persons
from taizhang.extraction.tagger import tag


def persons(sentence: str) -> list[tuple[str, str]]:
    return [(p.name, p.title) for p in find_persons(sentence, tag(sentence))]


def test_a_title_before_the_name():
    assert persons("区委书记张伟主持会议。") == [("张伟", "区委书记")]


def test_two_persons_joined_by_and_keep_their_own_titles():
    assert persons("城东街道党工委书记王晓梅与新华科技有限公司总经理刘建国签订协议。") == [
        ("王晓梅", "城东街道党工委书记"),
        ("刘建国", "新华科技有限公司总经理"),
    ]


def test_one_person_with_several_posts():
    assert persons("区委常委、组织部部长陈志远出席。") == [("陈志远", "区委常委、组织部部长")]


def test_an_enumeration_shares_the_title_before_it():
    assert persons("副区长李红霞、赵敏出席开班仪式。") == [("李红霞", "副区长"), ("赵敏", "副区长")]


def test_an_enumeration_shares_the_title_after_it():
    found = persons("邹文海、洪立新、陈美玲等老领导一行来到东山区。")
    assert found == [("邹文海", "老领导"), ("洪立新", "老领导"), ("陈美玲", "老领导")]


def test_tongzhi_marks_a_person():
    assert persons("周桂芳同志介绍了社区情况。") == [("周桂芳", "")]


def test_a_name_the_tagger_splits_is_read_whole_after_a_title():
    assert [n for n, _t in persons("区管委会主任罗永能带队调研河道整治工作。")] == ["罗永能"]


SAID = "罗永能指出，要抓好落实。"


def test_a_known_name_is_found_again_without_title():
    found = find_persons(SAID, tag(SAID), known={"罗永能"})
    assert [p.name for p in found] == ["罗永能"]


def test_a_name_inside_a_set_phrase_is_not_a_person():
    assert persons("深入学习贯彻习近平新时代中国特色社会主义思想。") == []


def test_words_that_look_like_names_without_context_are_dropped():
    assert persons("打造高品质高颜值滨水新城。") == []
