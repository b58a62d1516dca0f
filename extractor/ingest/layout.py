"""Positioned text (PDF words, OCR boxes) → lines and tab rows in reading order.

PDF text layers and OCR both give pieces of text with coordinates and no
structure. Pieces on one baseline form a line; a wide gap inside a line is a
cell boundary; consecutive lines that look like table rows get their numbers
put into shared columns, so an empty cell stays an empty string instead of
shifting the numbers after it one column left.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from typing import Iterable, Optional

from .base import clean_inline, join_fragments


@dataclass
class Token:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    score: float = 1.0

    @property
    def h(self) -> float:
        return max(self.bottom - self.top, 1e-6)

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass
class Line:
    """One output line with its vertical place on the page (for ordering and furniture removal)."""

    text: str
    top: float
    bottom: float
    cells: int = 1
    table: Optional[int] = None  # id of the table this row belongs to
    first_row: bool = False
    x0: float = 0.0
    x1: float = 0.0


@dataclass
class _Cell:
    text: str
    x0: float
    x1: float
    tokens: list = field(default_factory=list)


_NUMERIC = re.compile(
    r"^[-+—–－]?\s*[\d０-９][\d０-９.,，．]*\s*(%|％|个|件|万元|万|元|次|项|条|人|家|篇|期|部)?$"
    r"|^(—|——|-|－|/|／|无)$"
)


def is_numeric(s: str) -> bool:
    return bool(_NUMERIC.match(s.strip()))


def group_lines(tokens: Iterable[Token]) -> list[list[Token]]:
    """Tokens → lines: a token joins a line when it overlaps the line's band by half its height."""
    lines: list[list[Token]] = []
    bands: list[tuple[float, float]] = []
    for t in sorted(tokens, key=lambda t: (t.cy, t.x0)):
        best, best_ov = None, 0.0
        for i in range(max(0, len(lines) - 4), len(lines)):
            top, bot = bands[i]
            ov = min(bot, t.bottom) - max(top, t.top)
            need = 0.5 * min(t.h, bot - top)
            if ov > need and ov > best_ov:
                best, best_ov = i, ov
        if best is None:
            lines.append([t])
            bands.append((t.top, t.bottom))
        else:
            lines[best].append(t)
            top, bot = bands[best]
            n = len(lines[best])
            bands[best] = (top + (t.top - top) / n, bot + (t.bottom - bot) / n)
    order = sorted(range(len(lines)), key=lambda i: bands[i][0])
    return [sorted(lines[i], key=lambda t: t.x0) for i in order]


def split_cells(line: list[Token], gap: float) -> list[_Cell]:
    """A line's tokens → cells: a horizontal gap wider than ``gap`` starts a new cell."""
    cells: list[_Cell] = []
    for t in line:
        if cells and t.x0 - cells[-1].x1 < gap:
            c = cells[-1]
            c.tokens.append(t)
            c.x1 = max(c.x1, t.x1)
        else:
            cells.append(_Cell("", t.x0, t.x1, [t]))
    for c in cells:
        c.text = clean_inline(join_fragments(t.text for t in c.tokens))
    return [c for c in cells if c.text]


def _is_row(cells: list[_Cell]) -> bool:
    return len(cells) >= 3 or (len(cells) == 2 and is_numeric(cells[1].text))


def _numeric_columns(rows: list[list[_Cell]], tol: float) -> list[tuple[float, float]]:
    """Column intervals from the numeric cells of a run of rows (overlapping intervals merge)."""
    spans = sorted((c.x0, c.x1) for r in rows for c in r if is_numeric(c.text))
    cols: list[list[float]] = []
    for a, b in spans:
        if cols and a <= cols[-1][1] + tol:
            cols[-1][1] = max(cols[-1][1], b)
        else:
            cols.append([a, b])
    return [(a, b) for a, b in cols]


def one_column_groups(filled: list[list[bool]], mergeable=lambda j, k: True) -> list[list[int]]:
    """Columns grouped so that neighbours no row fills both of are one column.

    A column whose cells were aligned one by one (some left or centred, some right, as Word
    tables often are) spreads over two x ranges, and so two columns; two real columns are
    filled together in some row. ``filled[row][column]``; ``mergeable(j, k)`` may refuse a pair.
    """
    ncols = len(filled[0]) if filled else 0
    groups = [[j] for j in range(ncols)]
    g = 0
    while g + 1 < len(groups):
        a, b = groups[g], groups[g + 1]
        both = any(any(r[j] for j in a) and any(r[k] for k in b) for r in filled)
        if not both and mergeable(a, b):
            groups[g:g + 2] = [a + b]
            continue
        g += 1
    return groups


