"""Ruled tables in page images: find the grid lines, then the (merged) cells.

Scanned reports print their tables with borders. The borders say exactly
which OCR boxes share a row and a column — far more reliably than box
positions alone, which break on wrapped labels, vertically printed group
labels and blank cells. A missing border between two grid cells means the
cells are merged (rowspan/colspan); the merged cell's text goes to its
top-left slot, as for HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from .base import clean_inline, join_fragments
from .layout import Token, group_lines, is_numeric, one_column_groups


@dataclass
class GridTable:
    xs: list[float]  # column boundaries, left to right
    ys: list[float]  # row boundaries, top to bottom
    owner: dict[tuple[int, int], tuple[int, int]]  # grid slot → top-left slot of its merged cell
    drawn: bool = True  # False: column borders inferred from white space, not printed

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]

    def spans(self) -> dict[tuple[int, int], tuple[int, int]]:
        """Top-left slot of each cell → its bottom-right slot."""
        out: dict[tuple[int, int], tuple[int, int]] = {}
        for (i, j), top in self.owner.items():
            i1, j1 = out.get(top, top)
            out[top] = (max(i1, i), max(j1, j))
        return out

    def contains(self, t: Token) -> bool:
        x0, y0, x1, y1 = self.bbox
        return x0 <= t.cx <= x1 and y0 <= t.cy <= y1


def _cluster(values: list[float], tol: float) -> list[float]:
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [float(np.mean(g)) for g in out]


@dataclass
class PageMasks:
    """A page's ink split into ruling lines and everything else (text, seals, specks)."""

    horiz: np.ndarray
    vert: np.ndarray
    ink: np.ndarray  # ink that is not a rule, specks left out


MIN_GLYPH = 0.35  # ink smaller than this share of a text line both ways is a speck, not a character


def binarize(gray: np.ndarray) -> np.ndarray:
    """Ink (255) against the local background, so grey pages and uneven scans binarise alike."""
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 12)


def masks(gray: np.ndarray, text_h: float) -> PageMasks:
    bw = binarize(gray)
    h, w = bw.shape
    hlen = max(int(2.5 * text_h), w // 40, 20)
    vlen = max(int(0.9 * text_h), 12)
    horiz = cv2.morphologyEx(bw, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (hlen, 1)))
    vert = cv2.morphologyEx(bw, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, vlen)))
    # close small breaks left by noise and blur
    horiz = cv2.dilate(horiz, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 3)))
    vert = cv2.dilate(vert, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 5)))
    ink = cv2.bitwise_and(bw, cv2.bitwise_not(cv2.bitwise_or(horiz, vert)))
    n, labels, st, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    big = np.maximum(st[:, 2], st[:, 3]) >= MIN_GLYPH * text_h
    big[0] = False
    return PageMasks(horiz, vert, np.where(big[labels], np.uint8(255), np.uint8(0)))


