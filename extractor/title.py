"""The issuing agency and the report year, from whatever title the report has.

Titles come as ``X2024年政府信息公开工作年度报告``, ``X关于2024年度政府信息
公开工作的报告``, ``X政府信息公开工作年度报告（2020年）``, behind a portal
prefix (``某市人民政府门户网站-某局2020年…``), split over two or three lines
(PDF text, narrow columns), with the year in Chinese numerals, or damaged by
OCR. The agency is kept as printed (simplified); when the title does not
name it, the ``发布机构``/``来源`` line or the signature block at the end does.
"""

from __future__ import annotations

import re
from typing import Optional

from .normalise import NormalisedText

_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")
_CN_DIGITS = {"〇": "0", "零": "0", "○": "0", "O": "0", "一": "1", "二": "2", "三": "3", "四": "4",
              "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_CN_YEAR_RE = re.compile(r"([二][〇零○O][〇零○O一二三四五六七八九]{2})\s*年")
_TITLE_WORDS = ("年度报告", "年报", "工作报告", "的报告", "年度工作报告", "情况报告")
_TOPIC_WORDS = ("信息公开", "政务公开")
# Where the agency's name stops: the topic of the title begins.
_AGENCY_END = ("关于", "政府信息公开", "政务公开", "信息公开", "年度报告", "工作年度")
_PORTAL_SEP_RE = re.compile(r"[-—_|｜>»]+|门户网站")
# Patterns of the title reading, compiled once (it runs on the first lines of every document).
_COMPACT_RE = re.compile(r"[#*>\s\u3000]+")
_WIDE_GAP_RE = re.compile(r"[\u3000 ]{2,}|\u3000")
_AGENCY_PREFIX_RE = re.compile(r"^(?:关于|\d+|[（(【\[《]\S{0,8}?[）)】\]》])")
_AGENCY_TAIL_RE = re.compile(r"(?:关于|度)$")
_OPEN_BRACKET_END_RE = re.compile(r"[（(【\[]$")
_DU_START_RE = re.compile(r"^度")
# A crawler's or portal's field name before the title (标题: X).
_FIELD_PREFIX_RE = re.compile(r"^(?:标题|题名|名称|文件名称|主题|文章标题)[:：]")
# Other fields of a crawler's or portal's header (栏目: 政府信息公开年报 is no title).
_OTHER_FIELD_RE = re.compile(r"^(?!标题|题名|名称|文件名称|主题|文章标题)[\u4e00-\u9fff]{1,6}[:：]")
_FIELD_RE = re.compile(r"^(?:发布机构|发文机关|发布单位|来源|信息来源|发布机关|公开主体)\s*[:：]\s*(\S{2,40})")
_AGENCY_SUFFIX_RE = re.compile(
    r"(?:人民政府|政府|办公厅|办公室|委员会|管委会|管理委员会|局|厅|委|院|署|中心|所|站|处|街道办事处|街道|镇|乡|公司|会|部|队|馆)$")
_SIGNED_RE = re.compile(r"[。；;!！]([^。；;!！\d]{2,30}?)(?:(?:19|20)\d{2})年\d{1,2}月\d{1,2}日$")
_QUOTED_TITLE_RE = re.compile(r"《([^《》]{4,60}?(?:年度报告|工作报告|年报))》")
_COMPILED_BY_RE = re.compile(r"由([^，。,；;由]{2,30}?)(?:负责)?(?:编制|汇总|编写|发布)")
# the opening sentence's subject: 2019年以来，河北省科学技术厅深入贯彻…
_OPENING_SUBJECT_RE = re.compile(r"(?:19|20)\d{2}年(?:以来|度)?[，,]((?:[\u4e00-\u9fff]{2,6}(?:省|市|自治区|县|区))[\u4e00-\u9fff]{2,20}?)"
                                 r"(?:坚持|深入|认真|全面|紧紧|围绕|按照|高度|严格|始终|进一步)")
_NAMED_TITLE_RE = re.compile(r"([\u4e00-\u9fff]{2,30}(?:19|20)\d{2}年度?政府信息公开工作(?:年度)?报告)")
_CHAPTER_WORDS = ("总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请情况", "行政复议、行政诉讼情况",
                  "存在的主要问题及改进情况", "其他需要报告的事项")
_DATE_RE = re.compile(r"^(?:(?:19|20)\d{2}|二[〇零○O][〇零○O一二三四五六七八九]{2})\s*年\s*\S{1,3}\s*月\s*\S{1,3}\s*日$")


def cn_year(s: str) -> str:
    """``二〇二〇年`` → ``2020年`` (one character for one character)."""
    return _CN_YEAR_RE.sub(lambda m: "".join(_CN_DIGITS.get(ch, ch) for ch in m.group(1)) + "年", s)


def _compact(line: str) -> str:
    return _COMPACT_RE.sub("", line)


def agency_of(text: str) -> Optional[str]:
    """The agency in a title's text before its topic (``None`` if none is printed)."""
    parts = [p for p in _PORTAL_SEP_RE.split(text) if p]
    if not parts:
        return None
    s = parts[-1]
    for j, p in enumerate(parts[:-1]):  # a portal prefix: the part naming the topic is the title
        if any(w in p for w in _TOPIC_WORDS + _TITLE_WORDS):
            s = "".join(parts[j:])
            break
    s = _AGENCY_PREFIX_RE.sub("", s)
    cut = len(s)
    for w in _AGENCY_END:
        j = s.find(w)
        if j >= 0:
            cut = min(cut, j)
    agency = s[:cut]
    if agency.endswith("人民") and s[cut:].startswith("政府"):
        agency += "政府"  # 某县人民政府信息公开… cut inside 人民政府
    agency = agency.strip("《》()（）【】[]\"“”:：,，、.。 ")
    agency = _AGENCY_TAIL_RE.sub("", agency)
    return agency if len(agency) >= 2 else None


def parse_title(title: str) -> tuple[Optional[str], Optional[int]]:
    """``(agency, year)`` of one title string."""
    s = _FIELD_PREFIX_RE.sub("", cn_year(_compact(title)))
    m = _YEAR_RE.search(s)
    if not m:
        return agency_of(s), None
    year = int(m.group(1))
    pre, post = s[: m.start()], s[m.end():]
    pre = _OPEN_BRACKET_END_RE.sub("", pre)
    agency = agency_of(pre) if pre else None
    if agency is None:
        agency = agency_of(_DU_START_RE.sub("", post))
    return agency, year


def _title_candidates(nt: NormalisedText, limit: int = 15) -> list[tuple[int, str]]:
    """The title, joined when it is split over up to three short lines."""
    lines: list[tuple[int, str]] = []
    for i, line in enumerate(nt.lines[:120]):
        # a crawled page may run title and body together, parted by wide spaces
        for part in _WIDE_GAP_RE.split(line):
            s = _compact(part)
            if s:
                lines.append((i, s))
        if len(lines) >= limit:
            break
    out = []
    for k, (i, s) in enumerate(lines):
        if len(s) > 90 or "。" in s or _OTHER_FIELD_RE.match(s):
            continue
        for n in (1, 2, 3):
            group = lines[k:k + n]
            if len(group) < n or (n > 1 and any(len(x) > 45 or "。" in x or ":" in x for _, x in group)):
                break
            joined = "".join(x for _, x in group)
            if any(w in joined for w in _TITLE_WORDS) and any(w in joined for w in _TOPIC_WORDS + ("统计表",)):
                out.append((n, i, joined))
                break
    out.sort()  # a title on one line before one joined from several
    return [(i, t) for _, i, t in out]


def _field_agency(nt: NormalisedText) -> Optional[str]:
    for line in nt.lines[:60]:
        m = _FIELD_RE.match(line.strip())
        if m:
            return m.group(1).strip("，,。")
    return None


def _signature_agency(nt: NormalisedText) -> Optional[str]:
    """The body signing the report: a name line just above the closing date,
    or the name run into the date at the end of the text (…事项无。某厅2022年1月20日)."""
    tail = [(_compact(x)) for x in nt.lines[-15:]]
    tail = [x for x in tail if x]
    for k in range(len(tail) - 1, 0, -1):
        if _DATE_RE.match(tail[k]) and 2 <= len(tail[k - 1]) <= 30 and _AGENCY_SUFFIX_RE.search(tail[k - 1]):
            return tail[k - 1]
    if tail:
        m = _SIGNED_RE.search(tail[-1])
        if m and _AGENCY_SUFFIX_RE.search(m.group(1)):
            return m.group(1)
    return None


def _prose_agency(nt: NormalisedText) -> tuple[Optional[str], Optional[int]]:
    """A report printed without its title names itself in its opening prose:
    现发布《某厅2018年度政府信息公开工作报告》, or 由某厅编制."""
    head = _compact("".join(nt.lines[:40]))[:1500]
    for m in _QUOTED_TITLE_RE.finditer(head):
        agency, year = parse_title(m.group(1))
        if agency:
            return agency, year
    tail = _compact("".join(nt.lines[-10:]))[-300:]
    for m in _NAMED_TITLE_RE.finditer(tail):  # 附件：某厅2022年政府信息公开工作年度报告
        agency, year = parse_title(m.group(1))
        if agency:
            return agency, year
    for pattern in (_COMPILED_BY_RE, _OPENING_SUBJECT_RE):
        m = pattern.search(head)
        if m and _AGENCY_SUFFIX_RE.search(m.group(1)):
            return m.group(1), None
    return None, None


def read_title(nt: NormalisedText) -> tuple[Optional[str], Optional[int], Optional[int]]:
    """``(agency, year, title_line_index)`` read from the report's title."""
    cands = _title_candidates(nt)
    parsed = [(i, *parse_title(t)) for i, t in cands]
    for pick in (lambda a, y: a and y, lambda a, y: y, lambda a, y: a):
        for i, agency, year in parsed:
            if pick(agency, year):
                if not agency:
                    agency = _field_agency(nt) or _signature_agency(nt) or _prose_agency(nt)[0]
                return agency, year, i
    agency, year = _prose_agency(nt)
    return agency or _field_agency(nt) or _signature_agency(nt), year, None


def names_itself_a_report(nt: NormalisedText) -> bool:
    """Whether the opening prose calls the document an annual report (本年度报告,
    发布…政府信息公开工作报告): a report printed without its title."""
    head = _compact("".join(nt.lines[:40]))[:800]
    own = re.sub(r"《[^《》]*》", "", head)  # a cited notice (…年度报告有关事项的通知) is not this document
    if "政府信息公开" in head and re.search(r"本年度报告|本报告|报告如下|发布《[^《》]*报告》", own):
        return True
    if re.search(r"发布《[^《》]*政府信息公开[^《》]*报告》", head):
        return True
    # or it runs through the report's own chapters (总体情况, 主动公开…, 收到和处理…申请, 复议诉讼, 问题)
    text = _compact("".join(nt.lines))
    return sum(w in text for w in _CHAPTER_WORDS) >= 3


def fallback_year(nt: NormalisedText) -> Optional[int]:
    """The report year from the statistics period or the first year mentioned."""
    text = cn_year("\n".join(nt.lines[:60]))
    m = re.search(r"((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日\s*(?:至|到|-)", text)
    if m:
        return int(m.group(1))
    m = _YEAR_RE.search(text)
    return int(m.group(1)) if m else None


def agency_context(nt: NormalisedText, title_line: Optional[int]) -> tuple[list[str], list[str]]:
    """Where a report says which division it belongs to beside its title's name: the lines around
    the title (a portal prefix or banner: 淮安市人民政府门户网站), and the report's other mentions
    of its agency (the 发布机构 line, the signature, 由…负责汇总). The canonical agency takes a
    parent from either; only a mention outvotes the title (``agency.canonical``)."""
    i = title_line if title_line is not None else 0
    near = nt.lines[max(0, i - 3): i + 4]  # a page's <title> comes first, the portal's banner after it
    head = _compact("".join(nt.lines[:40]))[:1500]
    compiled = _COMPILED_BY_RE.search(head)  # 由某县人民政府负责汇总
    mentions = [_field_agency(nt), _signature_agency(nt), compiled.group(1) if compiled else None]
    return near, [m for m in mentions if m]