def _one_column_each_row(rows: list[list[_Cell]], cols: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Figure columns of a borderless table, neighbours no row fills both of taken as one (``one_column_groups``)."""
    if len(rows) < 2:
        return cols
    filled = [[any(is_numeric(c.text) and min(c.x1, b) > max(c.x0, a) for c in r) for a, b in cols] for r in rows]
    return [(cols[g[0]][0], cols[g[-1]][1]) for g in one_column_groups(filled)]


def align_rows(rows: list[list[_Cell]], char_h: float) -> list[list[str]]:
    """Rows of one borderless table → label cells, then one slot per numeric column ('' when blank)."""
    cols = _numeric_columns(rows, tol=0.3 * char_h)
    cols = _one_column_each_row(rows, cols)
    if len(cols) < 2:
        return [[c.text for c in r] for r in rows]
    first = cols[0][0]
    out = []
    for r in rows:
        labels = [c.text for c in r if c.x1 <= first + 0.3 * char_h]
        slots = [""] * len(cols)
        for c in r:
            if c.x1 <= first + 0.3 * char_h:
                continue
            j = max(range(len(cols)), key=lambda k: min(c.x1, cols[k][1]) - max(c.x0, cols[k][0]) - 1e-3 * abs(c.x0 - cols[k][0]))
            slots[j] = f"{slots[j]} {c.text}".strip() if slots[j] else c.text
        out.append(labels + slots)
    return out


def lines_from_tokens(tokens: list[Token], page_h: float, cell_gap: float = 1.6) -> list[Line]:
    """Free text and borderless tables of one page: cells split at gaps > ``cell_gap`` × text height."""
    if not tokens:
        return []
    char_h = statistics.median(t.h for t in tokens)
    raw = []
    for line in group_lines(tokens):
        h = statistics.median(t.h for t in line)
        raw.append((line, split_cells(line, gap=cell_gap * max(h, 0.6 * char_h))))
    out: list[Line] = []
    i = 0
    while i < len(raw):
        j = i
        while j < len(raw) and _is_row(raw[j][1]):
            j += 1
        if j - i >= 2:
            grid = align_rows([c for _, c in raw[i:j]], char_h)
            for (line, cells), row in zip(raw[i:j], grid):
                out.append(_line("\t".join(row), line, page_h, len(row)))
            i = j
            continue
        line, cells = raw[i]
        if cells:
            out.append(_line("\t".join(c.text for c in cells), line, page_h, len(cells)))
        i += 1
    return reflow(out, char_h / page_h)


def _line(text: str, toks: list[Token], page_h: float, ncells: int) -> Line:
    return Line(
        text, min(t.top for t in toks) / page_h, max(t.bottom for t in toks) / page_h, ncells,
        x0=min(t.x0 for t in toks) / page_h, x1=max(t.x1 for t in toks) / page_h,
    )


_HEADING = re.compile(r"^\s*([一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[.、．]|第[一二三四五六七八九十]+[章节条]|附件|附表)")


def reflow(lines: list[Line], char_h: float) -> list[Line]:
    """Join a paragraph's wrapped lines: a full-width line followed by an unindented one.

    A sentence such as 本年新收政府信息公开申请 52 件 must not be cut in two by
    the page width; headings, indented paragraph starts and figures alone on their
    line (a table printed one cell per line, whose long labels look full-width) are
    left alone.
    """
    prose = [l for l in lines if l.cells == 1 and len(l.text) >= 8]
    if len(prose) < 2:
        return lines
    right = statistics.quantiles([l.x1 for l in prose], n=20)[-1]
    left = min(l.x0 for l in prose)
    out: list[Line] = []
    last_h = 0.0  # height of the last physical line joined into out[-1]
    for l in lines:
        prev = out[-1] if out else None
        if (
            prev is not None and prev.cells == 1 and l.cells == 1 and prev.table is None
            and prev.x1 >= right - 3.0 * char_h
            and l.x0 <= left + 0.5 * char_h
            and not _HEADING.match(l.text)
            and not is_numeric(l.text)  # a figure alone on its line is a cell (one cell per line), not a wrapped sentence's end
            and 0 <= l.top - prev.bottom <= 1.0 * char_h
            and abs((l.bottom - l.top) - last_h) <= 0.4 * char_h
        ):
            prev.text = join_fragments([prev.text, l.text])
            prev.bottom, prev.x1 = l.bottom, l.x1  # the last physical line decides what follows
            continue
        out.append(l)
        last_h = l.bottom - l.top
    return out
