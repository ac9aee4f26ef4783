"""The default Word template of a briefing (GB/T 9704 layout), built with python-docx.

``build_default_template()`` returns the .docx that ``templates_docx/briefing.docx``
holds; regenerate it with ``python -m taizhang.statistics.briefing_template``. The file
is a docxtpl (Jinja) template: the context is ``documents.briefing_context``.

Layout: A4, 版心 156 × 225 mm (top 37 mm, left 28 mm); red masthead in 方正小标宋简体;
第X期; 编发单位 left and the date right; a red rule; the title in 小标宋 二号; body in
仿宋_GB2312 三号 (16 pt) with 28 pt lines; headings 黑体 三号; page numbers 「— 1 —」
(a PAGE field) in the footer; the distribution block (版记: the 报/送/发 lines that have text,
``distribution``, 4号 仿宋, between two rules, kept together on one page); then,
when ``appendix`` is true, the traced-figure appendix on a new page.
Under each section heading: its figures' sentence, then the narrative the clerk wrote
(``s.narrative``: a 楷体 label such as （一）工作动态 and its paragraphs); the appendix
ends with the corrections logged after issue (``corrections``).
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

DEFAULT_PATH = Path(__file__).parent / "templates_docx" / "briefing.docx"

XIAOBIAOSONG = "方正小标宋简体"
FANGSONG = "仿宋_GB2312"
HEITI = "黑体"
KAITI = "楷体_GB2312"
LATIN = "Times New Roman"
RED = RGBColor(0xFF, 0x00, 0x00)
TEXT_WIDTH = Mm(156)


def _run(paragraph: Any, text: str, font: str, size: float, **kw: Any) -> Any:
    run = paragraph.add_run(text)
    run.font.name = LATIN
    run.font.size = Pt(size)
    run.font.bold = kw.get("bold", False)
    if kw.get("color") is not None:
        run.font.color.rgb = kw["color"]
    fonts = run._r.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), font)
    fonts.set(qn("w:hint"), "eastAsia")
    return run


def _para(
    document: Any, align: Any = None, exact: float | None = None, indent: bool = False
) -> Any:
    paragraph = document.add_paragraph()
    fmt = paragraph.paragraph_format
    if align is not None:
        paragraph.alignment = align
    fmt.space_before = fmt.space_after = Pt(0)
    if exact:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(exact)
    if indent:
        fmt.first_line_indent = Pt(32)  # two characters of 三号
    return paragraph


def _tag(document: Any, text: str) -> None:
    """A paragraph holding only a docxtpl ``{%p … %}`` tag (removed when rendered)."""
    document.add_paragraph(text)


def _border(paragraph: Any, side: str, color: str = "000000", size: int = 6) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    edge = OxmlElement(f"w:{side}")
    for key, value in {"val": "single", "sz": str(size), "space": "1", "color": color}.items():
        edge.set(qn(f"w:{key}"), value)
    borders.append(edge)


def _page_field(paragraph: Any) -> None:
    """「— PAGE —」: a PAGE field between em dashes, 宋体 14 pt."""
    _run(paragraph, "— ", "宋体", 14)
    for kind in ("begin", None, "separate", "1", "end"):
        run = _run(paragraph, "", "宋体", 14)
        if kind in ("begin", "separate", "end"):
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif kind is None:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = " PAGE "
            run._r.append(instr)
        else:
            run.text = kind
    _run(paragraph, " —", "宋体", 14)


def build_default_template() -> bytes:
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(28)
    normal = document.styles["Normal"]
    normal.font.name = LATIN
    normal.font.size = Pt(16)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FANGSONG)

    masthead = _para(document, WD_ALIGN_PARAGRAPH.CENTER)
    masthead.paragraph_format.space_before = Pt(12)
    _run(masthead, "{{ masthead }}", XIAOBIAOSONG, 36, color=RED)
    number = _para(document, WD_ALIGN_PARAGRAPH.CENTER, exact=28)
    number.paragraph_format.space_before = Pt(14)
    _run(number, "{{ number_label }}", FANGSONG, 16)
    issuer = _para(document, exact=28)
    issuer.paragraph_format.space_before = Pt(10)
    issuer.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    _run(issuer, "{{ issuer }}\t{{ date_text }}", FANGSONG, 16)
    _border(issuer, "bottom", "FF0000", 18)  # the red rule under the date line

    title = _para(document, WD_ALIGN_PARAGRAPH.CENTER, exact=36)
    title.paragraph_format.space_before = Pt(28)
    title.paragraph_format.space_after = Pt(16)
    _run(title, "{{ title }}", XIAOBIAOSONG, 22)
    _run(_para(document, exact=28, indent=True), "{{ lead }}", FANGSONG, 16)
    _tag(document, "{%p for s in sections %}")
    _run(_para(document, exact=28, indent=True), "{{ s.heading }}", HEITI, 16)
    _run(_para(document, exact=28, indent=True), "{{ s.text }}", FANGSONG, 16)
    _tag(document, "{%p for n in s.narrative %}")
    _run(_para(document, exact=28, indent=True), "{{ n.label }}", KAITI, 16)
    _tag(document, "{%p for t in n.paragraphs %}")
    _run(_para(document, exact=28, indent=True), "{{ t }}", FANGSONG, 16)
    _tag(document, "{%p endfor %}")
    _tag(document, "{%p endfor %}")
    _tag(document, "{%p endfor %}")

    gap = _para(document, exact=28)
    gap.paragraph_format.space_before = Pt(28)
    # 版记: the 报/送/发 lines that have text, between two rules, kept on one page.
    top = _para(document, exact=2)
    _border(top, "bottom", size=8)
    _tag(document, "{%p for d in distribution %}")
    line = _para(document, exact=22)
    _run(line, "{{ d.lead }}", FANGSONG, 14)
    _run(line, "{{ d.text }}", FANGSONG, 14)
    _tag(document, "{%p endfor %}")
    bottom = _para(document, exact=2)
    _border(bottom, "top", size=8)
    for part in (top, line, bottom):
        part.paragraph_format.left_indent = Pt(14)
        part.paragraph_format.right_indent = Pt(14)
    for part in (top, line):
        part.paragraph_format.keep_with_next = True

    _tag(document, "{%p if appendix %}")
    breaker = document.add_paragraph()
    breaker.add_run().add_break(WD_BREAK.PAGE)
    _run(_para(document, exact=28), "{{ labels.appendix }}", HEITI, 16)
    _run(_para(document, exact=20), "{{ labels.note }}", KAITI, 10.5)
    table = document.add_table(rows=4, cols=6)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    keys = ["no", "figure", "printed", "definition", "records", "digest"]
    fields = ["f.no", "f.label", "f.text", "f.definition", "f.rows", "f.digest"]
    for cell, key in zip(table.rows[0].cells, keys, strict=True):
        _run(cell.paragraphs[0], "{{ labels." + key + " }}", HEITI, 9, bold=True)
    _run(table.rows[1].cells[0].paragraphs[0], "{%tr for f in figures %}", FANGSONG, 9)
    for cell, field in zip(table.rows[2].cells, fields, strict=True):
        _run(cell.paragraphs[0], "{{ " + field + " }}", FANGSONG, 9)
    _run(table.rows[3].cells[0].paragraphs[0], "{%tr endfor %}", FANGSONG, 9)
    widths = [Cm(1.0), Cm(2.8), Cm(2.6), Cm(5.8), Cm(1.4), Cm(2.0)]
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width  # the grid LibreOffice and WPS lay out by
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    _run(_para(document), "{{ labels.digest_line }}", FANGSONG, 9)
    _tag(document, "{%p if corrections %}")
    _run(_para(document, exact=28), "{{ labels.corrections }}", HEITI, 16)
    _tag(document, "{%p for c in corrections %}")
    _run(_para(document, exact=20), "{{ c }}", FANGSONG, 10.5)
    _tag(document, "{%p endfor %}")
    _tag(document, "{%p endif %}")
    _tag(document, "{%p endif %}")

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_field(footer)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


TAG = re.compile(r"\{[{%].*?[%}]\}")


def tags_of(docx: bytes) -> list[str]:
    """The Jinja tags of a template's body, in order (text joined across runs)."""
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        xml = archive.read("word/document.xml").decode()
    text = "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml))
    return TAG.findall(text)


if __name__ == "__main__":  # pragma: no cover - the regeneration script
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PATH
    target.write_bytes(build_default_template())
    print(target)
