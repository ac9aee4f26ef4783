"""Journey: the district organizer runs a training class from opening to 结业."""

from __future__ import annotations

import pytest

from taizhang.activities.tests.factories import make_person
from taizhang.trainings.models import Enrollment
from tests.support import PASSWORD, make_personas, make_tree

from .conftest import log_in

TEXT = "通过四天的学习，我对新时代党支部建设有了更系统的认识，回去后要把学到的方法用到支部工作中。"


@pytest.mark.django_db(transaction=True)
def test_organizer_runs_training_class_to_graduation(live_server, page):
    """Open 第22期, allot places, add a lecture, enroll three, sign two in, hand in one
    reflection, complete: exactly the trainee who met the rule graduates, and the report
    carries the press figures; the neighbouring clerk gets a 404."""
    tree = make_tree()
    make_personas(tree)
    for name in ("王学员", "李学员", "赵学员"):
        make_person(tree.community_a, name)

    log_in(page, live_server.url, "district", PASSWORD)
    page.click("nav.mainnav >> text=培训班")
    page.wait_for_url(f"{live_server.url}/trainings/")
    page.click("text=举办培训班")
    page.select_option("#id_org", str(tree.district.pk))
    page.fill("#id_number", "22")
    page.fill("#id_title", "离退休干部党支部书记培训班")
    page.fill("#id_start_date", "2026-09-15")
    page.fill("#id_end_date", "2026-09-18")
    page.fill("#id_venue", "区委党校")
    page.fill("#id_capacity", "140")
    page.fill("#id_min_attendance_pct", "80")
    page.click("button:has-text('开班')")
    page.locator("h1", has_text="第22期离退休干部党支部书记培训班").wait_for()

    page.select_option("select[name=org]", str(tree.street_a.pk))
    page.fill("input[name=quota]", "20")
    page.click("button:has-text('分配名额')")
    page.locator(".messages", has_text="名额已分配").wait_for()

    page.click("summary:has-text('添加课程')")
    page.select_option("#id_kind", label="专题课")
    page.fill("#id_title", "新时代党支部标准化规范化建设")
    page.fill("#id_day", "2026-09-15")
    page.fill("#id_start_time", "09:00")
    page.fill("#id_end_time", "11:30")
    page.fill("#id_speaker_note", "市委党校教授")
    page.click("button:has-text('添加')")
    page.locator(".messages", has_text="课程已添加").wait_for()

    page.fill("#id_names", "王学员、李学员、赵学员")
    page.click("button:has-text('报名')")
    page.locator(".messages", has_text="学员已报名").wait_for()
    assert "学员名单（3人）" in page.content()

    page.click("text=新时代党支部标准化规范化建设")
    page.get_by_label("王学员").check()
    page.get_by_label("李学员").check()
    page.click("text=保存签到")
    page.locator(".messages", has_text="签到已保存").wait_for()
    assert "已签到：2 / 3人" in page.content()

    page.click("a.btn:has-text('学习体会')")
    page.select_option("#id_enrollment", label="王学员")
    page.fill("#id_title", "学习体会")
    page.fill("#id_text", TEXT)
    page.click("button:has-text('提交')")
    page.locator(".messages", has_text="学习体会已提交").wait_for()
    page.click("button:has-text('批阅')")
    page.locator(".messages", has_text="学习体会已批阅").wait_for()

    page.click("a.btn:has-text('课程与学员')")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('培训班结业')")
    page.locator(".messages", has_text="结业名单已确定").wait_for()
    body = page.content()
    assert "1名学员顺利结业" in body and "3名学员参加培训" in body
    assert "结业学员（1人）" in body
    graduates = Enrollment.objects.filter(graduated=True).values_list("person__name", flat=True)
    assert list(graduates) == ["王学员"]
    report_url = page.url

    page.click(".userbox .linkbtn")  # log out
    page.wait_for_load_state()
    log_in(page, live_server.url, "street_b", PASSWORD)
    response = page.goto(report_url)
    assert response is not None and response.status == 404
