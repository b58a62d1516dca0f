"""The pre-2019 statistics table: a list of indicators, each with a figure.

Read as a stream: an indicator label, maybe a unit (件, 万元, 人次), then its
figure. 被依法纠错数 and 其他情形数 appear under both 行政复议 and 行政诉讼,
so the block a label sits in decides its key. Indicators outside the
canonical list go to ``legacy.extra`` under their printed label.
"""

from __future__ import annotations

import re
from typing import Optional, Sequence

from ..models import Candidate
from ..models import Cell as ResultCell
from ..normalise import NormalisedText, label_key
from ..template import LEGACY_ALIASES, LEGACY_CHANNEL_WORDS, LEGACY_INDICATORS
from .tables import TableParse, make_cell
from .tokens import UNIT_TAIL_RE, Cell, Line

_PATTERNS = [(k, label_key(re.sub(r"[(（]万元[)）]", "", lab))) for k, lab in LEGACY_INDICATORS] + [
    (k, label_key(a)) for k, aliases in LEGACY_ALIASES.items() for a in aliases]
# Header words of the statistics table: never part of an indicator's label.
_HEADER_RE = re.compile(r"^(?:指标名称|统计指标|计量单位|单位|统计数|本年度|年度|\d{0,4}年度)*(?:历年累计|累计)?$")
_AMBIGUOUS = {"被依法纠错数": "corrected", "其他情形数": "other"}


def _strip_numbering(key: str) -> str:
    return re.sub(r"^(?:[一二三四五六七八九十]+|\d+)", "", key)


def match_indicator(label: str, block: Optional[str], prefix_ok: bool = True) -> Optional[str]:
    key = UNIT_TAIL_RE.sub("", _strip_numbering(label_key(label)))
    if not key or sum(w in key for w in LEGACY_CHANNEL_WORDS) >= 2:
        return None  # empty, or a row of two channels (信函、传真申请数)
    best, best_len = None, 0
    for k, pat in _PATTERNS:
        if pat in key and len(pat) > best_len:
            # a label much longer than the indicator is a different indicator that contains it
            if len(key) - len(pat) > 6 and not key.endswith(pat):
                continue
            best, best_len = k, len(pat)
    if best is None and len(key) >= 5 and prefix_ok:
        # a label cut short by wrapping: the start of exactly one indicator
        starts = {k for k, pat in _PATTERNS if pat.startswith(key)}
        if len(starts) == 1:
            best = starts.pop()
    if best in ("review_corrected", "litigation_corrected", "review_other", "litigation_other"):
        suffix = _AMBIGUOUS["被依法纠错数" if best.endswith("corrected") else "其他情形数"]
        best = f"{block or 'review'}_{suffix}"
    return best


def parse_legacy(nt: NormalisedText, lines: Sequence[Line]) -> tuple[TableParse, dict[str, ResultCell]]:
    out = TableParse()
    extra: dict[str, ResultCell] = {}
    block: Optional[str] = None
    pending: list[Cell] = []

    def emit(label_cells: list[Cell], value: Optional[Cell], alternatives: Sequence[int] = (),
             source: Optional[Cell] = None):
        nonlocal block
        label = "".join(c.text for c in label_cells)
        key = match_indicator(label, block)
        if key == "review_total":
            block = "review"
        elif key == "litigation_total":
            block = "litigation"
        elif key in ("complaints", "fees_collected", "applications_received", "proactive_total"):
            block = None
        column = key or ""
        if key and f"legacy.indicators.{key}" not in out.cells:
            if value is None and alternatives and source is not None:
                cell = make_cell(nt, source, column, ["ambiguous"])  # where the run was printed, no value yet
                cell.value = None
            else:
                cell = make_cell(nt, value, column, [] if value else ["missing"])
            cell.candidates = [Candidate(value=v, method="parser", note="one split of both columns' digits")
                               for v in alternatives]
            out.cells[f"legacy.indicators.{key}"] = cell
            out.found_rows.append(key)
        elif value is not None and not key:
            extra[re.sub(r"\s+", "", label_cells[-1].raw if len(label_cells) == 1 else "".join(c.raw for c in label_cells))] = make_cell(nt, value, "")

    held: Optional[tuple] = None  # a figure whose label named no indicator yet: its tail may follow

    def put(label_cells: list[Cell], *args, **kw):
        nonlocal held
        if held is not None:
            emit(held[0], *held[1], **held[2])
            held = None
        if match_indicator("".join(c.text for c in label_cells), block, prefix_ok=False):
            emit(label_cells, *args, **kw)
        else:
            held = (label_cells, args, kw)

    cells = [c for line in lines for c in line.cells if c.kind not in ("prose", "unit", "noise")]
    two_columns = _has_total_column(cells)
    for k, c in enumerate(cells):
        if c.kind == "label" and _HEADER_RE.fullmatch(label_key(c.text)):
            pending = []  # 指标名称 计量单位 2014年度 历年累计
            continue
        if c.kind == "label" and held is not None and _is_tail(
                held[0], c, block, k + 1 < len(cells) and cells[k + 1].kind != "label"):
            emit(held[0] + [c], *held[1], **held[2])  # 主动公开 | 条 | 156 | 政府信息数
            held = None
            continue
        if c.kind == "label":
            if pending and re.match(r"^[(（].*[)）]$", c.text) and _complete(pending, block):
                continue  # a note under the indicator, e.g. (不同渠道和方式公开相同信息计1条)
            if pending and _complete(pending, block):
                # a label without a figure: printed blank
                if match_indicator("".join(p.text for p in pending), block):
                    emit(pending, None)
                pending = []
            pending.append(c)
        elif pending:
            alone = k + 1 >= len(cells) or cells[k + 1].kind == "label"
            groups = c.text.split()
            if two_columns and alone and len(groups) == 2:  # 2543 78967: the year's figure, then the total
                put(pending, _first_group(c))
            elif two_columns and alone:  # the year's and the running total's digits run together
                value, alternatives = year_figure(c)
                put(pending, value, alternatives, source=c)
            else:
                put(pending, c)
            pending = []
    if held is not None:
        emit(held[0], *held[1], **held[2])
    return out, extra


