"""Clean a written report before anything is extracted from it.

Newspaper pages and web copies arrive with defects that break sentence-level rules:
full-width digits, half-width commas between Chinese words, columns wrapped every few
characters, paragraphs cut by a blank line in the middle of a sentence, photo captions
and bylines mixed into the body, several articles in one file. ``clean`` turns the raw
text into articles of body paragraphs, and ``sentences`` splits the cleaned text keeping
offsets into it, so that every draft can cite (and a page can highlight) its sentence.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# What ends a sentence (or a paragraph) in Chinese prose; a closing quote or bracket
# right after it belongs to the same sentence.
TERMINAL = "。！？；…"
CLOSERS = "”’」』）)】"
_ASCII_TO_WIDE = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
_CJK = r"\u3400-\u9fff"

# A byline: "本报记者 甲 通讯员 乙", "(记者 甲)", "（甲 乙）" at a paragraph's end, 责任编辑.
_BYLINE = re.compile(
    r"^[（(]?\s*(本报记者|记者|通讯员|责任编辑|编辑|来源|撰稿|供稿|作者|实习生)[\s:：]"
)
_LEADING_BYLINE = re.compile(r"^[（(]\s*(?:本报)?(?:记者|通讯员)[^）)]{1,30}[）)]\s*")
_CREDIT = re.compile(r"^[（(][^）)]{2,30}(?:供稿|撰稿|报道|整理)\s*[）)]$")
_NAMES_ONLY = re.compile(rf"^[（(]\s*[{_CJK}]{{2,4}}(\s+[{_CJK}]{{2,4}})*\s*[）)]$")
# Photo credits and the page furniture of web copies.
_CAPTION_MARK = re.compile(r"(摄\s*[）)]|[（(](本组图|图|摄影)[/／:：])")
_SEE_PICTURE = re.compile(r"[（(]如[上下左右]?图[）)]")
_IMAGE_FILE = re.compile(r"\.(jpe?g|png|gif|webp)\s*$", re.IGNORECASE)
_ARTICLE_START = re.compile(r"本报讯|本报[讯电]（|新华社[^，。]{0,10}电")


@dataclass
class Article:
    """One article of a report: its headings, body paragraphs, bylines and captions."""

    headings: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    bylines: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)

    @property
    def body(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass
class Cleaned:
    """The cleaned report: its articles and the body text that offsets point into."""

    articles: list[Article]
    text: str
    # (start, end) of each article's body in ``text``
    spans: list[tuple[int, int]]


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str
    article: int


def _WIDE_DIGIT_OR_LETTER(code: int) -> bool:  # noqa: N802 -- reads as the constant it is
    return 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A


def normalize(text: str) -> str:
    """Half-width digits and letters, Chinese punctuation between Chinese words, no stray
    spaces inside a Chinese line (``3月 8日`` → ``3月8日``)."""
    out = []
    for char in text:
        code = ord(char)
        if char == "\u3000":
            out.append(" ")
        elif _WIDE_DIGIT_OR_LETTER(code) or char in "\uff0e\uff05\uff0f\uff0d\uff0b":
            out.append(chr(code - 0xFEE0))
        else:
            out.append(char)
    text = unicodedata.normalize("NFC", "".join(out)).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\xa0", " ").replace("\t", " ")
    lines = []
    for line in text.split("\n"):
        line = line.strip()
        # ASCII punctuation next to a Chinese character is Chinese punctuation.
        line = re.sub(
            rf"(?<=[{_CJK}”’）\d])\s*([,;:?!])\s*(?=[{_CJK}“‘（\d])|(?<=[{_CJK}”’）])\s*([,;:?!])\s*$",
            lambda m: _ASCII_TO_WIDE[str(m.group(1) or m.group(2))],
            line,
        )
        line = re.sub(rf"\((?=[{_CJK}])", "（", line)
        line = re.sub(rf"(?<=[{_CJK}])\)", "）", line)
        # A space between a Chinese character and a digit or another Chinese character
        # is column padding; a space between words of a heading is kept.
        line = re.sub(rf"(?<=[{_CJK}])\s+(?=\d)|(?<=\d)\s+(?=[{_CJK}])", "", line)
        line = re.sub(r"(?<=[，。、：；“”（）])\s+|\s+(?=[，。、：；“”（）])", "", line)
        line = re.sub(r"\s{2,}", " ", line)
        lines.append(line)
    return "\n".join(lines)


def _ends_sentence(line: str) -> bool:
    stripped = line.rstrip(CLOSERS + " ")
    return bool(stripped) and stripped[-1] in TERMINAL


def _is_heading_like(line: str) -> bool:
    """A short line without sentence punctuation: a title, a section heading."""
    return len(line) <= 40 and not re.search(r"[，。；！？]", line)


def _is_prose(text: str) -> bool:
    return len(text) > 40 or bool(re.search(r"[，。、；：]", text))


def _is_byline(line: str) -> bool:
    return bool(_BYLINE.match(line) or _NAMES_ONLY.match(line) or _CREDIT.match(line))


@dataclass
class _Block:
    kind: str  # "para", "heading", "byline", "caption"
    text: str
    blank_before: int = 0
    image_before: bool = False


_FURNITURE = re.compile(r"\s>\s|^(责任编辑|编辑|分享到|扫一扫|打印|关闭)[:：]?")


def _raw_blocks(text: str) -> list[_Block]:
    """Lines between blank lines, with bylines, marked captions and image file names set
    apart as their own blocks."""
    blocks: list[_Block] = []
    lines: list[str] = []
    blank = 0
    image = False

    def flush() -> None:
        nonlocal lines, blank, image
        if lines:
            blocks.append(_Block("lines", "\n".join(lines), blank, image))
            lines, blank, image = [], 0, False

    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            flush()
            blank += 1
            continue
        if _IMAGE_FILE.search(line):
            flush()
            image, blank = True, 0
            continue
        if _is_byline(line) or _FURNITURE.search(line):
            flush()
            blocks.append(_Block("byline", line, blank, image))
            blank, image = 0, False
            continue
        if _CAPTION_MARK.search(line):
            flush()
            blocks.append(_Block("caption", line, blank, image))
            blank, image = 0, False
            continue
        lines.append(line)
    flush()
    return blocks


# A line that starts a sentence of a report: a date, or the phrases reports open with.
_SENTENCE_START = re.compile(
    r"^(\d{1,2}月\d{1,2}日|\d{4}年\d{1,2}月\d{1,2}日|近日|日前|今年以来|近年来|据悉)"
)
# Characters a line broken inside a sentence often ends with (…街道党工委于 / 11月12日召开).
_CONTINUES = frozenset("于在的和与及对将为是把被向从由以")


def _title_lines(lines: list[str]) -> int:
    """How many leading lines of a block are titles over a body that follows without a
    blank line (a 简报's title right above "11月12日，…"): short, unpunctuated, not ending
    in a word that carries the sentence on, and followed by a line that starts one."""
    count = 0
    while (
        count + 1 < len(lines)
        and _is_heading_like(lines[count])
        and not _ends_sentence(lines[count])
        and lines[count][-1] not in _CONTINUES
        and _SENTENCE_START.match(lines[count + 1])
    ):
        count += 1
    return count


def _blocks(text: str) -> list[_Block]:
    """Re-join lines broken inside a sentence, across line breaks and blank lines; a block
    of short unpunctuated lines that never ends a sentence is a stack of headings."""
    out: list[_Block] = []
    open_para: _Block | None = None
    for block in _raw_blocks(text):
        if block.kind != "lines":
            if block.kind == "caption" or open_para is None:
                out.append(block)
            else:
                out.append(block)  # a byline closes the paragraph before it
                out.append(open_para)
                open_para = None
            continue
        lines = block.text.split("\n")
        titles = _title_lines(lines) if open_para is None else 0
        if titles:
            out.extend(_Block("heading", line, block.blank_before) for line in lines[:titles])
            lines = lines[titles:]
            block = _Block(block.kind, "\n".join(lines), 0, block.image_before)
        joined = "".join(lines)
        if open_para is not None:
            if _ARTICLE_START.match(joined):
                out.append(open_para)
                open_para = None
            else:
                open_para.text += joined
                if _ends_sentence(joined):
                    out.append(open_para)
                    open_para = None
                continue
        if _ends_sentence(joined):
            out.append(_Block("para", joined, block.blank_before, block.image_before))
        elif all(_is_heading_like(line) for line in lines) and not re.search(r"[，。；：]", joined):
            out.extend(_Block("heading", line, block.blank_before) for line in lines)
        elif re.search(r"[，。；：]", joined) or len(joined) > 40:
            open_para = _Block("para", joined, block.blank_before, block.image_before)
        else:
            out.append(_Block("heading", joined, block.blank_before))
    if open_para is not None:
        out.append(open_para)
    return out


def _bigrams(text: str) -> set[str]:
    chars = re.sub(rf"[^{_CJK}\d]", "", text)
    return {chars[i : i + 2] for i in range(len(chars) - 1)}


def _repeats(text: str, body: list[str]) -> bool:
    """A short paragraph whose words all stand in one earlier paragraph: a caption."""
    grams = _bigrams(text)
    return bool(grams) and any(len(grams & _bigrams(p)) / len(grams) >= 0.75 for p in body)


def clean(raw: str) -> Cleaned:
    """Split a raw report into articles of body paragraphs, headings, bylines, captions."""
    blocks = _blocks(_SEE_PICTURE.sub("", normalize(raw)))
    gaps = sorted(b.blank_before for b in blocks if b.kind == "para")
    usual_gap = gaps[len(gaps) // 2] if gaps else 1
    articles: list[Article] = [Article()]
    pending_headings: list[str] = []
    for block in blocks:
        article = articles[-1]
        if block.kind == "byline":
            # Headings right before a byline, after some body: a new article begins.
            if pending_headings and article.paragraphs:
                articles.append(Article(headings=pending_headings))
                pending_headings = []
            articles[-1].bylines.append(block.text)
            continue
        if block.kind == "caption":
            article.captions.append(block.text)
            continue
        if block.kind == "heading":
            pending_headings.append(block.text)
            continue
        # Two articles run together on one line: "…。本报讯 …".
        for part in re.split(rf"(?<=[{TERMINAL}])\s*(?=(?:{_ARTICLE_START.pattern}))", block.text):
            article = articles[-1]
            if _ARTICLE_START.match(part):
                if article.paragraphs:
                    articles.append(Article())
                    article = articles[-1]
                part = _ARTICLE_START.sub("", part, count=1).lstrip(" ，：:")
            leading = _LEADING_BYLINE.match(part)
            if leading:
                article.bylines.append(leading.group(0).strip())
                part = part[leading.end() :]
            if _is_heading_like(part) and not _ends_sentence(part):
                pending_headings.append(part)
                continue
            if pending_headings:
                article.headings.extend(pending_headings)
                pending_headings = []
            trailing = re.search(rf"[（(]\s*[{_CJK}]{{2,4}}(?:\s+[{_CJK}]{{2,4}})+\s*[）)]$", part)
            if trailing and _ends_sentence(part[: trailing.start()]):
                article.bylines.append(trailing.group(0))
                part = part[: trailing.start()]
            single = len(re.findall(r"[。！？]", part)) <= 1 and len(part) <= 70
            loose = block.image_before or block.blank_before > usual_gap
            body = [p for a in articles for p in a.paragraphs]
            if (single and loose) or (len(part) <= 90 and _repeats(part, body)):
                article.captions.append(part)
                continue
            article.paragraphs.append(part)
    if pending_headings:
        articles[-1].headings.extend(pending_headings)
    articles = [a for a in articles if a.paragraphs]
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    offset = 0
    for article in articles:
        text_of_article = article.body
        spans.append((offset, offset + len(text_of_article)))
        pieces.append(text_of_article)
        offset += len(text_of_article) + 2
    return Cleaned(articles=articles, text="\n\n".join(pieces), spans=spans)


_SENTENCE_END = re.compile(rf"[{TERMINAL}][{CLOSERS}]*|\n+")


def sentences(cleaned: Cleaned) -> list[Sentence]:
    """The sentences of the cleaned text with their offsets into ``cleaned.text``."""
    found: list[Sentence] = []
    for index, (start, end) in enumerate(cleaned.spans):
        position = start
        body = cleaned.text[start:end]
        for match in _SENTENCE_END.finditer(body):
            stop = start + match.end()
            _add(found, cleaned.text, position, stop, index)
            position = stop
        _add(found, cleaned.text, position, end, index)
    return found


def _add(found: list[Sentence], text: str, start: int, end: int, article: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    begin = start + lead
    found.append(Sentence(begin, begin + len(stripped), stripped, article))
