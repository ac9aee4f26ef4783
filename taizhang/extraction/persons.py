"""Persons with their titles: ``区委书记张伟``, ``张伟同志``, ``副区长李红霞、赵敏``,
``A部长、B局长、C主任王某`` (one person, three posts), ``甲、乙等老领导``.

Names come from the tagger (LAC's ``PER``) and from a rule for what it splits
(``主任罗永能带队``: a title, a surname, one or two characters, then a verb); a name is
kept only where the sentence treats it as a person: a title before or after it, 同志, an
enumeration with other persons, or a verb of speaking or leading right after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from taizhang.extraction.tagger import Token

# Posts and roles that end a title ("区委书记", "管委会主任", "党的二十大代表").
TITLE_WORDS = (
    "副书记|书记|副主任|主任|副部长|部长|副局长|局长|副区长|区长|副市长|市长|副县长|县长|"
    "副镇长|镇长|乡长|副省长|省长|副主席|主席|常委|委员|秘书长|总经理|副总经理|经理|董事长|"
    "理事长|会长|社长|院长|校长|所长|站长|队长|组长|处长|科长|调研员|专员|厅长|司长|总监|"
    "厂长|馆长|行长|政委|负责人|代表|老领导|领导|网格员|网格长|楼长|讲师|教授|研究员|"
    "工程师|医生|教师|老师|指导员|大使|宣讲员|乡贤|志愿者|党员|总支书记|支部书记|第一书记|"
    "主任科员|干事|主管|董事|监事|党组成员|班子成员|主委|议长|楼栋长|单元长|信息员|联络员|调解员"
)
TITLE_END = re.compile(rf"(?:{TITLE_WORDS})$")
_TITLE_AFTER = re.compile(
    rf"^(?:等)?(?P<title>[\u4e00-\u9fff“”]{{0,12}}?(?:{TITLE_WORDS}))(?:一行|们)?"
)
# What may follow a person's name in a sentence about them.
FOLLOWERS = (
    "同志|一行|等|带队|带领|指出|强调|表示|说|介绍|认为|称赞|坦言|告诉|主持|出席|参加|讲话|"
    "作|做|致辞|授课|宣讲|调研|考察|看望|慰问|陪同|要求|希望|提出|倍感|满怀|吟诗|分别|为|"
    "在|到|来到|前往|走进|深入|先后|现场|一起|和|与|及"
)
_FOLLOW = re.compile(rf"^(?:{FOLLOWERS}|[，。；：）])")
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关"
    "兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻"
    "祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿"
    "桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠"
    "惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉"
    "禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修"
    "邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴"
    "昝智幸奉植衡富尧闭由洪凃郏郗嵩"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "慕容", "令狐", "司徒", "夏侯")
# Names that stand in these set phrases are not persons of the report.
SET_PHRASES = re.compile(
    r"习近平(?:新时代|总书记|同志|生态文明|文化思想|经济思想|法治思想|外交思想|强军思想)"
)
_FALLBACK = re.compile(
    rf"(?:{TITLE_WORDS})(?P<name>[\u4e00-\u9fff]{{2,3}}?)(?=同志|一行|带队|指出|强调|表示|主持|出席|"
    r"参加|讲话|作|做|致辞|授课|调研|、|，|。|说)"
)
_LEADING = re.compile(
    r"^(?:由|在|经|与|和|同|及|向|对|请|邀请|应邀|特邀|陪同|带领|率领|会同|据|为|是|其中|包括|"
    r"如|以及|并|听取|会见|看望|慰问|迎来|还有|他|她|时任|现任|原|等)+"
)


@dataclass(frozen=True)
class Person:
    name: str
    title: str
    start: int
    end: int


def _plausible(name: str) -> bool:
    if not 2 <= len(name) <= 4:
        return False
    if name[:2] in COMPOUND_SURNAMES:
        return True
    return name[0] in SURNAMES and not re.search(r"[^\u4e00-\u9fff]", name)


_NOT_TITLE_TAGS = {"v", "vd", "p", "c", "d", "r", "u", "ad", "xc", "w", "TIME", "f"}


def _trim_title(title: str, offset: int, tokens: list[Token]) -> str:
    """Drop the verbs and particles a title clause starts with (推荐优秀党员代表 → 优秀党员代表)."""
    end = offset + len(title)
    for token in tokens:
        if token.start < offset or token.end > end:
            continue
        if token.start > offset:
            break
        if token.tag in _NOT_TITLE_TAGS and not TITLE_END.search(token.word):
            offset = token.end
    return title[len(title) - (end - offset) :] if end > offset else ""


def _title_before(
    sentence: str,
    start: int,
    names: set[tuple[int, int]],
    tokens: list[Token] = (),  # type: ignore[assignment]
) -> str:
    """The posts written right before a name, back to the clause's start; a post after
    a 、 that follows another person's name belongs to this person alone."""
    clause_start = max(sentence.rfind(c, 0, start) for c in "，。；：“”（）！？ ") + 1
    # Another person's name earlier in the clause ends it, unless a 、 follows the name
    # (then the loop below decides): "甲与总经理乙" gives 乙 the title 总经理.
    for s, e in names:
        if clause_start <= s and e < start and sentence[e : e + 1] != "、":
            clause_start = e
    clause = sentence[clause_start:start]
    if not clause:
        return ""
    parts = clause.split("、")
    kept: list[str] = []
    offset = start
    for index in range(len(parts) - 1, -1, -1):
        part = parts[index]
        offset -= len(part)
        ends_in_name = any(e == offset + len(part) and s >= offset for s, e in names)
        if index == len(parts) - 1:
            if not TITLE_END.search(part):
                return ""
        elif ends_in_name or not TITLE_END.search(part):
            break
        kept.insert(0, part)
        offset -= 1  # the 、
    title = "、".join(kept)
    title = _trim_title(title, start - len(title), list(tokens))
    title = _LEADING.sub("", title)
    title = (
        re.sub(r"^.*?(?:举办的|举行的|召开的|的)(?=[^的]{2,}$)", "", title)
        if "党的" not in title
        else title
    )
    return title if len(title) >= 2 else ""


