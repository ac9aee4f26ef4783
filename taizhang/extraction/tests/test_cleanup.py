"""The clean-up repairs the defects of pasted newspaper and web text."""

from __future__ import annotations

from taizhang.extraction.cleanup import clean, normalize, sentences


def test_full_width_digits_and_ascii_punctuation_become_standard():
    """Full-width digits turn half-width; an ASCII comma between Chinese words turns
    Chinese; column padding between a number and its unit goes."""
    assert normalize("１２月３日,区委召开会议。") == "12月3日，区委召开会议。"
    assert normalize("3月 8日，共 6支队伍") == "3月8日，共6支队伍"


def test_a_sentence_wrapped_every_few_characters_is_joined_again():
    raw = "本报讯 5月6日，东山街道党工委在社区\n活动中心召开党建联席会议，\n部署下半年工作。\n"
    cleaned = clean(raw)
    assert cleaned.articles[0].paragraphs == [
        "5月6日，东山街道党工委在社区活动中心召开党建联席会议，部署下半年工作。"
    ]


def test_a_sentence_cut_by_a_blank_line_is_joined_again():
    raw = "社区党委组织党员开展了巡河护河行动，不少\n\n居民也加入了志愿者队伍。\n"
    assert clean(raw).text == "社区党委组织党员开展了巡河护河行动，不少居民也加入了志愿者队伍。"


def test_headings_stay_apart_from_the_body():
    raw = "凝心聚力 共建家园\n南湖社区召开共建单位座谈会\n\n6月2日，南湖社区召开共建单位座谈会。\n"
    article = clean(raw).articles[0]
    assert article.headings == ["凝心聚力 共建家园", "南湖社区召开共建单位座谈会"]
    assert article.paragraphs == ["6月2日，南湖社区召开共建单位座谈会。"]


def test_photo_captions_and_bylines_are_set_apart():
    raw = (
        "本报记者 张小明 通讯员 李丽\n"
        "5月8日，城西街道举办消防演练。\n\n"
        "演练现场。（本组图/李丽 摄）\n\n"
        "a1b2c3.jpg\n\n"
        "居民学习使用灭火器。\n\n"
        "此次演练共有300余名居民参加，提高了大家的安全意识。\n"
        "（王芳 赵强）\n"
    )
    article = clean(raw).articles[0]
    assert article.bylines[0].startswith("本报记者")
    assert "（王芳 赵强）" in article.bylines
    assert article.captions == ["演练现场。（本组图/李丽 摄）", "居民学习使用灭火器。"]
    assert article.paragraphs == [
        "5月8日，城西街道举办消防演练。",
        "此次演练共有300余名居民参加，提高了大家的安全意识。",
    ]


def test_a_caption_repeating_a_body_sentence_is_a_caption():
    raw = (
        "6月9日，北岭村召开村民代表大会，审议通过集体经济发展方案。会上，村党支部书记作了说明。\n\n"
        "6月9日，北岭村\n召开村民代表大\n会。\n"
    )
    article = clean(raw).articles[0]
    assert len(article.paragraphs) == 1
    assert article.captions == ["6月9日，北岭村召开村民代表大会。"]


def test_several_articles_in_one_file_are_split():
    raw = (
        "本报讯 3月1日，甲街道召开动员会。\n\n"
        "本报讯 3月2日，乙社区开展义诊活动。本报讯 3月3日，丙村举办农技培训班。\n"
    )
    cleaned = clean(raw)
    assert [a.paragraphs for a in cleaned.articles] == [
        ["3月1日，甲街道召开动员会。"],
        ["3月2日，乙社区开展义诊活动。"],
        ["3月3日，丙村举办农技培训班。"],
    ]


def test_sentences_keep_offsets_into_the_cleaned_text():
    cleaned = clean("本报讯 今天天气晴。5月9日，签约！\n\n本报讯 第二篇报道；完。")
    found = sentences(cleaned)
    assert [s.text for s in found] == ["今天天气晴。", "5月9日，签约！", "第二篇报道；", "完。"]
    for s in found:
        assert cleaned.text[s.start : s.end] == s.text
    assert [s.article for s in found] == [0, 0, 1, 1]


def test_a_title_right_above_the_body_is_a_heading_not_the_first_sentence():
    """A 简报 pasted without a blank line after its title: the title stays a heading, so
    the first sentence starts at its date."""
    from taizhang.extraction.cleanup import clean, sentences

    raw = (
        "临溪街道党工委2026年11月工作简报\n11月12日，街道党工委开展集中学习。\n本月共受理诉求37件。"
    )
    cleaned = clean(raw)
    assert cleaned.articles[0].headings == ["临溪街道党工委2026年11月工作简报"]
    first = sentences(cleaned)[0]
    assert first.text.startswith("11月12日")


def test_a_line_broken_before_a_date_is_still_joined():
    from taizhang.extraction.cleanup import clean

    raw = "临溪街道党工委于\n11月12日召开专题会议，研究部署冬季安全工作。"
    cleaned = clean(raw)
    assert cleaned.articles[0].headings == []
    assert "党工委于11月12日召开" in cleaned.articles[0].body
