"""``taizhang ingest report FILE --json`` prints drafts and writes nothing."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from taizhang.core.models import AuditEvent

DATA = Path(__file__).resolve().parent / "data"


@pytest.mark.django_db
def test_report_prints_json_and_writes_nothing(tree):
    before = AuditEvent.objects.count()
    out = io.StringIO()
    call_command("ingest", "report", str(DATA / "s3_qingshan_training.txt"), "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert [p["name"] for p in result["persons"]][:2] == ["方国栋", "吴春梅"]
    assert {"kind": "培训", "date": "--03-11/--03-15"}.items() <= result["events"][0].items()
    assert all("matched_id" in o for o in result["organizations"])
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_organizations_are_matched_to_the_tree(tree, tmp_path):
    from taizhang.core.actors import SYSTEM
    from taizhang.organizations.models import OrgKind
    from taizhang.organizations.services import organization_create

    unit = organization_create(
        parent=tree.district,
        kind=OrgKind.ORGAN,
        code="ZZB",
        name="东山区委组织部",
        short_name="区委组织部",
        acting_user=SYSTEM,
    )
    report = tmp_path / "report.txt"
    report.write_text("5月9日，东山区委组织部召开党建工作会议。", encoding="utf-8")
    out = io.StringIO()
    call_command("ingest", "report", str(report), "--json", stdout=out)
    result = json.loads(out.getvalue())
    matched = {o["name"]: o["matched_id"] for o in result["organizations"]}
    assert matched == {"东山区委组织部": unit.pk}
    assert not any(d["kind"] == "organization" for d in result["drafts"])


def test_report_without_a_file_is_refused():
    with pytest.raises(CommandError):
        call_command("ingest", "report")


def test_evaluate_prints_the_table():
    out = io.StringIO()
    call_command("ingest", "evaluate", stdout=out)
    text = out.getvalue()
    for kind in ("persons", "organizations", "money", "dates", "events", "projects", "figures"):
        assert kind in text


def test_report_without_a_database_says_so(tmp_path, monkeypatch):
    """Without a readable tree the command asks for --no-match instead of a traceback."""
    from django.db import OperationalError

    from taizhang.extraction import organizations

    def broken(viewer=None):
        raise OperationalError("no such table")

    monkeypatch.setattr(organizations, "tree_index", broken)
    report = tmp_path / "report.txt"
    report.write_text("5月9日，东山区委召开会议。", encoding="utf-8")
    with pytest.raises(CommandError, match="--no-match"):
        call_command("ingest", "report", str(report))
    out = io.StringIO()
    call_command("ingest", "report", str(report), "--no-match", "--json", stdout=out)
    assert json.loads(out.getvalue())["events"][0]["kind"] == "会议"
