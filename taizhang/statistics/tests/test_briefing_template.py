"""The briefing's Word file follows GB/T 9704 from the shipped docxtpl template (issue 15 §1)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile

import pytest
from django.utils import timezone, translation

from taizhang.statistics import services
from taizhang.statistics.briefing_template import DEFAULT_PATH, build_default_template, tags_of
from taizhang.statistics.documents import briefing_docx
from taizhang.statistics.periods import Period
from tests.support import PASSWORD

MARCH = Period.month(2026, 3)


def _xml(docx: bytes, part: str) -> str:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return archive.read(part).decode()


def _footer_xml(docx: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return "".join(
            archive.read(name).decode()
            for name in archive.namelist()
            if name.startswith("word/footer")
        )


def test_committed_template_is_what_the_builder_makes():
    """templates_docx/briefing.docx is regenerable: the builder's tags, in the same order."""
    built = tags_of(build_default_template())
    assert tags_of(DEFAULT_PATH.read_bytes()) == built
    assert "{{ masthead }}" in built and "{%p if appendix %}" in built
    assert "{%tr for f in figures %}" in built


@pytest.fixture
def issued(tree, personas):
    from taizhang.statistics.models import BriefingStyle

    BriefingStyle.objects.create(org=tree.district, bao="市委办公室", song="区人大常委会、区政府")
    with translation.override("zh-hans"):
        briefing = services.briefing_generate(
            acting_user=personas.district, org=tree.district, period=MARCH, include_empty=True
        )
        briefing = services.briefing_issue(acting_user=personas.district, briefing=briefing)
        full = briefing_docx(briefing)
        leader = briefing_docx(briefing, appendix=False)
    return briefing, full, leader


def test_default_template_renders_every_element(issued):
    """Masthead in red 小标宋, 第1期, 编发单位 and the Chinese date, the title, body in
    仿宋 三号 on 28 pt lines, headings in 黑体, 报/送/发 and the PAGE field 「— 1 —」."""
    briefing, full, _ = issued
    xml = _xml(full, "word/document.xml")
    org = briefing.org.short_name
    made = timezone.localdate(briefing.created_at)
    masthead = xml.split(f"{org}工作简报</w:t>")[0].rsplit("<w:r>", 1)[-1]
    assert 'w:color w:val="FF0000"' in masthead and "方正小标宋简体" in masthead
    assert "第1期" in xml and f"{org}办公室" in xml
    assert f"{made.year}年{made.month}月{made.day}日" in xml
    assert "本期简报数据统计期间为2026年3月。" in xml
    assert 'w:color="FF0000"' in xml  # the red rule under the date line
    for font in ("仿宋_GB2312", "黑体", "方正小标宋简体"):
        assert f'w:eastAsia="{font}"' in xml
    assert '<w:sz w:val="32"/>' in xml and 'w:line="560"' in xml  # 16 pt, 28 pt exactly
    # 版记: 报, 送 and 发 in order, the lines before the last kept with the next.
    bao, song, fa = (xml.index(lead) for lead in ("报：", "送：", "发："))
    assert bao < song < fa and "市委办公室" in xml
    assert xml[xml.rindex("<w:p>", 0, bao) : bao].count("<w:keepNext/>") == 1
    assert "{{" not in xml and "{%" not in xml
    footer = _footer_xml(full)
    assert "PAGE" in footer and "— " in footer and " —" in footer
    assert "附：数据来源说明" in xml and 'w:br w:type="page"' in xml


def test_leader_copy_has_no_appendix(issued, client):
    """The leader copy ends with the distribution block: no appendix, no figure table."""
    briefing, full, leader = issued
    xml = _xml(leader, "word/document.xml")
    assert "附：数据来源说明" not in xml and "<w:tbl>" not in xml
    assert "发：" in xml and "第1期" in xml
    client.login(username="district", password=PASSWORD)
    response = client.get(f"/statistics/briefings/{briefing.pk}/docx/?copy=leader")
    assert response.status_code == 200 and "leader" in response["Content-Disposition"]
    assert "附：数据来源说明" not in _xml(response.content, "word/document.xml")


@pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftotext")),
    reason="LibreOffice or poppler is not installed",
)
def test_libreoffice_prints_the_page_number(issued, tmp_path):
    """LibreOffice renders the file; its first page's footer reads — 1 —."""
    _, full, _ = issued
    source = tmp_path / "briefing.docx"
    source.write_bytes(full)
    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    assert soffice and pdftotext
    subprocess.run(  # noqa: S603 - fixed arguments, a file of our own
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    text = subprocess.run(  # noqa: S603 - fixed arguments, a file of our own
        [pdftotext, "-layout", str(tmp_path / "briefing.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    first_page = text.split("\f")[0]
    assert re.search(r"—\s*1\s*—", first_page), first_page[-200:]
    assert "第1期" in first_page
    # The 版记 is not split across pages.
    (page,) = [page for page in text.split("\f") if "发：" in page]
    assert "报：" in page and "送：" in page


def test_an_empty_distribution_line_is_left_out(tree, personas):
    """The district reports to no one by default: no 「报：」 or 「送：」 line, only 发."""
    with translation.override("zh-hans"):
        briefing = services.briefing_generate(
            acting_user=personas.district, org=tree.district, period=MARCH
        )
        xml = _xml(briefing_docx(briefing), "word/document.xml")
    assert "发：" in xml and "报：" not in xml and "送：" not in xml
