"""Cells → logical rows → template rows.

Rows are assembled from lines whatever the layout (a label and its numbers
on one line, a label then one number per line, a label wrapped over lines or
printed one character per line), then matched to the template's rows by
their labels: containment of a known label first, then character-bigram
similarity for OCR-damaged labels, under a monotone alignment that keeps the
template's row order. A missing row therefore leaves a gap; it never shifts
the rows after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Optional, Sequence

from ..normalise import label_key
from ..template import Row
from .tokens import Cell, Line

MATCH_THRESHOLD = 0.6


@dataclass
class LogicalRow:
    labels: list[Cell] = field(default_factory=list)  # its own label cells
    prefix: list[Cell] = field(default_factory=list)  # label-only lines just before it
    values: list[Cell] = field(default_factory=list)  # value and blank cells, in order
    multi: bool = False  # values came from one multi-cell line (blanks are positional)
    suffix: list[Cell] = field(default_factory=list)  # label-only lines just after its values (a wrapped tail)

    @property
    def label(self) -> str:
        return "".join(c.text for c in self.labels)

    @property
    def full_label(self) -> str:
        return "".join(c.text for c in self.prefix) + self.label

    @property
    def label_with_suffix(self) -> str:
        return self.label + "".join(c.text for c in self.suffix)

    @property
    def first_line(self) -> int:
        cells = self.labels or self.values
        return cells[0].line if cells else -1


@lru_cache(maxsize=65536)
def _is_strong(text: str, patterns: tuple[str, ...]) -> bool:
    """The label alone names a row (a pattern of 3+ characters is in it)."""
    key = label_key(text)
    return any(p in key for p in patterns)


def assemble(lines: Sequence[Line], strong: Sequence[Sequence[str]] = ()) -> list[LogicalRow]:
    """Logical rows (each with values) from tokenised lines."""
    strong = tuple(sorted({p for pats in strong for p in pats if len(p) >= 3}))
    rows: list[LogicalRow] = []
    pending: list[Cell] = []
    cur: Optional[LogicalRow] = None
    tail_of: Optional[LogicalRow] = None  # the row whose figures were the last thing read

    def close():
        nonlocal cur
        if cur is not None and any(v.kind == "value" for v in cur.values):
            rows.append(cur)  # a run of blank cells alone (empty label columns) is no row
        cur = None

    sealed = False  # an empty line after one-cell-per-line figures: the row is over
    for line in lines:
        if line.is_blank:
            sealed = cur is not None and bool(cur.values)
            continue
        kinds = {c.kind for c in line.cells}
        if "prose" in kinds and not (kinds & {"value"}):
            close()
            pending = []
            tail_of = None
            continue
        cells = [c for c in line.cells if c.kind in ("label", "value", "blank")]
        if line.multi:
            labels = [c for c in cells if c.kind == "label"]
            last_label = max((k for k, c in enumerate(cells) if c.kind == "label"), default=-1)
            values = [c for c in cells[last_label + 1:] if c.kind in ("value", "blank")]
            has_values = any(c.kind == "value" for c in values)
            if labels and has_values:
                close()
                rows.append(LogicalRow(labels, pending[-3:], values, True))
                tail_of = rows[-1]
                pending = []
            elif labels:
                close()
                if tail_of is not None and tail_of is rows[-1] and len(tail_of.suffix) < 3:
                    tail_of.suffix.extend(labels)  # maybe the tail of the row just read
                if any(_is_strong(c.text, strong) for c in labels):
                    pending = []
                pending.extend(labels)
            elif has_values:
                if cur is not None and not cur.values:
                    cur.values = values
                    cur.multi = True
                    close()
                elif pending:
                    rows.append(LogicalRow(pending, [], values, True))
                    pending = []
                else:
                    close()
                    rows.append(LogicalRow([], [], values, True))
            continue
        c = cells[0] if cells else None
        if c is None:
            continue
        if c.kind == "label":
            if cur is not None and any(v.kind == "value" for v in cur.values):
                close()
                tail_of = rows[-1]
            if tail_of is not None and rows and tail_of is rows[-1] and len(tail_of.suffix) < 3:
                tail_of.suffix.append(c)  # maybe the tail of the row just read
            if _is_strong(c.text, strong):
                pending = []
            pending.append(c)
        else:  # value or blank, one per line
            if sealed and c.kind == "blank" and not pending:
                continue  # an empty label column of the next row, not a cell of this one
            sealed = False
            if cur is None or (pending and cur.values):
                close()
                cur = LogicalRow(pending, [], [], False)
                pending = []
            cur.values.append(c)
    close()
    return rows


# --- label similarity --------------------------------------------------------

@lru_cache(maxsize=4096)
def _bigrams(s: str) -> frozenset:
    return frozenset(s[i:i + 2] for i in range(len(s) - 1)) if len(s) > 1 else frozenset({s})


@lru_cache(maxsize=1024)
def row_patterns(row: Row) -> tuple[str, ...]:
    """A template row's label and aliases as label keys (cached: every table of every report asks)."""
    pats = [label_key(row.label)] + [label_key(a) for a in row.aliases]
    return tuple(p for p in pats if p)


@lru_cache(maxsize=16384)
def _match_key(candidate: str) -> str:
    return _NUMBERING_RE.sub("", label_key(candidate))


