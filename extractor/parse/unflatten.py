"""Tables flattened into running text, cut back into rows.

Crawlers often keep a page's text with every cell separator gone: table 三
becomes ``…申请人情况自然人法人或其他组织总计…一、本年新收政府信息公开申请数量
640020470二、上年结转…`` on one line. Inside the stretch of such a line where
a table's header words and row labels occur, the line is cut into pieces —
a label, then the run of figures after it — so the ordinary row parser reads
them. Nothing is added to or taken from the text: each piece keeps its true
character offsets and the printed line number, so provenance stays exact.

Figures run together (``640020470`` for 64|0|0|2|0|4|70) are split later,
by the report's own sums (``tables.align``), never here.
"""

from __future__ import annotations

import re
from typing import Optional

from ..normalise import NormalisedText, label_key
from ..template import LEGACY_ALIASES, LEGACY_INDICATORS
from .locate import TABLE_WORDS, TABLES, hits_of

MIN_LENGTH = 120  # shorter lines are not flattened tables
# A figure as printed: digits, a digit OCR'd as a lone letter (数O件, 数S其中), a
# zero word (无 before a unit or the next numbering, not 无法提供) or a dash.
_UNIT_AHEAD = r"(?=[件个项条次万元（(\d]|[一二三四五六七八九十]{1,2}、|$)"
_FIGURE = (r"(?:[+-]?\d+(?:\.\d+)?|(?<![A-Za-z])[OolISZB](?![A-Za-z])|无" + _UNIT_AHEAD
           + r"|—+|-" + _UNIT_AHEAD + r"|/)")
_UNIT = r"(?:万元|万|元|件|个|项|条|次)?"
_NUMBER_RUN_RE = re.compile(rf"{_FIGURE}{_UNIT}(?:\s*{_FIGURE}{_UNIT})*")
# A number glued to the next label's numbering: "00000002.其他法律…" ends in "2."
_NUMBERING_AFTER_RE = re.compile(r"\d[.、．](?=[\u4e00-\u9fff（(])")


# The pre-2019 statistics table's indicators and header words, beside tables 二/三/四's.
_LEGACY_PATTERNS = {(label_key(re.sub(r"[(（]万元[)）]", "", lab)), f"row:legacy.{k}") for k, lab in LEGACY_INDICATORS} | {
    (label_key(a), f"row:legacy.{k}") for k, aliases in LEGACY_ALIASES.items() for a in aliases} | {
    (w, f"head:{w}") for w in ("指标名称", "计量单位", "历年累计", "统计指标")}
_TABLE_PATTERNS = {(p, ident) for t in TABLES for p, ident in TABLE_WORDS[t]} | _LEGACY_PATTERNS
_ALL_PATTERNS = tuple(sorted({(p, ident) for p, ident in _TABLE_PATTERNS if len(p) >= 3}, key=lambda x: -len(x[0])))
# Header words that open a table (not 行政复议, which prose and table 四 share)
_OPENING_HEADS = {f"head:{w}" for w in ("指标名称", "计量单位", "统计指标", "历年累计", "信息内容", "申请人情况", "第二十条")}
WINDOW = 400  # characters in which a table's words must be dense
MIN_DENSE = 4  # distinct labels and header words in one window


def _table_stretch(line: str) -> Optional[tuple[int, int]]:
    """The stretch of a line where the tables' words are dense (prose that
    names one of them now and then is left alone)."""
    occ = sorted((m.start(), ident) for p, ident in _ALL_PATTERNS for m in re.finditer(re.escape(p), line))
    if not occ:
        return None

    def dense(k: int, step: int) -> bool:
        pos = occ[k][0]
        ids = {i for x, i in occ if (pos <= x < pos + WINDOW if step > 0 else pos - WINDOW < x <= pos)}
        return len(ids) >= MIN_DENSE

    # a header word (指标名称, 申请人情况, 第二十条) opens the stretch when one stands in it
    first = next((k for k in range(len(occ)) if occ[k][1] in _OPENING_HEADS and dense(k, 1)), None)
    if first is None:
        first = next((k for k in range(len(occ)) if dense(k, 1)), None)
    last = next((k for k in range(len(occ) - 1, -1, -1) if dense(k, -1)), None)
    if first is None or last is None or occ[last][0] < occ[first][0]:
        return None
    end = occ[last][0] + max(len(p) for p, i in _ALL_PATTERNS if i == occ[last][1] and line.startswith(p, occ[last][0]))
    return occ[first][0], end


