"""Split a report into its sections; read its template, agency and year.

Sections are found by their headings (一、总体情况 … 六、其他需要报告的事项)
in whatever dress they come: markdown ``#``, bold ``**``, spaced letters,
renumbered outlines. Table sections are then checked against the table's own
anchors (column labels), because tables often sit in an appendix (附表) or
under a heading the outline does not name: a table is located by what it
contains, not only by where the outline says it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from .normalise import NormalisedText, label_key
from .template import SPLIT_FORM_MARKERS


_HEADING_RE = re.compile(
    r"^[\s#*>]*(?:第\s*)?([一二三四五六七八九十]{1,3})\s*(?:[、.,，．:：]|\s)\s*\**\s*(.{2,60}?)\s*\**\s*$"
)
_HEADING_PREFIX_RE = re.compile(r"^[\s#*>]*(?:第\s*)?([一二三四五六七八九十]{1,3})\s*[、.,，．]\s*\**(.{2,40})")

_ARABIC_HEADING_RE = re.compile(r"^[\s#*>]*(\d{1,2})\s*[、.．]\s*\**([\u4e00-\u9fff].{1,38})")

# Section names by the keywords their headings carry (simplified, spaces removed).
_SECTION_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("review_litigation", ("行政复议", "行政诉讼")),
    ("applications", ("收到和处理", "依申请公开", "申请情况", "处理政府信息公开申请")),
    ("active_disclosure", ("主动公开政府信息", "主动公开情况")),
    ("overview", ("总体情况", "总体工作情况", "基本情况", "概述", "工作情况")),
    ("problems", ("存在的主要问题", "存在的问题", "主要问题", "改进情况", "下步工作", "改进措施")),
    ("other", ("其他需要报告", "其他事项", "需要报告的事项")),
)

# Words inside the tables whose lines look like headings but are rows.
_TABLE_ROW_WORDS = ("本年新收", "上年结转", "本年度办理结果", "结转下年度", "办理结果", "申请数量")


@dataclass(frozen=True)
class Section:
    name: str
    heading: Optional[str]
    start_line: int  # 1-based, inclusive
    end_line: int  # 1-based, inclusive
    text: str


def _classify_heading(title: str) -> Optional[str]:
    key = label_key(title)
    if any(w in key for w in _TABLE_ROW_WORDS):
        return None
    for name, words in _SECTION_KEYWORDS:
        if any(w in key for w in words):
            return name
    return None


def find_headings(nt: NormalisedText) -> list[tuple[int, str, str]]:
    """``(line_index, section_name, heading_text)`` for each top-level heading."""
    out = []
    for i, line in enumerate(nt.lines):
        if "\t" in line or "|" in line:
            continue
        stripped = line.strip()
        if not stripped or len(stripped) > 120:
            continue
        m = _HEADING_PREFIX_RE.match(stripped)
        if not m:
            m = _ARABIC_HEADING_RE.match(stripped)
            if not m or len(stripped) > 40 or "。" in stripped:
                continue
        title = m.group(2)
        name = _classify_heading(title)
        if name:
            out.append((i, name, stripped))
    return out


def split_sections(nt: NormalisedText) -> list[Section]:
    """Sections in document order; text before the first heading is ``preamble``."""
    heads = find_headings(nt)
    sections: list[Section] = []
    n = len(nt.lines)
    if not heads:
        return [Section("document", None, 1, n, "\n".join(nt.lines))]
    if heads[0][0] > 0:
        sections.append(Section("preamble", None, 1, heads[0][0], "\n".join(nt.lines[: heads[0][0]])))
    for k, (i, name, title) in enumerate(heads):
        end = heads[k + 1][0] if k + 1 < len(heads) else n
        sections.append(Section(name, title, i + 1, end, "\n".join(nt.lines[i:end])))
    return sections


# --- template -----------------------------------------------------------------

_T2019 = ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "采购项目数量")
_TAPP = ("本年新收政府信息公开申请", "上年结转政府信息公开申请", "本年度办理结果", "申请人情况")
LEGACY_ANCHORS = ("收到申请数", "申请办结数", "申请答复数", "统计指标", "按时办结数", "属于已主动公开范围数",
                  "不同意公开答复数", "主动公开政府信息数", "情况统计表", "同意公开答复数", "答复总数", "指标名称",
                  "计量单位", "当面申请数", "信函申请数", "网上申请数", "网络申请数", "历年累计")


def detect_template(nt: NormalisedText, year: Optional[int] = None, lines=None) -> Optional[str]:
    """``"2021"``, ``"2019"``, ``"legacy"`` or None (not a report we know).

    Read from the table's words only: prose that names them (``本年新收政府信息
    公开申请N件``) says nothing about the layout. ``lines`` are the document's
    tokenised lines when the caller has them.
    """
    if lines is None:
        from .parse.tokens import tokenize

        lines = tokenize(nt)
    text = "".join(c.text for line in lines if not any(c.kind == "prose" for c in line.cells)
                   for c in line.cells if c.kind == "label")
    # a table flattened into running text (crawled pages) is all "prose": read it whole
    return template_of_text(text, year) or template_of_text("".join(nt.lines), year)


def template_of_year(year: int) -> str:
    """The layout a report of ``year`` most likely prints (when its tables say nothing)."""
    return "legacy" if year <= 2018 else "2019" if year <= 2020 else "2021"


def template_of_text(text: str, year: Optional[int] = None) -> Optional[str]:
    """The template a text's column anchors name (also used on a section alone)."""
    flat = label_key(text)
    n2021 = sum(w in flat for w in ("本年制发件数", "本年废止件数", "现行有效件数"))
    n2019 = sum(w in flat for w in _T2019)
    napp = sum(w in flat for w in _TAPP)
    nleg = sum(w in flat for w in LEGACY_ANCHORS)
    if n2021 >= 2 or (n2021 and n2021 >= n2019):
        return "2021"
    if n2019 >= 2 or (n2019 and napp):
        return "2019"
    if napp >= 2:
        if any(w in flat for w in SPLIT_FORM_MARKERS) or (year and year >= 2021):
            return "2021"
        return "2019"
    if nleg >= 3:
        return "legacy"
    return None


def other_form_of_text(text: str, template: str) -> str:
    """Which （六） rows table 三 prints, read from its text: ``single`` or ``split``."""
    flat = label_key(text)
    if any(w in flat for w in SPLIT_FORM_MARKERS):
        return "split"
    if "其他处理" in flat:
        return "single"
    return "split" if template == "2021" else "single"