@lru_cache(maxsize=131072)
def key_similarity(key: str, patterns: tuple[str, ...]) -> float:
    """1 + len/100 when a pattern is contained, else a bigram overlap score.

    The overlap takes the better of recall (how much of the label the
    candidate holds: OCR-damaged labels) and precision (how much of the
    candidate is in the label: a label cut short by wrapping).
    """
    if not key:
        return 0.0
    best = 0.0
    for p in patterns:
        if p in key:
            best = max(best, 1.0 + len(p) / 100)
    if best:
        return best
    main = patterns[0]
    if len(main) < 4:
        return 0.0
    pb = _bigrams(main)
    kb = _bigrams(key)
    common = len(pb & kb)
    recall = common / len(pb)
    # penalise candidates much longer than the label (headers, prose)
    if len(key) > 2.5 * len(main):
        recall *= 0.7
    precision = common / len(kb) * 0.9 if len(kb) >= 5 else 0.0
    return max(recall, precision)


_NUMBERING_RE = re.compile(r"^[0-9一二三四五六七八九十]{1,3}(?=[\u4e00-\u9fff])")


@dataclass
class Match:
    row: LogicalRow
    template_row: Row
    score: float
    by_position: bool = False
    # how the row sits in its tab/pipe grid (tables.grid_row): read once, asked by every other row
    grid: Optional[tuple] = field(default=None, compare=False, repr=False)


def match_rows(rows: Sequence[LogicalRow], template_rows: Sequence[Row],
               value_count_ok: Optional[Callable[[LogicalRow, Row], bool]] = None) -> list[Match]:
    """Monotone alignment of logical rows to template rows maximising similarity."""
    pats = tuple(row_patterns(t) for t in template_rows)
    m, n = len(rows), len(template_rows)
    sim = [_row_scores(_match_key(r.label) if r.labels else "",
                       _match_key(r.full_label) if r.prefix else "",
                       _match_key(r.label_with_suffix) if r.suffix and r.labels else "",
                       pats) for r in rows]
    back = _align_back(sim, m, n)
    pairs: list[tuple[int, int]] = []
    i, j = m, n
    while i > 0 and j > 0:
        how = back[i][j]
        if how == 3:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif how == 1:
            i -= 1
        else:
            j -= 1
    pairs.reverse()
    matches = [Match(rows[a], template_rows[b], sim[a][b]) for a, b in pairs]
    return _fill_by_position(rows, template_rows, pairs, matches, value_count_ok)


@lru_cache(maxsize=16384)
def _row_scores(label: str, full: str, tail: str, pats: tuple[tuple[str, ...], ...]) -> tuple[float, ...]:
    """A logical row's score against each template row (0 below the threshold).

    Its label, the label with the lines before it (``full``) and with the
    lines after it (``tail``) decide it alone, so rows printed alike in many
    reports are scored once.
    """
    n = len(pats)
    if tail and any(key_similarity(label, pats[j]) >= MATCH_THRESHOLD for j in range(n)):
        tail = ""  # the label names a row by itself: what follows it is the next row's
    out = []
    for j in range(n):
        s = key_similarity(label, pats[j]) if label else 0.0
        if s < MATCH_THRESHOLD and full:
            s2 = key_similarity(full, pats[j])
            s = max(s, s2 * 0.95)
        if s < MATCH_THRESHOLD and tail:
            s = max(s, key_similarity(tail, pats[j]) * 0.95)
        out.append(s if s >= MATCH_THRESHOLD else 0.0)
    return tuple(out)


def _align_back(sim: Sequence[Sequence[float]], m: int, n: int) -> list[list[int]]:
    """The back-pointers of the monotone alignment maximising the summed scores:
    1 skips a logical row, 2 a template row, 3 pairs them (ties prefer 1, then 2)."""
    # dp[i][j]: best score using rows[:i], template[:j]
    dp = [[0.0] * (n + 1) for _ in range(m + 1)]
    back = [[0] * (n + 1) for _ in range(m + 1)]
    for i in range(1, m + 1):
        prev, cur, scores, how_row = dp[i - 1], dp[i], sim[i - 1], back[i]
        for j in range(1, n + 1):
            best, how = prev[j], 1
            if cur[j - 1] > best:
                best, how = cur[j - 1], 2
            s = scores[j - 1]
            if s > 0 and prev[j - 1] + s > best:
                best, how = prev[j - 1] + s, 3
            cur[j], how_row[j] = best, how
    return back


def _fill_by_position(rows, template_rows, pairs, matches, value_count_ok):
    """A row whose label is unreadable, alone between two matched rows with
    exactly one template row free between them, is that row (flagged)."""
    extra = []
    bounds = [(-1, -1)] + pairs + [(len(rows), len(template_rows))]
    for (a0, b0), (a1, b1) in zip(bounds, bounds[1:]):
        free_rows = [k for k in range(a0 + 1, a1) if rows[k].values and any(v.kind == "value" for v in rows[k].values)]
        free_t = list(range(b0 + 1, b1))
        if a0 < 0 or a1 >= len(rows):
            continue  # only between two anchored rows
        if len(free_rows) == 1 and len(free_t) == 1:
            r, t = rows[free_rows[0]], template_rows[free_t[0]]
            if value_count_ok is None or value_count_ok(r, t):
                extra.append(Match(r, t, 0.0, by_position=True))
    out = matches + extra
    order = {}
    for k, t in enumerate(template_rows):
        order.setdefault(t.key, k)  # the first row of a key, as list.index finds it
    out.sort(key=lambda mt: order[mt.template_row.key])
    return out


