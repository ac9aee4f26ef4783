"""Issue 15 §2 for evaluations: the trimmed mean (去掉一个最高分和一个最低分), the public
notice (公示) with its objections before an award list is final, the honour roll (光荣榜)
as .xlsx and as a printable page, and a competition's winners becoming nominations."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from taizhang.core.actors import SYSTEM
from taizhang.core.models import AuditEvent
from taizhang.evaluations.models import Aggregation, Nomination, NominationStatus
from taizhang.evaluations.permissions import OBJECTION
from taizhang.evaluations.scoring import rank, trimmed_mean
from taizhang.evaluations.services import (
    award_create,
    award_notice_set,
    award_publish,
    competition_create,
    competition_declare_winners,
    competition_open_scoring,
    competition_publish,
    criterion_add,
    entry_add,
    judge_add,
    nomination_create,
    nomination_review,
    nominations_from_winners,
    objection_record,
    score_record,
)
from taizhang.evaluations.tests.factories import (
    make_competition,
    make_judge_user,
    put_on_notice,
    scores_for,
)
from taizhang.people.services import person_create
from tests.support import make_org

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _d(value: str) -> Decimal:
    return Decimal(value)


# The trimmed mean -------------------------------------------------------------------


def test_the_trimmed_mean_leaves_out_one_highest_and_one_lowest():
    mean, dropped = trimmed_mean({1: _d("90"), 2: _d("80"), 3: _d("70"), 4: _d("60"), 5: _d("50")})
    assert mean == _d("70") and dropped == (1, 5)


def test_on_ties_only_one_of_the_tied_totals_is_left_out():
    """Two judges gave 90 and two gave 70: one of each goes, the other stays."""
    values = {1: _d("90"), 2: _d("90"), 3: _d("80"), 4: _d("70"), 5: _d("70")}
    mean, dropped = trimmed_mean(values)
    assert mean == _d("80")  # (90 + 80 + 70) / 3
    assert dropped == (1, 4)  # the lower judge id among the tied, whatever the order
    assert trimmed_mean(dict(reversed(list(values.items())))) == (mean, dropped)


def test_equal_totals_drop_two_different_judges():
    mean, dropped = trimmed_mean({7: _d("80"), 8: _d("80"), 9: _d("80")})
    assert mean == _d("80")
    assert dropped is not None and len(set(dropped)) == 2


def test_fewer_than_three_judges_fall_back_to_the_plain_mean_and_say_so():
    mean, dropped = trimmed_mean({1: _d("90"), 2: _d("60")})
    assert (mean, dropped) == (_d("75"), None)
    criteria = {10: (_d("100"), _d("100"))}
    scores = [(j, 1, 10, _d(v)) for j, v in [(1, "95"), (2, "80"), (3, "40")]]
    scores += [(j, 2, 10, _d(v)) for j, v in [(1, "70"), (2, "60")]]
    results = {
        r.entry_id: r
        for r in rank(
            entries=[(1, 1), (2, 2)],
            criteria=criteria,
            scores=scores,
            method="none",
            winners=1,
            trim=True,
        )
    }
    assert results[1].final == _d("80.0000") and not results[1].trim_fallback
    assert results[1].dropped == (1, 3)
    assert results[2].final == _d("65.0000") and results[2].trim_fallback
    plain = {
        r.entry_id: r.final
        for r in rank(
            entries=[(1, 1), (2, 2)], criteria=criteria, scores=scores, method="none", winners=1
        )
    }
    assert plain[1] == _d("71.6667")  # the untrimmed mean differs: the rule is applied


def test_a_trimmed_competition_declares_winners_on_the_trimmed_scores(tree, personas):
    """A 宣讲 contest of four judges, one of whom marks one entry far down: with the
    trimmed rule the outlier is left out and the order of the two entries turns."""
    judges = [make_judge_user(f"tj{i}", tree.street_b) for i in range(4)]
    competition = competition_create(
        org=tree.district,
        name="十佳宣讲员评选",
        held_on=TODAY(),
        aggregation=Aggregation.TRIMMED,
        winners_count=1,
        acting_user=personas.district,
    )
    criterion_add(
        competition=competition,
        name="宣讲内容",
        weight=_d("100"),
        max_score=_d("100"),
        acting_user=SYSTEM,
    )
    first = entry_add(
        competition=competition, kind="brand", title="甲", org=tree.community_a, acting_user=SYSTEM
    )
    second = entry_add(
        competition=competition, kind="brand", title="乙", org=tree.community_a, acting_user=SYSTEM
    )
    for judge in judges:
        judge_add(competition=competition, user=judge, acting_user=SYSTEM)
    competition_open_scoring(competition=competition, acting_user=SYSTEM)
    marks = {first: ["90.50", "91.25", "92", "20"], second: ["85", "86", "87", "88"]}
    for entry, values in marks.items():
        for judge, value in zip(judges, values, strict=True):
            score_record(
                entry=entry,
                judge_user=judge,
                values=scores_for(competition, value),
                acting_user=judge,
            )
    winners = competition_declare_winners(competition=competition, acting_user=personas.district)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.final_score == _d("90.8750")  # (90.5 + 91.25) / 2: 92 and 20 left out
    assert second.final_score == _d("86.5000")
    assert [w.title for w in winners] == ["甲"]
    event = AuditEvent.objects.get(action="competition.declare_winners")
    assert event.changes["aggregation"] == "trimmed"


# The public notice (公示) ---------------------------------------------------------------


def _reviewed_award(tree, *, org=None, name="先进党支部"):
    award = award_create(
        org=org or tree.district,
        kind="advanced_branch",
        name=name,
        year=TODAY().year,
        quota=3,
        acting_user=SYSTEM,
    )
    nomination = nomination_create(award=award, org=tree.community_a, acting_user=SYSTEM)
    nomination_review(nomination=nomination, approve=True, acting_user=SYSTEM)
    return award


def test_a_list_is_final_only_after_its_public_notice_ended(tree, personas):
    award = _reviewed_award(tree)
    with pytest.raises(ValidationError, match="公示|public notice"):
        award_publish(award=award, acting_user=personas.district)
    today = TODAY()
    award_notice_set(
        award=award, start=today - dt.timedelta(days=5), end=today, acting_user=personas.district
    )
    with pytest.raises(ValidationError, match="公示|public notice"):
        award_publish(award=award, acting_user=personas.district)  # the last day is today
    award_publish(award=award, on=today + dt.timedelta(days=1), acting_user=personas.district)
    award.refresh_from_db()
    assert award.published_on == today + dt.timedelta(days=1)
    event = AuditEvent.objects.get(action="award.notice_set")
    assert event.changes["notice_end"] == [None, today.isoformat()]


def test_the_notice_needs_a_reviewed_list_and_closes_nominations(tree, personas):
    award = _reviewed_award(tree)
    pending = nomination_create(award=award, org=tree.community_b, acting_user=SYSTEM)
    today = TODAY()
    with pytest.raises(ValidationError):
        award_notice_set(award=award, start=today, end=today, acting_user=personas.district)
    nomination_review(nomination=pending, approve=False, note="材料不全", acting_user=SYSTEM)
    with pytest.raises(ValidationError):
        award_notice_set(
            award=award, start=today, end=today - dt.timedelta(days=1), acting_user=SYSTEM
        )
    award_notice_set(award=award, start=today, end=today, acting_user=personas.district)
    with pytest.raises(ValidationError, match="公示|public notice"):
        nomination_create(award=award, org=make_org(tree.street_a, "A2"), acting_user=SYSTEM)


def test_objections_are_recorded_with_their_outcome_by_the_awarding_body(tree, personas):
    award = _reviewed_award(tree)
    with pytest.raises(ValidationError):  # not on notice yet
        objection_record(
            award=award, received_on=TODAY(), text="反映", outcome="核实", acting_user=SYSTEM
        )
    award = put_on_notice(award)
    with pytest.raises(ValidationError) as refused:
        objection_record(
            award=award, received_on=award.notice_end, text="反映", outcome=" ", acting_user=SYSTEM
        )
    assert "outcome" in refused.value.message_dict
    with pytest.raises(ValidationError):  # before the notice began
        objection_record(
            award=award,
            received_on=award.notice_start - dt.timedelta(days=1),
            text="反映",
            outcome="核实",
            acting_user=SYSTEM,
        )
    with pytest.raises(PermissionDenied):  # a unit below does not settle objections
        objection_record(
            award=award,
            received_on=award.notice_end,
            text="反映",
            outcome="核实",
            acting_user=personas.street_a,
        )
    objection = objection_record(
        award=award,
        received_on=award.notice_end,
        text="反映台账有补写",
        outcome="经核实为补录，维持原结果",
        acting_user=personas.district,
    )
    event = AuditEvent.objects.get(action="objection.record")
    assert event.object_id == str(objection.pk)
    assert list(OBJECTION.queryset(personas.district)) == [objection]
    assert list(OBJECTION.queryset(personas.street_b)) == []
    award_publish(award=award, acting_user=personas.district)
    assert AuditEvent.objects.get(action="award.publish").changes["objections"] == 1


def test_a_sibling_subdistrict_can_neither_put_on_notice_nor_see_the_objections(
    tree, personas, client
):
    award = _reviewed_award(tree, org=tree.street_a, name="街道先进党支部")
    today = TODAY()
    with pytest.raises(PermissionDenied):
        award_notice_set(award=award, start=today, end=today, acting_user=personas.street_b)
    client.force_login(personas.street_b)
    response = client.post(
        reverse("evaluations:award_notice", args=[award.pk]),
        {"notice-start": today.isoformat(), "notice-end": today.isoformat()},
    )
    assert response.status_code == 404
    assert client.get(reverse("evaluations:award_detail", args=[award.pk])).status_code == 404


def test_the_award_page_shows_the_notice_and_its_objections(tree, personas, client):
    award = put_on_notice(_reviewed_award(tree))
    objection_record(
        award=award,
        received_on=award.notice_end,
        text="反映材料不实",
        outcome="经核实不属实",
        acting_user=SYSTEM,
    )
    client.force_login(personas.district)
    with translation.override("zh-hans"):
        body = client.get(
            reverse("evaluations:award_detail", args=[award.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).content.decode()
    start, end = award.notice_start, award.notice_end
    assert f"{start.year}年{start.month}月{start.day}日" in body
    assert f"{end.year}年{end.month}月{end.day}日" in body
    assert "反映材料不实" in body and "经核实不属实" in body
    assert 'id="review-' not in body and "review-decision" not in body  # reviews closed


# The honour roll (光荣榜) ----------------------------------------------------------------


def test_the_honour_roll_is_an_xlsx_and_a_printable_page(tree, personas, client):
    award = award_create(
        org=tree.street_a,
        kind="excellent_member",
        name="优秀共产党员",
        year=TODAY().year,
        quota=5,
        acting_user=SYSTEM,
    )
    for name, approve in [("张三", True), ("李四", False)]:
        person = person_create(
            organization=tree.community_a, name=name, gender="M", acting_user=SYSTEM
        )
        nomination = nomination_create(
            award=award, person=person, deeds=f"{name}的事迹", acting_user=SYSTEM
        )
        nomination_review(nomination=nomination, approve=approve, note="名额", acting_user=SYSTEM)
    url = reverse("evaluations:honour_roll_export") + f"?award={award.pk}"
    client.force_login(personas.street_a)
    assert client.get(url).status_code == 404  # not final yet
    put_on_notice(award)
    award_publish(award=award, acting_user=SYSTEM)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    rows = [list(r) for r in load_workbook(io.BytesIO(response.content)).worksheets[0].values]
    data = [r for r in rows if r and r[0] == 1]
    assert len(data) == 1 and data[0][1:5] == [
        "张三",
        tree.community_a.name,
        "张三的事迹",
        "优秀共产党员",
    ]
    assert AuditEvent.objects.filter(action__endswith="export").exists()
    page = client.get(reverse("evaluations:award_published", args=[award.pk]) + "?print=1")
    body = page.content.decode()
    day = award.nominations.get(status=NominationStatus.PUBLISHED).published_on
    assert "张三" in body and "李四" not in body
    assert f"{day.year}年{day.month}月{day.day}日" in body
    assert 'class="mainnav"' not in body  # the sheet alone, for paper
    client.force_login(personas.street_b)  # a sibling subdistrict's list is not theirs
    assert client.get(url).status_code == 404


# A competition's winners become nominations -------------------------------------------


def _decided(tree):
    judges = [make_judge_user("wj1", tree.street_b), make_judge_user("wj2", tree.street_b)]
    a2 = make_org(tree.street_a, "A2")
    competition = make_competition(
        tree.district,
        entries=[
            (tree.community_a, "红色驿站"),
            (a2, "邻里中心"),
            (make_org(tree.street_a, "A3"), "初心小院"),
        ],
        judges=judges,
        winners=2,
    )
    marks = [("30", "40", "30"), ("25", "35", "25"), ("10", "10", "10")]
    for entry, values in zip(competition.entries.order_by("number"), marks, strict=True):
        for judge in judges:
            score_record(
                entry=entry,
                judge_user=judge,
                values=scores_for(competition, *values),
                acting_user=judge,
            )
    competition_declare_winners(competition=competition, acting_user=SYSTEM)
    return competition, a2


def test_winners_become_nominations_once(tree, personas):
    competition, a2 = _decided(tree)
    award = award_create(
        org=tree.district,
        kind="advanced_branch",
        name="先进党支部",
        year=TODAY().year,
        quota=5,
        acting_user=SYSTEM,
    )
    nomination_create(award=award, org=a2, deeds="已推荐", acting_user=SYSTEM)
    done = nominations_from_winners(
        award=award, competition=competition, acting_user=personas.district
    )
    assert [n.org for n in done.created] == [tree.community_a]
    assert done.already == 1 and done.unfit == 0
    assert done.created[0].deeds.startswith(("在", "Ranked"))
    assert "党建品牌展演" in done.created[0].deeds
    again = nominations_from_winners(
        award=award, competition=competition, acting_user=personas.district
    )
    assert again.created == [] and again.already == 2
    assert Nomination.objects.filter(award=award).count() == 2
    events = AuditEvent.objects.filter(action="nomination.from_winners")
    assert [e.changes["count"] for e in events.order_by("pk")] == [1, 0]


def test_winners_of_a_person_award_skip_brand_entries(tree):
    competition, _a2 = _decided(tree)
    award = award_create(
        org=tree.district,
        kind="excellent_member",
        name="优秀党员",
        year=TODAY().year,
        quota=5,
        acting_user=SYSTEM,
    )
    done = nominations_from_winners(award=award, competition=competition, acting_user=SYSTEM)
    assert done.created == [] and done.unfit == 2


def test_only_the_awarding_body_turns_winners_into_nominations(tree, personas, client):
    competition, _a2 = _decided(tree)
    competition_publish(competition=competition, acting_user=SYSTEM)
    award = award_create(
        org=tree.district,
        kind="advanced_branch",
        name="先进党支部",
        year=TODAY().year,
        quota=5,
        acting_user=SYSTEM,
    )
    with pytest.raises(PermissionDenied):
        nominations_from_winners(
            award=award, competition=competition, acting_user=personas.street_a
        )
    client.force_login(personas.street_b)
    url = reverse("evaluations:from_winners", args=[award.pk])
    assert client.post(url, {"winners-competition": competition.pk}).status_code == 403
    assert Nomination.objects.count() == 0
    client.force_login(personas.district)
    page = client.get(reverse("evaluations:award_detail", args=[award.pk])).content.decode()
    assert 'id="from-winners"' in page
    assert client.post(url, {"winners-competition": competition.pk}).status_code == 302
    assert Nomination.objects.filter(award=award).count() == 2