def _is_tail(head: list[Cell], c: Cell, block: Optional[str], has_figure: bool) -> bool:
    """A label printed after its row's figure (wrapped in a narrow column).

    The head before the figure named no indicator; head and tail together
    name one. A tail that alone names another indicator is still a tail
    (``4.不 | 3 | 同意公开答复数``); one that alone names the same indicator
    is the head's only when the head is bare numbering and the tail has no
    figure of its own (``（一） | 61 | 主动公开政府信息数``)."""
    joined = match_indicator("".join(x.text for x in head) + c.text, block, prefix_ok=False)
    if joined is None:
        return False
    alone = match_indicator(c.text, block, prefix_ok=False)
    if alone is None or alone != joined:
        return True
    return not has_figure and not _strip_numbering(label_key("".join(x.text for x in head)))


# Sentences that state an indicator's figure (本年主动公开政府信息425条): they choose
# among the cuts of a run of digits, never change a printed figure.
_STATED = {
    "proactive_total": re.compile(r"主动公开(?:政府)?信息[^。;；,，\d]{0,6}?(\d+)\s*条"),
    "applications_received": re.compile(r"(?:收到|受理)[^。;；,，\d]{0,12}?申请[^。;；,，\d]{0,4}?(\d+)\s*(?:件|条)"),
    "review_total": re.compile(r"行政复议[^。;；,，\d]{0,6}?(\d+)\s*(?:件|起)"),
    "litigation_total": re.compile(r"行政诉讼[^。;；,，\d]{0,6}?(\d+)\s*(?:件|起)"),
}


def settle_by_prose(nt: NormalisedText, table_start: int, cells: dict[str, ResultCell]) -> None:
    """An indicator whose digits cut several ways, settled when the prose before
    the table states exactly one of the candidate figures for it."""
    prose = "".join(nt.lines[:table_start])
    for key, pattern in _STATED.items():
        cell = cells.get(f"legacy.indicators.{key}")
        if cell is None or "ambiguous" not in cell.flags or not cell.candidates:
            continue
        stated = {int(m.group(1)) for m in pattern.finditer(prose)}
        hits = [c for c in cell.candidates if c.value in stated]
        if len(hits) == 1:
            cell.value = hits[0].value
            cell.flags = [f for f in cell.flags if f not in ("ambiguous", "missing")] + ["settled_by_prose"]
            cell.repaired = f"the year's figure of {cell.raw!r} chosen by the figure the report states in its prose"


def _has_total_column(cells: Sequence[Cell]) -> bool:
    """Whether the table prints a running total (累计) beside the year's figure."""
    for c in cells[:40]:
        if c.kind == "label" and "累计" in label_key(c.text):
            return True
    return False


def _first_group(c: Cell) -> Cell:
    text = c.text.strip()
    first = text.split()[0]
    off = c.text.index(text)
    return Cell("value", first, c.raw.strip()[: len(first)], c.line, c.start + off, c.start + off + len(first), "number")


def year_figure(c: Cell) -> tuple[Optional[Cell], list[int]]:
    """The year's figure out of ``本年度`` and ``累计`` printed as one run of
    digits (``728`` = 7 | 28): taken when exactly one cut gives two figures
    with the year's not above the total; else None and the candidates."""
    text = c.text.strip()
    if not text.isdigit() or len(text) < 2:
        return (c if not text.isdigit() else None), []
    cuts = []
    for i in range(1, len(text)):
        a, b = text[:i], text[i:]
        if (len(a) > 1 and a[0] == "0") or (len(b) > 1 and b[0] == "0"):
            continue
        if int(a) <= int(b):
            cuts.append(i)
    if len(cuts) == 1:
        piece = Cell("value", text[: cuts[0]], c.raw.strip()[: cuts[0]], c.line, c.start, c.start + cuts[0], "number",
                     repaired=f"year's figure cut from {text!r} (本年度 | 累计)")
        return piece, []
    return None, [int(text[:i]) for i in cuts]


def _complete(cells: list[Cell], block: Optional[str]) -> bool:
    """Whether the accumulated label already names an indicator (or is a note)."""
    label = "".join(c.text for c in cells)
    if match_indicator(label, block, prefix_ok=False):  # a label cut short by wrapping goes on
        return True
    # a heading such as 一、主动公开情况 or a note in brackets: drop it
    key = label_key(label)
    return len(key) > 30
