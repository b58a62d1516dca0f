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

import cv2
import numpy as np

from .base import clean_inline, join_fragments
from .layout import Token, group_lines


@dataclass
class GridTable:
    xs: list[float]  # column boundaries, left to right
    ys: list[float]  # row boundaries, top to bottom
    owner: dict[tuple[int, int], tuple[int, int]]  # grid slot → top-left slot of its merged cell

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]

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


def _masks(gray: np.ndarray, text_h: float) -> tuple[np.ndarray, np.ndarray]:
    bw = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 12)
    h, w = bw.shape
    hlen = max(int(2.5 * text_h), w // 40, 20)
    vlen = max(int(0.9 * text_h), 12)
    horiz = cv2.morphologyEx(bw, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (hlen, 1)))
    vert = cv2.morphologyEx(bw, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, vlen)))
    # close small breaks left by noise and blur
    horiz = cv2.dilate(horiz, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 3)))
    vert = cv2.dilate(vert, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 5)))
    return horiz, vert


def _segments(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return [tuple(int(v) for v in stats[i][:4]) for i in range(1, n)]  # x, y, w, h


def find_tables(gray: np.ndarray, text_h: float) -> list[GridTable]:
    """Ruled tables of a deskewed grayscale page; cells merged where a border is missing."""
    horiz, vert = _masks(gray, text_h)
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
    return tables


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
        y = int(round(ys[i]))
        a, b = int(xs[j] + 0.15 * (xs[j + 1] - xs[j])), int(xs[j + 1] - 0.15 * (xs[j + 1] - xs[j]))
        strip = horiz[max(y - 4, 0):y + 5, a:max(b, a + 1)]
        return strip.size > 0 and (strip.max(axis=0) > 0).mean() >= 0.6

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
    owner = {k: find(k) for k in parent}
    return GridTable(xs=xs, ys=ys, owner=owner)


def _slot(t: GridTable, x: float, y: float) -> tuple[int, int]:
    i = max(0, min(len(t.ys) - 2, int(np.searchsorted(t.ys, y) - 1)))
    j = max(0, min(len(t.xs) - 2, int(np.searchsorted(t.xs, x) - 1)))
    return i, j


def table_rows(t: GridTable, tokens: list[Token]) -> list[tuple[list[str], float, float]]:
    """Tokens inside ``t`` → rows of cell texts with each row's top and bottom."""
    by_cell: dict[tuple[int, int], list[Token]] = {}
    for tok in tokens:
        for piece, x in _pieces(t, tok):
            by_cell.setdefault(t.owner[_slot(t, x, tok.cy)], []).append(piece)
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
    return [([r[j] for j in keep], top, bot) for r, top, bot in out]


def _pieces(t: GridTable, tok: Token) -> list[tuple[Token, float]]:
    """A box that OCR stretched over several columns ('0 0 0') is split when its words fit them."""
    cols = [j for j in range(len(t.xs) - 1)
            if min(tok.x1, t.xs[j + 1]) - max(tok.x0, t.xs[j]) > 0.25 * (t.xs[j + 1] - t.xs[j])]
    words = tok.text.split()
    if len(cols) > 1 and len(words) == len(cols):
        return [(Token(wd, t.xs[j], tok.top, t.xs[j + 1], tok.bottom, tok.score), (t.xs[j] + t.xs[j + 1]) / 2)
                for wd, j in zip(words, cols)]
    return [(tok, tok.cx)]