_ROW_PATTERNS = tuple(sorted({(p, i) for p, i in _TABLE_PATTERNS if i.startswith("row:")}, key=lambda x: -len(x[0])))
_NUMBERING_BEFORE_RE = re.compile(r"(?:[一二三四五六七八九十]{1,2}[、.．]|[（(][一二三四五六七八九十]{1,2}[）)]|\d{1,2}[.、．])+$")
_SKIP_RE = re.compile(r"[\s\"'“”‘’「」『』《》<>()（）\[\]【】:：,，.。、;；!！?？*#|_·•~`-]")


def _row_starts(line: str, a: int, b: int) -> list[int]:
    """Where a row label begins inside the text ``line[a:b]`` (its numbering included).

    Labels are found with spaces and punctuation skipped (``危及“三安全一稳定”``);
    pieces of one label (``部分公开（区分处理的…）``) make one cut; a two-character
    label (规章) counts only when figures follow it.
    """
    pos = [i for i in range(a, b) if not _SKIP_RE.match(line[i])]
    key = "".join(line[i] for i in pos)
    spans: list[tuple[int, int, str]] = []
    for p, ident in _ROW_PATTERNS:
        for m in re.finditer(re.escape(p), key):
            s_, e_ = pos[m.start()], pos[m.end() - 1] + 1
            if len(p) < 3 and not re.match(r"\s*\d", line[e_:b + 1] if e_ < b else line[e_:e_ + 2]):
                continue
            spans.append((s_, e_, ident))
    spans.sort()
    starts: list[int] = []
    end, last_id = -1, None
    for s_, e_, ident in spans:
        before = line[a:s_].rstrip()
        if (before.endswith(("、", "，", ",")) and not re.search(r"\d", line[max(a, s_ - 6):s_])
                and not _NUMBERING_BEFORE_RE.search(before)):
            end = max(end, e_)
            continue  # 信函、传真申请数: one label naming two things, not two labels
        if s_ >= end and ident != last_id:
            while s_ > a and line[s_ - 1] in "（(【[":
                s_ -= 1  # the opening bracket of （七）总计
            n = _NUMBERING_BEFORE_RE.search(line[max(a, s_ - 8):s_])
            starts.append(s_ - len(n.group()) if n else s_)
            last_id = ident
        end = max(end, e_)
    return [x for x in starts if x > a]


def _is_flat_table(line: str) -> bool:
    if len(line) < MIN_LENGTH:
        return False
    key = label_key(line)
    for t in TABLES:
        ids = hits_of(key, t)
        if sum(i.startswith("row:") for i in ids) >= 3 and sum(not i.startswith("row:") for i in ids) >= 2:
            return True
    return len({i for p, i in _LEGACY_PATTERNS if i.startswith("row:") and len(p) >= 3 and p in key}) >= 4


_BEFORE_FIGURE_RE = re.compile(r"\D{0,4}?(?=[+-]?\d)")


def _pieces(line: str) -> list[tuple[int, int]]:
    """Cut the table stretch of a flattened line into label and figure pieces."""
    stretch = _table_stretch(line)
    if stretch is None:
        return [(0, len(line))]
    lo, hi = stretch
    m = _BEFORE_FIGURE_RE.match(line, hi)  # the last header (总计) before the figures
    m = _NUMBER_RUN_RE.match(line, m.end()) if m else None
    if m:
        hi = m.end()
    out: list[tuple[int, int]] = []
    if lo > 0:
        out.append((0, lo))
    pos = lo
    for m in _NUMBER_RUN_RE.finditer(line, lo, hi):
        a, b = m.start(), m.end()
        if _NUMBERING_AFTER_RE.match(line, b - 1):
            if b - a <= 2 and line[a:b].isdigit():
                continue  # a label's own numbering (1.属于国家秘密), not a figure
            b -= 1  # the last digit numbers the next label
        if a > pos:
            cuts = [pos, *_row_starts(line, pos, a), a]
            out.extend(zip(cuts, cuts[1:]))
        if b > a:
            out.append((a, b))  # figures parted by spaces stay one piece: cells, or one figure split (5 18)
        pos = b
    if pos < hi:
        cuts = [pos, *_row_starts(line, pos, hi), hi]
        out.extend(zip(cuts, cuts[1:]))
    if hi < len(line):
        out.append((hi, len(line)))
    return [(a, b) for a, b in out if line[a:b].strip()]


def unflatten(nt: NormalisedText) -> NormalisedText:
    """``nt`` with each flattened table line cut into pieces (or ``nt`` itself)."""
    if not any(_is_flat_table(line) for line in nt.lines):
        return nt
    original, lines, offsets, numbers = [], [], [], []
    for i, line in enumerate(nt.lines):
        cuts = _pieces(line) if _is_flat_table(line) else [(0, len(line))]
        for a, b in cuts:
            original.append(nt.original[i][a:b])
            lines.append(line[a:b])
            offsets.append(nt.offsets[i] + a)
            numbers.append(nt.line_number(i))
    return NormalisedText(original, lines, offsets, numbers)
