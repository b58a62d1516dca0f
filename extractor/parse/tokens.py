"""Lines → cells: the one place that knows how tables are printed as text.

A line is cut into cells by tabs, pipes (plain or markdown) or runs of two
or more spaces (text pulled from PDFs). Each cell is classed as a value
(number, blank mark, 无), a label (short text), prose, or noise (page
numbers, lone punctuation), and keeps its position for provenance.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import accumulate
from typing import Optional

from ..normalise import NormalisedText, parse_cell

_PAGE_NO_RE = re.compile(r"^\s*(?:[-—–－]\s*\d{1,3}\s*[-—–－]|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|共\s*\d{1,3}\s*页|\d{1,3}\s*/\s*\d{1,3})\s*$")
# A caption or an attachment marker (附表2, 表三, 续表, 附件1：) is no cell of the table.
_CAPTION_RE = re.compile(r"^[(（]?(?:附表|附件|续表|表)\s*[0-9一二三四五六七八九十]{0,3}\s*[:：]?\s*(?:续表?)?[)）]?$")
_NONSPACE_RE = re.compile(r"\S+")
_COMMA_RE = re.compile(r"[，,]")
_SIGNED_RUN_RE = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[+-]\d+(?:\.\d+)?)+")
_SENTENCE_RE = re.compile(r"[。；;！？]")
_FIG = r"[+-]?\d+(?:\.\d+)?(?:万元|万|个|件|项|次|条)?"
# figures one after another in one cell, apart by spaces or by their units ("0 0", "0个0 1件")
_MULTI_NUM_RE = re.compile(r"^(?:[+-]?\d+(?:\.\d+)?(?:(?:万元|万|个|件|项|次|条)\s*|\s+))+" + _FIG + "$")
_FIG_RE = re.compile(_FIG)
_LABEL_THEN_NUMS_RE = re.compile(r"^(?P<label>.*?[^\d\s.,+-])\s+(?P<nums>(?:[+-]?\d+(?:\.\d+)?(?:万元|万|个|件|项|次|条)?\s+)*[+-]?\d+(?:\.\d+)?(?:万元|万|个|件|项|次|条)?)$")
_MD_RULE_RE = re.compile(r"\s*\|?\s*[-:| ]+\s*\|?\s*")  # a markdown header rule |---|---|
_GAP_RE = re.compile(r"\S {2,}\S")
_RUN_RE = re.compile(r"\S+(?: \S+)*")
_UNIT_RE = re.compile(r"[(（]?(?:单位[:：])?(?:万元|件|条|个|次|人次)[)）]?")
_PUNCT_RE = re.compile(r"[\W_]+")
_SPLIT_DECIMAL_RE = re.compile(r"\d+\.\d+ \d+")
_NUMS_END = ("元", "万", "个", "件", "项", "次", "条")  # the units _LABEL_THEN_NUMS_RE may end in
UNIT_WORDS = {"万元", "元", "件", "条", "个", "次", "人次", "人", "项", "篇", "期", "家", "场", "部", "单位", "%"}


@dataclass
class Cell:
    kind: str  # value | blank | label | prose | unit | noise
    text: str  # normalised text of the cell (stripped)
    raw: str  # original printed text of the cell (stripped)
    line: int  # 0-based line index
    start: int  # char offsets within the line (normalised == original offsets)
    end: int
    value_kind: Optional[str] = None  # number | zero_word | blank | unreadable
    repaired: Optional[str] = None  # set when the parser cut a cell out of another
    x0: float = 0.0  # display columns (CJK counts 2) in space-aligned text, for column positions
    x1: float = 0.0


@dataclass
class Line:
    index: int
    cells: list[Cell]
    multi: bool  # printed as several cells on one line (tab, pipe, aligned)
    aligned: bool = False  # cells separated by runs of spaces (text pulled from a PDF)

    @property
    def values(self) -> list[Cell]:
        return [c for c in self.cells if c.kind in ("value", "blank")]

    @property
    def labels(self) -> list[Cell]:
        return [c for c in self.cells if c.kind == "label"]

    @property
    def is_blank(self) -> bool:
        return not self.cells


def _split(line: str) -> tuple[list[tuple[int, int]], str]:
    """Cell spans of a line and how it was cut: tab | pipe | space | single."""
    stripped = line.strip()
    if "\t" in line and not stripped:
        return [(0, 0)], "single"  # one empty cell printed alone (one-cell-per-line tables)
    if "\t" in stripped:
        sep = "\t"
    elif "|" in line and not _MD_RULE_RE.fullmatch(line):
        sep = "|"
    else:
        sep = None
    spans: list[tuple[int, int]] = []
    if sep:
        pos = 0
        for part in line.split(sep):
            spans.append((pos, pos + len(part)))
            pos += len(part) + 1
        if sep == "|":  # markdown rows open and close with a pipe
            if spans and not line[spans[0][0]:spans[0][1]].strip():
                spans = spans[1:]
            if spans and line.rstrip().endswith("|") and not line[spans[-1][0]:spans[-1][1]].strip():
                spans = spans[:-1]
        else:  # an indented row: the empty label column is not a cell
            while spans and not line[spans[0][0]:spans[0][1]].strip():
                spans = spans[1:]
        return spans, "tab" if sep == "\t" else "pipe"
    if "  " in stripped and _GAP_RE.search(stripped):
        for m in _RUN_RE.finditer(line):
            spans.append((m.start(), m.end()))
        return spans, "space" if len(spans) > 1 else "single"
    if not stripped:
        return [], "single"
    start = line.index(stripped)
    return [(start, start + len(stripped))], "single"


@lru_cache(maxsize=65536)
def _classify(text: str) -> tuple[str, Optional[str]]:
    if not text:
        return "blank", "blank"
    if len(text) > 60:
        return "prose", None  # no figure, unit or label is that long
    if _PAGE_NO_RE.match(text) or _CAPTION_RE.match(text):
        return "noise", None
    if text in UNIT_WORDS or _UNIT_RE.fullmatch(text):
        return "unit", None
    p = parse_cell(text)
    if p.kind == "number":
        return "value", "number"
    if p.kind == "zero_word":
        return "value", "zero_word"
    if p.kind == "blank":
        return "blank", "blank"
    if p.kind == "unreadable" or _SIGNED_RUN_RE.fullmatch(text):
        return "value", "unreadable"  # figures run together across a sign (2648-18538) are figures
    if len(text) > 60 or _SENTENCE_RE.search(text) or (len(text) > 40 and len(_COMMA_RE.findall(text)) >= 2):
        return "prose", None
    if _PUNCT_RE.fullmatch(text):
        return "noise", None
    return "label", None


def _cells_of(line: str, orig: str, i: int, start: int, end: int) -> list[Cell]:
    """The cells of one span of line ``i`` (``line`` normalised, ``orig`` as printed)."""
    norm = line[start:end]
    norm_s = norm.strip()
    lead = 0 if len(norm_s) == len(norm) else len(norm) - len(norm.lstrip())
    s0, s1 = start + lead, start + lead + len(norm_s)
    kind, vk = _classify(norm_s)
    if (kind == "label" or kind == "prose" or vk == "unreadable") and len(norm_s) <= 80 and (
            norm_s[-1:].isdigit() or norm_s[-1:] in _NUMS_END):  # both patterns end in a figure or its unit
        # "规章 0 0 0", "0 0 0" or "0个0": a label and its numbers, or several figures, in one cell
        if _MULTI_NUM_RE.match(norm_s) and not _SPLIT_DECIMAL_RE.fullmatch(norm_s):
            return [_sub(line, orig, i, s0 + m.start(), s0 + m.end()) for m in _FIG_RE.finditer(norm_s)]
        m = _LABEL_THEN_NUMS_RE.match(norm_s)
        if m and len(m.group("label")) <= 40 and not _SENTENCE_RE.search(m.group("label")):
            out = [_sub(line, orig, i, s0 + m.start("label"), s0 + m.end("label"))]
            out += [_sub(line, orig, i, s0 + m.start("nums") + x.start(), s0 + m.start("nums") + x.end())
                    for x in _NONSPACE_RE.finditer(m.group("nums"))]
            return out
    return [Cell(kind, norm_s, orig[start:end].strip(), i, s0, s1, vk)]


def _sub(line: str, orig: str, i: int, a: int, b: int) -> Cell:
    norm = line[a:b]
    kind, vk = _classify(norm)
    return Cell(kind, norm, orig[a:b], i, a, b, vk)


def tokenize(nt: NormalisedText, start: int = 0, end: Optional[int] = None) -> list[Line]:
    """Cells of lines ``start``..``end`` (0-based, end exclusive)."""
    end = len(nt.lines) if end is None else end
    out = []
    lines, original = nt.lines, nt.original
    for i in range(start, end):
        line, orig = lines[i], original[i]
        spans, mode = _split(line)
        multi = mode != "single"
        if len(spans) == 1:
            cells = _cells_of(line, orig, i, *spans[0])
        else:
            cells = []
            for a, b in spans:
                cells.extend(_cells_of(line, orig, i, a, b))
        if mode == "space" or (cells and line[:1] in (" ", "\u3000")):
            # as printed: （ is wide, ( is not; an indented lone cell keeps its column too
            _display_columns(orig, cells)
        if multi and all(c.kind == "blank" for c in cells):
            cells = []
        cells = [c for c in cells if c.kind != "noise"]
        if len(cells) > 1:
            multi = True
            cells = _stray_marks(cells)
        out.append(Line(i, cells, multi, mode == "space"))
    return out


_HAN_RE = re.compile(r"[\u3400-\u9fff]")


def _stray_marks(cells: list[Cell]) -> list[Cell]:
    """A figure row's cells with the marks OCR left in it read as what they stand for.

    OCR reads a seal or signature stamped over the last cells as Latin letters (``N``,
    ``Han``), and a damaged figure as a letter with no digit look-alike (``é.``, ``W``).
    A row label is always Chinese, so a cell with no Chinese character is no label: after
    the row's figures (empty fields may follow it) it is dropped, and between two figures it
    stands in a figure's column, an unreadable figure. Read as text, it would end the
    figures before it and the row would lose them.
    """
    at = [k for k, c in enumerate(cells) if c.kind == "value"]
    if not at:
        return cells

    def stray(c: Cell) -> bool:
        return c.kind == "label" and not _HAN_RE.search(c.text)

    out = [replace(c, kind="value", value_kind="unreadable") if at[0] < k < at[-1] and stray(c) else c
           for k, c in enumerate(cells)]
    end = len(out)
    while end > at[-1] + 1 and (stray(out[end - 1]) or out[end - 1].kind == "blank"):
        end -= 1  # the trailing run of marks and empty fields
    return out[:end] + [c for c in out[end:] if not stray(c)]  # empty fields keep their places


def separator(line: str) -> Optional[str]:
    """The cell separator of a tab or pipe row (None for other lines)."""
    return "\t" if "\t" in line else ("|" if "|" in line else None)


def field_index(line: str, cell: Cell) -> int:
    """Which field of its tab or pipe row a cell stands in (empty fields count)."""
    return line[: cell.start].count(separator(line) or "\t")


# A unit printed after a label (自然人（件）, 主动公开文件数条): not part of its name.
UNIT_TAIL_RE = re.compile(r"(?:人次|万元|条|件|项|个|次|元)$")


@lru_cache(maxsize=None)
def _char_width(ch: str) -> int:
    """Display columns of one character (cached: a document repeats few characters)."""
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def _display_columns(line: str, cells: list[Cell]) -> None:
    """Set each cell's display columns: wide (CJK) characters count two."""
    widths = [0, *accumulate(map(_char_width, line))]
    for c in cells:
        c.x0, c.x1 = widths[c.start], widths[c.end]