def _segments(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return [tuple(int(v) for v in stats[i][:4]) for i in range(1, n)]  # x, y, w, h


def find_tables(gray: np.ndarray, text_h: float, m: "PageMasks | None" = None,
                figures: Sequence[Token] = ()) -> list[GridTable]:
    """Ruled tables of a deskewed grayscale page; cells merged where a border is missing.

    A table ruled with horizontal lines only gets its column borders from the
    white space its rows share (``_rows_ruled``); no border cuts one of ``figures``
    (the text boxes that read as numbers).
    """
    m = m or masks(gray, text_h)
    horiz, vert = m.horiz, m.vert
    h, w = gray.shape
    frame = cv2.dilate(cv2.bitwise_or(horiz, vert), np.ones((7, 7), np.uint8))
    tables = []
    for x, y, bw, bh in _segments(frame):
        if bw < 0.25 * w or bh < 2 * text_h:
            continue
        t = _grid(horiz[y:y + bh, x:x + bw], vert[y:y + bh, x:x + bw], text_h)
        if t is None:
            continue
        t.xs = [v + x for v in t.xs]
        t.ys = [v + y for v in t.ys]
        tables.append(t)
    return tables + _rows_ruled(m, text_h, tables, figures)


MAX_ROW_LINES = 6  # a ruled row holds at most this many lines of text (wrapped labels)


def _rows_ruled(m: PageMasks, text_h: float, found: list[GridTable], figures: Sequence[Token]) -> list[GridTable]:
    """Tables ruled with horizontal lines only: stacks of long rules a few lines apart.

    Column borders are put where every row (bar a few spanning header cells) has white
    space; two rows' cells are merged where the rule between them is missing.
    """
    h, w = m.horiz.shape
    segs = sorted((s for s in _segments(m.horiz) if s[2] >= 0.25 * w), key=lambda s: s[1])
    segs = [s for s in segs if not any(t.ys[0] - text_h <= s[1] + s[3] / 2 <= t.ys[-1] + text_h for t in found)]
    stacks: list[list[tuple[int, int, int, int]]] = []
    for s in segs:
        last = stacks[-1][-1] if stacks else None
        if last is not None and s[1] - last[1] <= MAX_ROW_LINES * 1.6 * text_h and _overlap(s, stacks[-1]) >= 0.5:
            stacks[-1].append(s)
        else:
            stacks.append([s])
    out = []
    for stack in stacks:
        x0, x1 = min(s[0] for s in stack), max(s[0] + s[2] for s in stack)
        for ys in _split_at_prose(m, _cluster([y + hh / 2 for _, y, _, hh in stack], tol=0.35 * text_h),
                                  x0, x1, text_h, figures):
            t = _table_between(m, stack, ys, x0, x1, text_h, figures)
            if t is not None:
                out.append(t)
    return out


def _split_at_prose(m: PageMasks, ys: list[float], x0: int, x1: int, text_h: float,
                    figures: Sequence[Token]) -> list[list[float]]:
    """Two tables whose rules lie a heading apart: cut where a band is one run of words
    across half the width with no figure (a heading or a sentence, not a table row)."""
    groups, cur = [], [ys[0]]
    for a, b in zip(ys, ys[1:]):
        row = _row_ink(m, a, b, x0, x1, text_h)
        # one line of words: a run or a few, parted only by punctuation (no wider than a character)
        line = np.convolve(row, np.ones(int(1.5 * text_h)), mode="same") > 0
        prose = (_runs(row) <= 3 and _runs(line) == 1 and row.sum() >= 0.5 * (x1 - x0)
                 and not any(a <= f.cy <= b for f in figures))
        if prose:
            groups.append(cur)
            cur = [b]
        else:
            cur.append(b)
    return [g for g in groups + [cur] if len(g) >= 3]


def _runs(row: np.ndarray) -> int:
    return int(np.count_nonzero(np.diff(row.astype(np.int8)) == 1) + row[0])


def _row_ink(m: PageMasks, a: float, b: float, x0: int, x1: int, text_h: float) -> np.ndarray:
    """Columns of a band between two rules that hold ink, grown so a word is one run."""
    pad = max(2, int(0.15 * text_h))
    band = m.ink[int(a) + pad:int(b) - pad, x0:x1]
    if band.shape[0] < 1:
        return np.zeros(x1 - x0, bool)
    return np.convolve(band.any(axis=0), np.ones(max(3, int(0.6 * text_h)), np.uint8), mode="same") > 0


def _table_between(m: PageMasks, stack, ys: list[float], x0: int, x1: int, text_h: float,
                   figures: Sequence[Token]) -> "GridTable | None":
    # a rule that stops inside the table ends at a column border (the cell beside it is merged)
    ends = [e for sx, sy, sw, sh in stack if ys[0] - 4 <= sy + sh / 2 <= ys[-1] + 4
            for e in (sx, sx + sw) if x0 + text_h < e < x1 - text_h]
    solid = [(f.x0, f.x1) for f in figures if ys[0] <= f.cy <= ys[-1]]
    return _virtual_columns(m, ys, x0, x1, text_h, _cluster(ends, tol=0.5 * text_h), solid)


def _overlap(s: tuple[int, int, int, int], stack: list[tuple[int, int, int, int]]) -> float:
    a0, a1 = min(x for x, _, _, _ in stack), max(x + ww for x, _, ww, _ in stack)
    return (min(a1, s[0] + s[2]) - max(a0, s[0])) / max(1, min(a1 - a0, s[2]))


SPAN_SHARE = 0.2  # rows whose ink may cross a column border (cells spanning columns)


def _virtual_columns(m: PageMasks, ys: list[float], x0: int, x1: int, text_h: float, ends: list[float],
                     solid: list[tuple[float, float]]):
    """Column borders of a table without vertical rules: where its rows share white space,
    and where its rules stop short (``ends``); never through figures (``solid``) of two
    rows or more, which may be all a column holds in a table of many short parts."""
    rows = [_row_ink(m, a, b, x0, x1, text_h) for a, b in zip(ys, ys[1:])]
    inked = [r for r in rows if r.any()]
    if len(inked) < 2:
        return None
    cross = np.mean(inked, axis=0)
    figs = np.zeros(len(cross), int)
    for a, b in solid:
        figs[max(0, int(a) - x0):max(0, int(b) - x0 + 1)] += 1
    white = cross <= SPAN_SHARE
    # Right of the labels, the rows cut into the most pieces (figures, sub-headers) show
    # every column, and rows that span columns (group headers) may cross their borders
    # however many they are. Among the labels, short and long labels vary too much for that.
    columns = np.flatnonzero(figs >= 2) if (figs >= 2).any() else np.flatnonzero(figs)  # a one-row table: its figures
    if len(columns):
        pieces = [_runs(r) for r in inked]
        fine = [r for r, k in zip(inked, pieces) if k >= 0.8 * max(pieces)]
        right = np.arange(len(cross)) >= columns[0]
        white |= right & ~np.any(fine, axis=0)
    white &= figs < 2  # one stray wide box (a figure run into its unit) does not hide a border
    xs, run = [float(x0)], None
    for x in range(len(white)):
        if white[x] and run is None:
            run = x
        elif not white[x] and run is not None:
            if run > 0:
                xs.append(x0 + (run + x) / 2)
            run = None
    for e in ends:
        if all(abs(e - x) > 1.5 * text_h for x in xs):
            xs.append(e)
    xs = sorted(xs) + [float(x1)]
    cols = len(xs) - 1
    if cols < 2:
        return None
    nrows = len(ys) - 1

    def v_border(i: int, j: int) -> bool:  # white at xs[j] in row i
        x = int(round(xs[j])) - x0
        return not rows[i][max(0, x - 1):x + 2].any()

    def h_border(i: int, j: int) -> bool:
        return _ruled(m.horiz, ys[i], xs[j], xs[j + 1])

    return GridTable(xs=xs, ys=list(ys), owner=_owners(nrows, cols, v_border, h_border), drawn=False)


def _ruled(horiz: np.ndarray, y: float, xa: float, xb: float) -> bool:
    """Is there a rule at height ``y`` over most of ``xa``..``xb``?"""
    y = int(round(y))
    a, b = int(xa + 0.15 * (xb - xa)), int(xb - 0.15 * (xb - xa))
    strip = horiz[max(y - 4, 0):y + 5, a:max(b, a + 1)]
    return strip.size > 0 and (strip.max(axis=0) > 0).mean() >= 0.6


def _grid(horiz: np.ndarray, vert: np.ndarray, text_h: float):
    h, w = horiz.shape
    hsegs = [s for s in _segments(horiz) if s[2] >= 0.1 * w]
    vsegs = [s for s in _segments(vert) if s[3] >= 0.9 * text_h]
    ys = _cluster([y + hh / 2 for _, y, _, hh in hsegs], tol=0.35 * text_h)
    if len(ys) < 2:
        return None
    # a vertical stroke is a border only when both its ends meet horizontal rules
    near = lambda v: min(abs(v - yy) for yy in ys) <= 0.6 * text_h + 4
    vsegs = [s for s in vsegs if near(s[1]) and near(s[1] + s[3])]
    xs = _cluster([x + ww / 2 for x, _, ww, _ in vsegs], tol=0.35 * text_h)
    if len(xs) < 2:
        return None
    rows, cols = len(ys) - 1, len(xs) - 1
    if rows < 1 or cols < 2:
        return None

    def v_border(i: int, j: int) -> bool:  # rule at xs[j] between rows ys[i]..ys[i+1]
        x = int(round(xs[j]))
        a, b = int(ys[i] + 0.2 * (ys[i + 1] - ys[i])), int(ys[i + 1] - 0.2 * (ys[i + 1] - ys[i]))
        strip = vert[a:max(b, a + 1), max(x - 4, 0):x + 5]
        return strip.size > 0 and (strip.max(axis=1) > 0).mean() >= 0.6

    def h_border(i: int, j: int) -> bool:  # rule at ys[i] between columns xs[j]..xs[j+1]
        return _ruled(horiz, ys[i], xs[j], xs[j + 1])

    return GridTable(xs=xs, ys=ys, owner=_owners(rows, cols, v_border, h_border))


def _owners(rows: int, cols: int, v_border, h_border) -> dict[tuple[int, int], tuple[int, int]]:
    """Grid slot → top-left slot of its merged cell: slots join where no border parts them."""
    parent = {(i, j): (i, j) for i in range(rows) for j in range(cols)}

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for i in range(rows):
        for j in range(cols):
            if j + 1 < cols and not v_border(i, j + 1):
                union((i, j), (i, j + 1))
            if i + 1 < rows and not h_border(i + 1, j):
                union((i, j), (i + 1, j))
    return {k: find(k) for k in parent}


def slot(t: GridTable, x: float, y: float) -> tuple[int, int]:
    i = max(0, min(len(t.ys) - 2, int(np.searchsorted(t.ys, y) - 1)))
    j = max(0, min(len(t.xs) - 2, int(np.searchsorted(t.xs, x) - 1)))
    return i, j


def table_rows(t: GridTable, tokens: list[Token]) -> list[tuple[list[str], float, float]]:
    """Tokens inside ``t`` → rows of cell texts with each row's top and bottom."""
    by_cell: dict[tuple[int, int], list[Token]] = {}
    for tok in tokens:
        for piece, x in _pieces(t, tok):
            by_cell.setdefault(t.owner[slot(t, x, tok.cy)], []).append(piece)
    rows, cols = len(t.ys) - 1, len(t.xs) - 1
    out = []
    for i in range(rows):
        cells = []
        for j in range(cols):
            if t.owner[(i, j)] != (i, j):
                cells.append("")
                continue
            toks = by_cell.get((i, j), [])
            text = join_fragments(join_fragments(x.text for x in line) for line in group_lines(toks))
            cells.append(clean_inline(text))
        if any(cells):
            out.append((cells, t.ys[i], t.ys[i + 1]))
    keep = [j for j in range(cols) if any(r[0][j] for r in out)]
    out = [([r[j] for j in keep], top, bot) for r, top, bot in out]
    return out if t.drawn else _one_column_each_row(out)


def _one_column_each_row(rows: list[tuple[list[str], float, float]]) -> list[tuple[list[str], float, float]]:
    """Columns inferred from white space, neighbours no row fills both of taken as one when one holds figures only.

    Column borders a table does not print come from the white space its rows share; a
    column aligned cell by cell leaves two bands of it (``layout.one_column_groups``).
    """
    if len(rows) < 3:
        return rows
    cells = [r for r, _, _ in rows]
    figures_only = [all(is_numeric(r[j]) for r in cells if r[j]) for j in range(len(cells[0]))]
    groups = one_column_groups([[bool(x) for x in r] for r in cells],
                               lambda a, b: all(figures_only[j] for j in a) or all(figures_only[k] for k in b))
    return [(["".join(r[j] for j in g) for g in groups], top, bot) for r, top, bot in rows]


def _pieces(t: GridTable, tok: Token) -> list[tuple[Token, float]]:
    """A box that OCR stretched over several columns ('0 0 0') is split when its words fit them."""
    cols = [j for j in range(len(t.xs) - 1)
            if min(tok.x1, t.xs[j + 1]) - max(tok.x0, t.xs[j]) > 0.25 * (t.xs[j + 1] - t.xs[j])]
    words = tok.text.split()
    if len(cols) > 1 and len(words) == len(cols):
        return [(Token(wd, t.xs[j], tok.top, t.xs[j + 1], tok.bottom, tok.score), (t.xs[j] + t.xs[j + 1]) / 2)
                for wd, j in zip(words, cols)]
    return [(tok, tok.cx)]
