"""Helpers to bring reports in and to build drafts for the review tests."""

from __future__ import annotations

from typing import Any

from taizhang.core.actors import SYSTEM
from taizhang.extraction.models import Draft, ReportIntake
from taizhang.extraction.services import intake_create

# Our own short report in the style of a subdistrict briefing (not from a sample report).
SAMPLE = """临河街道工作简报

2026年5月20日

5月12日，临河街道党工委在社区党群服务中心开展集中学习，街道党工委书记周明远领学。
5月15日，街道组织党员志愿者到滨江公园开展志愿服务活动。
今年以来，全街道累计开展主题党日活动36场，覆盖党员1200余人。
"""


def make_intake(
    org: Any, *, text: str = SAMPLE, acting_user: Any = SYSTEM, **kwargs: Any
) -> ReportIntake:
    """An intake whose extraction is queued (it runs only when on-commit callbacks do)."""
    return intake_create(
        org=org,
        title=kwargs.pop("title", "临河街道工作简报"),
        text=text,
        acting_user=acting_user,
        **kwargs,
    )


def make_draft(intake: ReportIntake, draft_kind: str = "activity", **fields: Any) -> Draft:
    """A pending draft citing the intake's first characters, as the job stores them."""
    defaults: dict[str, Any] = {
        "activity": {
            "kind": "集中学习",
            "date": "2026-05-12",
            "place": "社区党群服务中心",
            "leaders": [],
        },
        "person": {"name": "周明远", "title": "街道党工委书记"},
        "project": {"name": "滨江产业园项目", "investment_yuan": 100000000, "stage": "在建"},
    }.get(draft_kind, {})
    sentence = fields.pop("sentence", "5月12日，临河街道党工委开展集中学习。")
    return Draft.objects.create(
        intake=intake,
        kind=draft_kind,
        fields={**defaults, **fields},
        sentence=sentence,
        start=0,
        end=len(sentence),
    )


def policy_samples() -> dict[str, Any]:
    """Rows for the scope-policy conformance test and the authorization matrix."""
    return {
        "extraction.report_intake": lambda org: make_intake(org),
        "extraction.draft": lambda org: make_draft(make_intake(org)),
    }
