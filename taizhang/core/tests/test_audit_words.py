"""The audit trail names every kind of record and every change key in Chinese (issue
18): a model without a verbose name, or a change key that is no model field, would
show as an English code on the page and in the export."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import translation

from taizhang.core.audit_display import action_label, describe, object_type_choices
from taizhang.core.models import AuditEvent

LATIN = re.compile(r"[A-Za-z]")


def _product_models():
    labels = {f"taizhang.{name}" for name in settings.TAIZHANG_MODULES}
    return [m for m in apps.get_models() if m._meta.app_config.name in labels]


def test_every_kind_of_record_has_a_chinese_name():
    with translation.override("zh-hans"):
        english = [
            m._meta.label_lower
            for m in _product_models()
            if LATIN.search(str(m._meta.verbose_name).replace("API", "").replace("Webhook", ""))
        ]
        choices = [label for _code, label in object_type_choices() if LATIN.sub("", label) == ""]
    assert english == []
    assert choices == []


@pytest.mark.parametrize(
    ("action", "object_type", "expected"),
    [
        ("reporting.assignment_send_back", "reporting.assignment", "单位填报：退回"),
        ("reporting.task_relay", "reporting.reportingtask", "填报任务：转发下级"),
        ("statistics.actual_enter", "statistics.indicatorentry", "指标实绩：录入"),
        ("training_class.quota", "trainings.trainingclass", "培训班：调整名额"),
        ("competition.declare_winners", "evaluations.competition", "评选：公布获奖名单"),
    ],
)
def test_actions_named_with_a_verb_at_the_end_read_in_chinese(action, object_type, expected):
    with translation.override("zh-hans"):
        assert action_label(action, object_type) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("object_type", "changes", "labels"),
    [
        (
            "activities.activity",
            {"count": 3, "source": "excel", "ids": [1, 3]},
            ["条数", "来源", "记录编号"],
        ),
        (
            "reporting.assignment",
            {"answers": {}, "times_sent_back": [0, 1]},
            ["填报内容", "退回次数"],
        ),
        ("reporting.reportingtask", {"fields": [], "assignments": [1]}, ["填报项目", "填报单位"]),
        ("accounts.grant", {"user": [None, 3], "listed": []}, ["用户", "指定单位"]),
        (
            "demands.demand",
            {"into": [None, 2], "requesters_moved": [None, 1]},
            ["已合并到", "转入的诉求人"],
        ),
        ("projects.project", {"50": ["2026-01-01", "2026-02-01"]}, ["开工"]),
        (
            "trainings.trainingclass",
            {"enrolled": 3, "graduates": 2, "quota": [10, 12]},
            ["参训学员", "结业学员", "名额"],
        ),
    ],
)
def test_change_keys_that_are_not_model_fields_are_named(object_type, changes, labels):
    event = AuditEvent(pk=1, action="x.update", object_type=object_type, changes=changes)
    with translation.override("zh-hans"):
        (shown,) = describe([event])
    assert [c.label for c in shown.changes] == labels


@pytest.mark.django_db
def test_a_dictionary_of_changes_reads_as_old_and_new_values():
    """A reporting task's answers are written as {item: [old, new]}: not a Python dict."""
    answers = {"本月集中学习场次": [None, "11"], "参加党员人次": ["300", "385"]}
    event = AuditEvent(
        pk=1,
        action="reporting.assignment_submit",
        object_type="reporting.assignment",
        changes={"answers": answers},
    )
    with translation.override("zh-hans"):
        (shown,) = describe([event])
    assert shown.changes_text == "填报内容：本月集中学习场次：11；参加党员人次：300 → 385"


@pytest.mark.django_db
def test_a_read_shows_what_was_asked_for_not_a_change():
    event = AuditEvent(
        pk=1,
        action="audit.read",
        object_type="core.auditevent",
        changes={"review": [None, False], "action": [None, ""], "filters": {"actor": "district"}},
    )
    with translation.override("zh-hans"):
        (shown,) = describe([event])
    assert shown.changes_text == "仅看待审阅：否；筛选条件：actor：district"