def find_persons(sentence: str, tokens: list[Token], known: set[str] | None = None) -> list[Person]:
    """Persons named in ``sentence``; ``known`` holds names accepted elsewhere in the
    report (a later mention without a title is still the same person)."""
    known = known or set()
    spans: dict[tuple[int, int], str] = {}
    for token in tokens:
        if token.tag == "PER" and _plausible(token.word):
            spans[(token.start, token.end)] = token.word
    for match in _FALLBACK.finditer(sentence):
        name = match.group("name")
        s, e = match.start("name"), match.end("name")
        if not _plausible(name):
            continue
        for span in [sp for sp in spans if sp[0] == s and sp[1] < e]:
            del spans[span]  # the tagger cut the name short ("张延" + "能")
        if not any(a <= s < b for a, b in spans):
            spans[(s, e)] = name
    for name in known:
        for match in re.finditer(re.escape(name), sentence):
            s, e = match.span()
            for span in [sp for sp in spans if sp[0] < e and s < sp[1] and sp[1] - sp[0] < e - s]:
                del spans[span]  # a known name wins over a shorter cut of it
            if not any(a < e and s < b for a, b in spans):
                spans[(s, e)] = name
    # Names listed with 、 between two names are names too ("甲、乙、丙等").
    for _ in range(6):
        for s, e in sorted(spans):
            for match in re.finditer(r"、([\u4e00-\u9fff]{2,3})(?=、|等)", sentence[e : e + 5]):
                ns, ne = e + match.start(1), e + match.end(1)
                free = not any(a < ne and ns < b for a, b in spans)
                if match.start() == 0 and _plausible(match.group(1)) and free:
                    spans[(ns, ne)] = match.group(1)
            window = max(0, s - 5)
            back = re.search(
                r"(?:^|[，、：；。（“\s])([\u4e00-\u9fff]{2,3})、$", sentence[window:s]
            )
            if back and (window == 0 or back.start(1) > 0) and _plausible(back.group(1)):
                ns, ne = window + back.start(1), window + back.end(1)
                if not any(a < ne and ns < b for a, b in spans):
                    spans[(ns, ne)] = back.group(1)
    spans = {
        sp: n
        for sp, n in spans.items()
        if sentence[sp[0] - 1 : sp[0]] not in ("-", "—")
        and sentence[sp[1] : sp[1] + 1] not in ("-", "—")
    }
    if SET_PHRASES.search(sentence):
        for phrase in SET_PHRASES.finditer(sentence):
            spans = {sp: n for sp, n in spans.items() if not phrase.start() <= sp[0] < phrase.end()}
    ordered = sorted(spans)
    positions = set(ordered)
    found: list[Person] = []
    for index, (s, e) in enumerate(ordered):
        name = spans[(s, e)]
        title = _title_before(sentence, s, positions, tokens)
        after = sentence[e:]
        if not title:
            title_after = _TITLE_AFTER.match(after)
            if title_after and not after.startswith("同志"):
                title = title_after.group("title")
        in_list = (index > 0 and ordered[index - 1][1] == s - 1 and sentence[s - 1] == "、") or (
            index + 1 < len(ordered) and ordered[index + 1][0] == e + 1 and sentence[e] == "、"
        )
        if not (title or in_list or name in known or _FOLLOW.match(after)):
            continue
        found.append(Person(name, title, s, e))
    # An enumeration shares the title written once: before its first name or after its
    # last ("甲、乙等老领导").
    for index, person in enumerate(found):
        if person.title:
            continue
        left = index
        while left > 0 and found[left - 1].end == found[left].start - 1:
            left -= 1
        right = index
        while right + 1 < len(found) and found[right].end == found[right + 1].start - 1:
            right += 1
        if left == right:
            continue
        shared = found[left].title if left < index else ""
        if not shared and right > index:
            shared = found[right].title
        if not shared:
            title_after = _TITLE_AFTER.match(sentence[found[right].end :])
            shared = title_after.group("title") if title_after else ""
        if shared:
            found[index] = Person(person.name, shared, person.start, person.end)
    return found
