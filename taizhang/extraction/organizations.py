"""Organizations named in a report, and their match in the organization tree.

Found from the tagger's ``ORG`` words, its ``LOC`` words that name a body (街道, 社区,
村, 党工委…), each extended over the words that continue the name (``东山区`` +
``南湖社区`` + ``第一党支部``), and from short names the report defines
(``（以下简称“蓝海科技”）``). Generic references (党中央, 省委, 市委…) are kept but
marked ``generic``: they name a body only relative to the writer.

Matching compares a name with each unit's name, short name and aliases (given, or
derived: the name without its place prefix, ``东山区委组织部`` → ``区委组织部`` →
``组织部``). Several units answering the same key is ambiguity: no ``matched_id``, the
candidates listed for a person to choose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from taizhang.extraction.tagger import Token

if TYPE_CHECKING:
    from taizhang.core.actors import Actor

SUFFIXES = (
    "股份有限公司|有限责任公司|有限公司|集团|合作社|基金会|协会|商会|学会|联合会|研究院|研究所|"
    "医院|卫生院|学校|小学|中学|高中|大学|学院|党校|幼儿园|党工委|党委|党总支|总支|党支部|支部|"
    "党组|工委|管委会|居委会|村委会|委员会|组织部|宣传部|统战部|政法委|纪委|监委|纪工委|妇联|团委|"
    "团区委|工会|总工会|政协|人大|法院|检察院|公安局|分局|派出所|局|办公室|办|中心|街道|社区|村|"
    "镇|乡|服务站|工作站|驿站|馆|站|队|支队|大队|所"
)
SUFFIX = re.compile(rf"(?:{SUFFIXES})$")
GENERIC = {
    "党中央",
    "中央",
    "中办",
    "国办",
    "国务院",
    "省委",
    "市委",
    "区委",
    "县委",
    "省政府",
    "市政府",
    "区政府",
    "县政府",
    "区委区政府",
    "市委市政府",
    "市委政府",
    "省委省政府",
    "各级党组织",
    "党组织",
    "社区",
    "村",
    "街道",
    "支部",
    "党支部",
    "基层党组织",
}
# Words the tagger calls places or bodies that name no organization.
NOT_ORGS = {
    "城中村",
    "新农村",
    "精品村",
    "美丽乡村",
    "乡村",
    "农村",
    "新时代",
    "新征程",
    "美乡村",
    "社区卫生服务中心",
    "村居",
    "村社",
    "老干部工作部门",
    "各单位",
    "各部门",
    "机关",
    "和美乡村",
    "新农村社区",
    "本社",
    "全区",
    "全市",
    "辖区",
    "宣讲队",
    "党员",
    "干部",
}
# A body named relative to the writer: "街道党工委", "镇党委", "区管委会".
GENERIC_RELATIVE = re.compile(
    r"^(?:街道|镇|乡|区|县|市|村|社区|开发区|园区)(?:党工委|党委|管委会|政府|人大|政协|纪委|党总支|党支部|居委会|村委会)$"
)
_QUOTED = re.compile(
    r"“(?P<name>[\u4e00-\u9fff]{2,16}(?:工作站|服务站|驿站|工作室|合作社|协会|基金会|联盟|服务中心|志愿服务队|食堂|书屋|之家|学堂|讲堂))”"
)
_PLACE_ORG_SUFFIX = re.compile(r"^(?:社区|街道|村|镇|乡)$")
_CONTINUES = re.compile(
    rf"^(?:第[一二三四五六七八九十\d]+)?(?:[\u4e00-\u9fff]{{0,6}}?)(?:{SUFFIXES})$"
)
_BARE = re.compile(rf"(?:{SUFFIXES})")
_DEFINED = re.compile(r"[（(]以下简称[“\"]([^”\"]{2,12})[”\"][）)]")


@dataclass(frozen=True)
class OrgMention:
    name: str
    start: int
    end: int
    generic: bool = False


_NAME_PARTS = {"n", "nz", "ORG", "vn", "j", "a"}


def _starts_org(token: Token, previous: Token | None = None) -> bool:
    if token.tag == "ORG":
        return True
    if (
        previous is not None
        and _PLACE_ORG_SUFFIX.match(token.word)
        and previous.end == token.start
        and previous.tag in ("LOC", "nz", "n")
        and 2 <= len(previous.word) <= 3
        and previous.word + token.word not in NOT_ORGS
    ):
        return True
    return (
        token.tag in ("LOC", "nz", "n") and bool(SUFFIX.search(token.word)) and len(token.word) >= 3
    )


def _continues(token: Token) -> bool:
    if token.tag == "ORG":
        return True
    return token.tag in ("LOC", "n", "nz", "vn", "m") and bool(_CONTINUES.match(token.word))


def find_organizations(
    sentence: str, tokens: list[Token], defined: Iterable[str] = ()
) -> list[OrgMention]:
    found: list[OrgMention] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if not _starts_org(token, tokens[index - 1] if index else None):
            index += 1
            continue
        first = index
        # A place right before it is part of the name ("东山区" + "南湖社区"); a bare
        # suffix takes the nouns before it ("七色豆" + "专业" + "果蔬" + "合作社").
        bare = token.tag != "ORG" and bool(_BARE.fullmatch(token.word))
        while first > 0 and tokens[first - 1].end == tokens[first].start:
            before = tokens[first - 1]
            ordinal = before.tag == "m" and bool(
                re.fullmatch(r"第[一二三四五六七八九十\d]+", before.word)
            )
            if before.tag == "LOC" or (
                bare
                and (ordinal or (before.tag in _NAME_PARTS and len(before.word) >= 2))
                and index - first < 4
            ):
                first -= 1
            else:
                break
        last = index
        while last + 1 < len(tokens):
            after = tokens[last + 1]
            if after.word in NOT_ORGS:
                break
            if _continues(after):
                last += 1
            elif (
                after.tag == "m"
                and re.fullmatch(r"第[一二三四五六七八九十\d]+", after.word)
                and last + 2 < len(tokens)
                and _continues(tokens[last + 2])
            ):
                last += 2
            else:
                break
        start, end = tokens[first].start, tokens[last].end
        name = sentence[start:end]
        index = last + 1
        if name in NOT_ORGS or name.endswith("大厦") or tokens[first].word in NOT_ORGS:
            continue
        if _BARE.fullmatch(name) and name not in GENERIC:
            continue
        if re.search(r"[^\u4e00-\u9fff\d（）()]", name):
            continue
        if not SUFFIX.search(name) and len(name) < 4 and name not in GENERIC:
            following = sentence[end : end + 4]
            if not re.match(r"等?(?:企业|公司|集团|负责人)", following):
                continue
        if re.match(r"^(?:各|全|本|该)", name):
            continue
        if (
            token.tag == "ORG"
            and not SUFFIX.search(name)
            and re.match(r"[\u4e00-\u9fff]{0,12}项目", sentence[end:])
        ):
            continue  # a company's word inside a project's name
        generic = name in GENERIC or bool(GENERIC_RELATIVE.match(name))
        found.append(OrgMention(name, start, end, generic=generic))
    for quoted in _QUOTED.finditer(sentence):
        if not any(m.start <= quoted.start("name") < m.end for m in found):
            found.append(OrgMention(quoted.group("name"), quoted.start("name"), quoted.end("name")))
    for short in defined:
        for match in re.finditer(re.escape(short), sentence):
            if not any(m.start <= match.start() < m.end for m in found):
                found.append(OrgMention(short, match.start(), match.end()))
    found.sort(key=lambda m: m.start)
    return found


def defined_short_names(text: str) -> list[str]:
    """Short names a report defines: ``（以下简称“蓝海科技”）``."""
    return _DEFINED.findall(text)


# --- matching -----------------------------------------------------------------------

_PLACE_PREFIX = re.compile(r"^[\u4e00-\u9fff]{2,5}?(?=[省市区县](?:委|政府|人民政府))")
_COMMITTEE_PREFIX = re.compile(
    r"^(?:[省市区县]委|[省市区县]政府|[区市]管委会)(?=[\u4e00-\u9fff]{2,})"
)


@dataclass(frozen=True)
class Unit:
    """One organization of the tree as matching sees it."""

    id: int
    name: str
    short_name: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    matched_id: int | None
    candidates: tuple[int, ...] = ()
    how: str = ""  # name, short_name, alias; "" when nothing matched

    @property
    def ambiguous(self) -> bool:
        return self.matched_id is None and len(self.candidates) > 1


def keys_of(unit: Unit) -> list[tuple[str, str]]:
    """(key, how) pairs a unit answers to, most specific first."""
    keys = [(unit.name, "name")]
    if unit.short_name:
        keys.append((unit.short_name, "short_name"))
    keys.extend((alias, "alias") for alias in unit.aliases)
    for base in (unit.name, unit.short_name):
        if not base:
            continue
        local = _PLACE_PREFIX.sub("", base)
        if local != base:
            keys.append((local, "alias"))
        bare = _COMMITTEE_PREFIX.sub("", local)
        if bare != local:
            keys.append((bare, "alias"))
    return keys


@dataclass
class OrgIndex:
    """Units by every key they answer to."""

    units: list[Unit]
    by_key: dict[str, dict[str, set[int]]] = field(default_factory=dict)

    by_prefix: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for unit in self.units:
            for key, how in keys_of(unit):
                self.by_key.setdefault(key, {}).setdefault(how, set()).add(unit.id)
        for key in self.by_key:
            # Names worth finding in prose: specific enough not to hit inside other words.
            if len(key) >= 4 and key not in GENERIC and not GENERIC_RELATIVE.match(key):
                self.by_prefix.setdefault(key[:2], []).append(key)
        for keys in self.by_prefix.values():
            keys.sort(key=len, reverse=True)

    def names_in(self, sentence: str) -> list[tuple[str, int, int]]:
        """The tree's names written in a sentence, longest first where they overlap: the
        tree finds what the tagger misses."""
        found: list[tuple[str, int, int]] = []
        position = 0
        while position < len(sentence) - 1:
            for key in self.by_prefix.get(sentence[position : position + 2], ()):
                if sentence.startswith(key, position):
                    found.append((key, position, position + len(key)))
                    position += len(key) - 1
                    break
            position += 1
        return found

    def match(self, name: str) -> Match:
        for candidate in (
            name,
            _PLACE_PREFIX.sub("", name),
            _COMMITTEE_PREFIX.sub("", _PLACE_PREFIX.sub("", name)),
        ):
            found = self.by_key.get(candidate)
            if not found:
                continue
            for how in ("name", "short_name", "alias"):
                ids = found.get(how)
                if not ids:
                    continue
                ordered = tuple(sorted(ids))
                if len(ordered) == 1:
                    return Match(ordered[0], ordered, how)
                return Match(None, ordered, how)
        return Match(None)


def tree_index(viewer: Actor | None = None) -> OrgIndex:
    """The organizations a viewer may see (all of them for ``SYSTEM``) as an index."""
    from taizhang.core.actors import SYSTEM
    from taizhang.organizations.selectors import organization_list

    rows = organization_list(viewer=viewer or SYSTEM).values_list("id", "name", "short_name")
    return OrgIndex([Unit(pk, name, short or "") for pk, name, short in rows])
