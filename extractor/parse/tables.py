"""Template tables from matched rows: values to columns, with provenance.

When a row prints more or fewer values than its columns, every alignment is
tried; the report's own row total picks among them. A cell on which the
surviving alignments disagree is left null and flagged ``ambiguous`` with
its candidates, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations
from typing import Callable, Optional, Sequence

from ..models import Candidate
from ..models import Cell as ResultCell
from ..normalise import NormalisedText, parse_cell
from ..template import DECIMAL_COLUMNS, SIGNED_COLUMNS, Row, Table
from .rows import LogicalRow, assemble, match_rows, row_patterns
from .header import SUBTOTAL, UNREAD, printed_order
from .settle import column_checks, settle, sides_fit
from .tokens import Cell, Line, field_index, separator

Check = Callable[[list[Optional[float]]], Optional[bool]]

# Patterns of the per-row placement steps, compiled once.
_SIGNED_JOIN_RE = re.compile(r"\d[+-]\d")
_NON_DIGIT_RE = re.compile(r"[^0-9]")
_NONSPACE_RE = re.compile(r"\S+")
_ZEROS_RE = re.compile(r"00+")


@dataclass
class TableParse:
    cells: dict[str, ResultCell] = field(default_factory=dict)
    found_rows: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def make_cell(nt: NormalisedText, c: Optional[Cell], column: str, flags: Sequence[str] = ()) -> ResultCell:
    if c is None:
        return ResultCell(value=None, raw=None, flags=[*flags, "missing"])
    p = parse_cell(c.text, column)
    fl = list(flags)
    value = p.value if p.kind in ("number", "zero_word") else None
    if p.kind == "unreadable" or (p.kind == "text"):
        fl.append("unreadable")
    if p.kind == "blank" and c.text:
        fl.append("dash")
    elif p.kind == "blank":
        fl.append("blank")
    return ResultCell(
        value=value,
        raw=c.raw,
        line=nt.line_number(c.line),
        span=nt.span(c.line, c.start, c.end),
        method="parser",
        repaired=c.repaired or p.repaired,
        flags=fl,
    )


def _numeric(c: Optional[Cell], column: str) -> Optional[float]:
    if c is None:
        return None
    p = parse_cell(c.text, column)
    return p.value if p.kind in ("number", "zero_word") else None


def sum_check(n_parts: int) -> Check:
    """The last of n_parts+1 values is the sum of the others (None if unknowable).

    Counts are never negative, so with blank parts the row still fails when
    the parts it prints already exceed its total.
    """

    def check(vals: list[Optional[float]]) -> Optional[bool]:
        return sides_fit(vals[:n_parts], vals[n_parts:n_parts + 1])

    return check


def align(values: Sequence[Cell], columns: Sequence[str],
          check: Optional[Check] = None, drop: Optional[int] = None,
          ) -> tuple[list[Optional[Cell]], list[str], list[list[Optional[Cell]]]]:
    """Values → columns. Returns (assignment, flags per row, alternatives).

    ``drop`` is the index of an extra column the whole table prints (a 小计),
    found by ``extra_column``.
    """
    k = len(columns)
    vals = list(values)
    while vals and vals[-1].kind == "blank" and not vals[-1].text:
        vals.pop()
    nonblank = [v for v in vals if v.kind == "value"]
    if drop is not None and len(nonblank) in (k, k + 1) and len(vals) == k + 1:
        return vals[:drop] + vals[drop + 1:], [], []  # every field printed, blanks in place
    if drop is not None and len(nonblank) == k and len(vals) == k:
        return _one_of_k_plus_one(nonblank, columns, check, drop)
    if len(nonblank) == k:
        return list(nonblank), [], []
    if len(values) == k and len(vals) < k:
        return list(values), [], []  # the trailing empty cell is the last column, printed blank
    if drop is not None and len(nonblank) == k + 1:
        return nonblank[:drop] + nonblank[drop + 1:], [], []
    if len(nonblank) < k and any(_maybe_merged(v) for v in nonblank):
        # two cells printed as one ("00" for 0 | 0), maybe leaving an empty cell beside
        split = _split_merged(nonblank, columns, check) if check is not None and k - len(nonblank) <= 3 else None
        if split is None:
            split = _split_zeros(nonblank, k)
        if split is not None:
            return split, [], []
    if len(vals) < k and any(v.kind == "blank" for v in vals) and nonblank:
        # merged figures beside printed blanks (10 | 00 |  | 0 | 1): blanks keep their places
        runs = [c for c in digit_splits(vals, columns)
                if check is None or check([_numeric(x, col) for x, col in zip(c, columns)]) is not False]
        if len(runs) == 1:
            return runs[0], [], []
    signed_run = any(_SIGNED_JOIN_RE.search(v.text) for v in nonblank)  # 2648-18538: two cells at least
    if len(vals) < k and (check is not None or k - len(nonblank) >= 2 or signed_run):
        runs = digit_splits(nonblank, columns)
        if runs and check is not None:
            runs = [c for c in runs if check([_numeric(x, col) for x, col in zip(c, columns)]) is not False]
        if len(runs) == 1:
            return runs[0], [], []
        if runs and (check is None or len(runs) <= 64) and (k - len(vals) > 2 or signed_run):
            return _choose(runs, columns, check, "split_digits")
    if len(vals) == k:
        return list(vals), [], []
    if len(vals) > k:
        trimmed = list(vals)
        while len(trimmed) > k and trimmed[0].kind == "blank":
            trimmed.pop(0)
        if len(trimmed) == k:
            return trimmed, [], []
        cands = [trimmed[i:i + k] for i in range(len(trimmed) - k + 1)]
        if len(nonblank) > k:
            cands = [nonblank[i:i + k] for i in range(len(nonblank) - k + 1)]
            if len(nonblank) == k + 1:
                # one stray or extra column (e.g. a 小计 for 法人或其他组织): try dropping each
                cands += [nonblank[:i] + nonblank[i + 1:] for i in range(1, k)]
        return _choose(cands, columns, check, "extra_values")
    # fewer values than columns: a cell was not printed: try each place for the gap
    gaps = k - len(vals)
    if gaps > 2 or not vals:
        return [None] * k, ["missing_values"], []  # too many places for the gaps: read nothing
    cands = []
    for pos in combinations(range(k), gaps):
        it = iter(vals)
        cands.append([None if i in pos else next(it) for i in range(k)])
    if gaps == 2 and len(nonblank) == 1:
        cands += digit_splits(nonblank, columns)[:64]  # or one run of figures for the whole row (8855698)
    return _choose(cands, columns, check, "missing_values")


def merged_readings(vals: Sequence[Cell], columns: Sequence[str]) -> list[list[Cell]]:
    """Every reading of a row with merged cells (``41`` for 4 | 1) and blank fields.

    A figure of several digits is one cell or two run together; a blank field
    is a dropped cell, or, right after two merged cells, the empty field their
    merging left. A figure never starts with 0 (``00`` is two cells). Readings
    that fill the columns exactly are kept (at most MAX_SPLITS of them).
    """
    k = len(columns)
    out: list[list[Cell]] = []

    def walk(i: int, acc: list[Cell], after_split: bool):
        if len(out) > MAX_SPLITS or len(acc) > k:
            return
        if i == len(vals):
            if len(acc) == k:
                out.append(acc)
            return
        c = vals[i]
        empty = c.kind == "blank" and not c.text
        if empty and after_split:
            walk(i + 1, acc, False)  # the empty field a merged cell left beside it
        if empty or _figure(c):
            walk(i + 1, acc + [c], False)
        for a, b in _cuts(c):
            walk(i + 1, acc + [a, b], True)

    walk(0, [], False)
    return out if len(out) <= MAX_SPLITS else []


def _figure(c: Cell) -> bool:
    """Can the cell be one printed figure? ``00`` or ``01`` cannot."""
    t = c.text.strip()
    return not (t.isdigit() and len(t) > 1 and t[0] == "0")


def _one_of_k_plus_one(vals: list[Cell], columns: Sequence[str], check: Optional[Check], drop: int):
    """A table that prints an extra column (a 小计, dropped from the output)
    and a row with one figure too few: any of its columns may be the blank
    one, the extra column too, whose blank no check sees. So the row's total
    only rules readings out; the cells they all agree on are taken."""
    k = len(columns)
    cands = []
    for gap in range(k + 1):
        full: list[Optional[Cell]] = vals[:gap] + [None] + vals[gap:]
        cands.append(full[:drop] + full[drop + 1:])
    if check is not None:
        cands = [c for c in cands if check([_numeric(x, col) if x is not None else None
                                            for x, col in zip(c, columns)]) is not False] or cands
    return _choose(cands, columns, None, "missing_values")


def _split_merged(vals: list[Cell], columns: Sequence[str], check: Check) -> Optional[list[Cell]]:
    """The one way of splitting merged digits that makes the row add up."""
    need = len(columns) - len(vals)
    found: list[list[Cell]] = []

    seen: set = set()

    def walk(i: int, acc: list[Cell], left: int):
        if len(seen) > 1:
            return
        if i == len(vals):
            nums = tuple(_numeric(x, col) for x, col in zip(acc, columns))
            if left == 0 and check(list(nums)) and nums not in seen:
                seen.add(nums)
                found.append(list(acc))
            return
        walk(i + 1, acc + [vals[i]], left)
        if left:
            for a, b in _cuts(vals[i]):
                walk(i + 1, acc + [a, b], left - 1)

    walk(0, [], need)
    return found[0] if len(found) == 1 else None


_RUN_RE = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[+-]\d+(?:\.\d+)?)*")
MAX_SPLITS = 20000  # more ways than this to cut a row's digits: too ambiguous to try


def digit_splits(vals: Sequence[Cell], columns: Sequence[str]) -> list[list[Cell]]:
    """Every way to cut run-together figures (``640020470``) into one piece per column.

    A piece never starts with 0 unless it is 0, a decimal only falls in a
    decimal column and a sign only opens a signed column's piece; a sign
    inside a run always starts a new piece (``2648-18538``).
    """
    from math import comb

    vals = [g for v in vals for g in _groups(v)]
    texts = [v.text.strip() for v in vals]
    if not texts or not all(_RUN_RE.fullmatch(t) or (v.kind == "blank" and not t) for v, t in zip(vals, texts)):
        return []
    k = len(columns)
    digits = sum(len(_NON_DIGIT_RE.sub("", t)) or 1 for t in texts)  # a blank takes one place
    if digits < k or comb(max(digits - 1, 1), k - 1) > MAX_SPLITS:
        return []
    out: list[list[Cell]] = []

    def ok(piece: str, col: str) -> bool:
        body = piece.lstrip("+-")
        if not body or body.startswith(".") or body.endswith("."):
            return False
        if piece != body and col not in SIGNED_COLUMNS:
            return False
        if "." in body and col not in DECIMAL_COLUMNS:
            return False
        whole = body.split(".")[0]
        return whole == "0" or not whole.startswith("0")

    def walk(ci: int, pos: int, col: int, acc: list[Cell]):
        if len(out) > MAX_SPLITS:
            return
        if ci == len(vals):
            if col == k:
                out.append(list(acc))
            return
        t = texts[ci]
        if col >= k:
            return
        if not t:  # a printed blank keeps its place
            walk(ci + 1, 0, col + 1, acc + [vals[ci]])
            return
        for end in range(pos + 1, len(t) + 1):
            piece = t[pos:end]
            if end < len(t) and t[end] in "+-":
                if ok(piece, columns[col]):
                    walk(ci, end, col + 1, acc + [_cut(vals[ci], pos, end)])
                break  # a sign always opens the next piece
            if ok(piece, columns[col]):
                if end == len(t):
                    walk(ci + 1, 0, col + 1, acc + [_cut(vals[ci], pos, end)])
                else:
                    walk(ci, end, col + 1, acc + [_cut(vals[ci], pos, end)])

    walk(0, 0, 0, [])
    return out if len(out) <= MAX_SPLITS else []


def _groups(c: Cell) -> list[Cell]:
    """A cell printed as figures with spaces between (``230 000023``), one cell per group."""
    text = c.text.strip()
    parts = list(_NONSPACE_RE.finditer(text))
    if len(parts) < 2:
        return [c]
    off = c.text.index(text)
    raw = c.raw.strip()
    return [Cell("value", m.group(), raw[m.start():m.end()], c.line, c.start + off + m.start(),
                 c.start + off + m.end(), "number") for m in parts]


def _cut(c: Cell, a: int, b: int) -> Cell:
    text = c.text.strip()
    if a == 0 and b == len(text):
        return c
    return _piece(c, a, b)


def _split_zeros(vals: list[Cell], k: int) -> Optional[list[Cell]]:
    """Runs of zeros ("00") that, cut into single zeros, fill the row exactly."""
    extra = sum(len(v.text.strip()) - 1 for v in vals if _ZEROS_RE.fullmatch(v.text.strip()))
    if not extra or len(vals) + extra != k:
        return None
    out: list[Cell] = []
    for v in vals:
        t = v.text.strip()
        if _ZEROS_RE.fullmatch(t):
            out.extend(_piece(v, i, i + 1) for i in range(len(t)))
        else:
            out.append(v)
    return out


def _piece(c: Cell, a: int, b: int) -> Cell:
    text = c.text.strip()
    off = c.text.index(text) if text in c.text else 0
    return Cell("value", text[a:b], c.raw.strip()[a:b], c.line, c.start + off + a, c.start + off + b, "number",
                repaired=f"split merged cells {text!r}")


# Why a row had several readings (``_choose``'s ``why``): settled, these flags go with "ambiguous".
READING_FLAGS = ("ambiguous", "missing_values", "split_digits", "extra_values", "merged_cells")


def _choose(cands, columns, check, why):
    verified = False
    if check is not None:
        results = [check([_numeric(x, col) for x, col in zip(c, columns)]) for c in cands]
        passing = [c for c, ok in zip(cands, results) if ok]
        possible = [c for c, ok in zip(cands, results) if ok is not False]
        if passing:
            cands, verified = passing, True
        elif possible:
            cands = possible  # a check that fails rules a candidate out; an unknowable one does not
    if len(cands) == 1:
        return cands[0], ([] if verified else [why]), []
    # keep the cells all candidates agree on
    out: list[Optional[Cell]] = []
    agreed = True
    for i, col in enumerate(columns):
        vs = {(_numeric(c[i], col) if c[i] is not None else "∅") for c in cands}
        if len(vs) == 1 and cands[0][i] is not None:
            out.append(cands[0][i])
        else:
            out.append(None)
            agreed = False
    return out, ([] if agreed else ["ambiguous", why]), ([] if agreed else cands)


def parse_rows_table(nt: NormalisedText, lines: Sequence[Line], table: Table, rows: Sequence[Row],
                     checks: Optional[dict[str, Check]] = None,
                     stated: Optional[dict[tuple[str, str], set[int]]] = None) -> TableParse:
    """A table printed as labelled rows (二 and 三). ``stated``: figures the
    prose states per (row, column), which may choose among a row's readings."""
    strong = [row_patterns(r) for r in rows]
    logical = assemble(lines, strong)
    logical = [r for r in logical if any(v.kind == "value" for v in r.values)]

    def count_ok(r: LogicalRow, t: Row) -> bool:
        n = sum(1 for v in r.values if v.kind == "value")
        return 0 < n <= len(t.columns) + 1

    matches = match_rows(logical, rows, count_ok)
    drop = extra_column(matches, checks or {})
    order = None
    if table.key == "applications" and matches:
        order = printed_order(lines, min(mt.row.first_line for mt in matches), nt.lines)
        if order is not None and order == list(rows[0].columns):
            order = None
    placed_rows = []
    for mt in matches:
        t = mt.template_row
        chk = (checks or {}).get(t.key)
        if order is UNREAD:
            placed_rows.append((t, [None] * len(t.columns), ["column_order_unread"], []))
            continue
        if order is not None:
            placed_rows.append(_placed_in_printed_order(mt, t, order, matches, lines))
            continue
        merged = with_merged_cells(mt, matches, lines, nt.lines, chk)
        if merged is not None:
            placed_rows.append((t, merged[0], merged[1] + (["label_by_position"] if mt.by_position else []), merged[2]))
            continue
        placed = _merged_first(mt.row.values, t.columns, chk)
        if placed is None:
            placed = by_column_position(mt, matches, lines)
        if placed is None:
            placed = by_pitch(mt.row.values, len(t.columns), chk, t.columns)
        if placed is None:
            placed = by_field_position(mt, matches, nt.lines, chk)
        if placed is not None:
            assigned, flags, alts = placed, [], []
        else:
            assigned, flags, alts = align(mt.row.values, t.columns, chk, drop)
        if mt.by_position:
            flags = flags + ["label_by_position"]
        placed_rows.append((t, assigned, flags, alts))
    if table.key == "applications":
        placed_rows = _settle_by_columns(placed_rows)
    if stated:
        placed_rows = [_settle_by_statements(row, stated) for row in placed_rows]
    out = TableParse()
    for t, assigned, flags, alts in placed_rows:
        out.found_rows.append(t.key)
        for i, col in enumerate(t.columns):
            c = assigned[i] if i < len(assigned) else None
            rc = make_cell(nt, c, col, flags)  # make_cell copies the flags
            if alts and c is None:
                seen = set()
                for alt in alts:
                    x = alt[i]
                    v = _numeric(x, col) if x is not None else None
                    if v in seen:
                        continue
                    seen.add(v)
                    rc.candidates.append(Candidate(value=v, method="parser", raw=x.raw if x else None,
                                                   note="another alignment of the row's values"))
            out.cells[f"{table.key}.{t.key}.{col}"] = rc
    return out


def _placed_in_printed_order(mt, t: Row, order: list[str], matches, lines: Sequence[Line]):
    """A row of table 三 whose header prints the columns in another order (or
    with a 小计): placed by where its figures sit when the text keeps their
    positions, else aligned in that order, with its own total as the check."""
    total = order.index("total")
    parts = [i for i, c in enumerate(order) if c not in ("total", SUBTOTAL)]
    sub = order.index(SUBTOTAL) if SUBTOTAL in order else None
    legal = [i for i in parts if order[i] != "natural_person"]

    def check(vals):
        """The row's total, and its 小计 (a blank 小计 leaves the row unsure:
        dropping it from the output must not hide where a blank fell)."""
        if any(vals[i] is None for i in parts + [total]) or (sub is not None and vals[sub] is None):
            return None
        ok = abs(sum(vals[i] for i in parts) - vals[total]) < 1e-9
        return ok and (sub is None or abs(sum(vals[i] for i in legal) - vals[sub]) < 1e-9)

    names = [c if c != SUBTOTAL else "total" for c in order]
    placed = by_column_position(mt, matches, lines, len(order))
    if placed is not None and check([_numeric(x, c) for x, c in zip(placed, names)]) is not False:
        assigned, flags, alts = placed, [], []
    else:
        assigned, flags, alts = align(mt.row.values, names, check)
    pick = [order.index(c) for c in t.columns]
    reorder = (lambda cells: [cells[i] if i < len(cells) else None for i in pick])
    flags = flags + (["label_by_position"] if mt.by_position else [])
    return t, reorder(assigned), flags, [reorder(a) for a in alts]


def _settle_by_columns(placed_rows):
    """Ambiguous rows of table 三 settled by its column sums (``settle``)."""
    def reading(t, cells):
        return [(_numeric(c, col) if c is not None else None) for c, col in zip(cells, t.columns)]

    alternatives = {t.key: [reading(t, x) for x in alts] for t, a, f, alts in placed_rows
                    if alts and "ambiguous" in f}
    if not alternatives:
        return placed_rows  # nothing to settle (most tables)
    values = {t.key: reading(t, a) for t, a, f, alts in placed_rows}
    chosen = settle(values, alternatives, lambda v: column_checks(v, len(placed_rows[0][0].columns)))
    if chosen is None:
        return placed_rows
    out = []
    for t, a, f, alts in placed_rows:
        if t.key in chosen:
            pick = next(x for x in alts if reading(t, x) == chosen[t.key])
            a, f, alts = pick, [x for x in f if x != "ambiguous"] + ["settled_by_column_sums"], []
        out.append((t, a, f, alts))
    return out


def _settle_by_statements(placed, stated: dict[tuple[str, str], set[int]]):
    """An ambiguous row whose readings the prose tells apart: the readings
    whose figures agree with every statement some reading agrees with (a
    statement no reading fits is loose prose and is ignored); the cells they
    all agree on are taken, the rest stay null with the narrower candidates."""
    t, assigned, flags, alts = placed
    if not alts or "ambiguous" not in flags:
        return placed
    keep = list(alts)
    for i, col in enumerate(t.columns):
        said = stated.get((t.key, col))
        fits = [a for a in keep if said and a[i] is not None and _numeric(a[i], col) in said]
        if fits:
            keep = fits
    if len(keep) == len(alts):
        return placed
    assigned, rest, alts = _choose(keep, t.columns, None, "settled_by_prose")  # the cells they agree on
    kept = [f for f in flags if f not in READING_FLAGS]
    return t, assigned, kept + (rest or ["settled_by_prose"]), alts


def _merged_first(values: Sequence[Cell], columns: Sequence[str], check: Optional[Check]) -> Optional[list[Cell]]:
    """Too few numbers and one looks like two cells run together ("04"): the
    split that makes the row add up wins over where the numbers sit. Not when
    the row prints its blank fields (``with_merged_cells`` read them)."""
    nonblank = [v for v in values if v.kind == "value"]
    gap = len(columns) - len(nonblank)
    if check is None or not 0 < gap <= 3:
        return None
    if nonblank and any(v.kind == "blank" and not v.text for v in values[values.index(nonblank[0]):]):
        return None
    if not any(_maybe_merged(v) for v in nonblank):
        return None
    return _split_merged(nonblank, columns, check)


def with_merged_cells(mt, matches, lines: Sequence[Line], text: Sequence[str], check: Optional[Check]):
    """A row with fewer figures than columns, one of them maybe two cells run
    together: its readings, by where its figures sit in space-aligned text
    (``placed_readings``), else over its value fields (``merged_readings``).
    One reading is taken; several leave the cells they disagree on null with
    candidates (the column sums may settle them later)."""
    cols = mt.template_row.columns
    if not any(_maybe_merged(v) for v in mt.row.values):
        return None  # no figure that could be two cells (merged_choice would say so, at more cost)
    places = column_positions(mt, matches, lines)
    if places is not None:
        printed = [v for v in mt.row.values if v.kind == "value" or v.text]  # a dash is a cell too
        figures = [v for v in printed if v.kind == "value"]
        return merged_choice(printed, cols, check, lambda: placed_readings(figures, cols, places))
    return merged_choice(value_fields(mt, matches, text), cols, check)


def merged_choice(vals: Sequence[Cell], cols: Sequence[str], check: Optional[Check], readings=None):
    """(assignment, flags, alternatives) from the row's readings (``merged_readings``
    unless given), or None when no figure looks like two cells or the cells
    read as printed."""
    nonblank = [v for v in vals if v.kind == "value" or v.text]
    if len(nonblank) >= len(cols) or not any(_maybe_merged(v) for v in nonblank):
        return None
    if len(vals) == len(cols) and all(_figure(v) for v in vals) and (
            check is None or check([_numeric(x, c) for x, c in zip(vals, cols)]) is not False):
        return None  # a field for each column, readable as printed: nothing was merged
    readings = readings() if readings is not None else merged_readings(vals, cols)
    return reading_choice(readings, cols, check) if readings else None


def reading_choice(readings: Sequence[Sequence[Cell]], cols: Sequence[str], check: Optional[Check]):
    """The row's total rules readings out; one left is taken, several leave the
    cells they disagree on null with candidates. A reading the print allows
    alone is taken even where the total disagrees (the report's own
    inconsistency, which its checks report)."""
    possible = [r for r in readings if check is None or check([_numeric(x, c) for x, c in zip(r, cols)]) is not False]
    return _choose(possible or readings, cols, None, "merged_cells")


def value_fields(mt, matches, text: Sequence[str]) -> list[Cell]:
    """A row's value and blank cells from where the table's figures start
    (empty label columns before them are no cells)."""
    vals = [v for v in mt.row.values if v.kind in ("value", "blank")]
    first = first_value_field(mt, matches, text)
    if first is not None:
        vals = [v for v in vals if field_index(text[vals[0].line], v) >= first]
    if vals and _open_end(mt, matches, text):
        vals.append(_blank(vals[-1].line))
    return vals


def _open_end(mt, matches, text: Sequence[str]) -> bool:
    """A tab or pipe row that ends with an empty field (``…|0|01|``) where the
    table's complete rows end with a figure: its last cell is printed blank."""
    lines = {v.line for v in mt.row.values}
    if not mt.row.multi or len(lines) != 1:
        return False
    raw = text[lines.pop()].rstrip()
    sep = separator(raw)
    if sep is None or not raw.endswith(sep):
        return False
    k = len(mt.template_row.columns)
    ends = set()
    for other in matches:
        ov = [v for v in other.row.values if v.kind == "value"]
        if other is not mt and len(ov) == k and len({v.line for v in ov}) == 1:
            line = text[ov[0].line].rstrip()
            ends.add(separator(line) == sep and line.endswith(sep))
    return ends == {False}


def by_column_position(mt, matches, lines: Sequence[Line], k: Optional[int] = None) -> Optional[list[Optional[Cell]]]:
    """Space-aligned text (from a PDF) drops blank cells; where its numbers sit
    says which columns they are (``column_positions``)."""
    k = len(mt.template_row.columns) if k is None else k
    vals = [v for v in mt.row.values if v.kind == "value"]
    places = column_positions(mt, matches, lines, k) if len(vals) < k else None
    if places is None:
        return None
    positions, where, gap, _ = places
    out: list[Optional[Cell]] = [None] * k
    last = -1
    for v, x in zip(vals, where):
        j = min(range(k), key=lambda i: abs(positions[i] - x))
        if j <= last or abs(positions[j] - x) > gap / 2 or out[j] is not None:
            return None
        out[j] = v
        last = j
    return [c if c is not None else _blank(vals[0].line) for c in out]


def _blank(line: int) -> Cell:
    return Cell("blank", "", "", line, 0, 0, "blank")


def column_positions(mt, matches, lines: Sequence[Line],
                     k: Optional[int] = None) -> Optional[tuple[list[float], list[float], float, bool]]:
    """Where the columns sit in space-aligned text, where the row's figures
    sit, the narrowest gap between columns, and whether these are right
    edges: from a complete row of the same columns (right edges), or from
    the column headings above (centres). ``k``: the printed columns when
    the header prints more than the template's (a 小计)."""
    cols = mt.template_row.columns
    k = len(cols) if k is None else k
    vals = [v for v in mt.row.values if v.kind == "value"]
    if not vals or not all(v.x1 > 0 for v in vals):
        return None
    line_no = vals[0].line
    refs = []
    for other in matches:
        ov = [v for v in other.row.values if v.kind == "value"]
        if other is mt or other.template_row.columns != cols or len(ov) != k or not all(v.x1 > 0 for v in ov):
            continue
        refs.append((abs(ov[0].line - line_no), [v.x1 for v in ov]))
    if refs:
        positions = min(refs)[1]
        where = [v.x1 for v in vals]
    else:
        header = None
        for line in lines:
            if line.index >= line_no:
                break
            labels = [c for c in line.cells if c.kind == "label"]
            if line.aligned and len(labels) >= k and not line.values:
                header = labels[-k:]
        if header is None:
            return None
        positions = [(c.x0 + c.x1) / 2 for c in header]
        where = [(v.x0 + v.x1) / 2 for v in vals]
    gap = min((b - a for a, b in zip(positions, positions[1:])), default=0)
    return (positions, where, gap, bool(refs)) if gap > 0 else None


def placed_readings(vals: Sequence[Cell], columns: Sequence[str], places) -> list[list[Cell]]:
    """Readings of a space-aligned row whose figures may be two cells run
    together: a figure sits at its column, a merged one at or between its two
    columns (right-aligned, one ending on a column's right edge is that
    column and the one before); a column no figure reaches was dropped
    (printed blank)."""
    positions, where, gap, right = places
    k = len(columns)
    out: list[list[Cell]] = []
    blank = _blank(vals[0].line)

    def walk(i: int, acc: list[Cell]):
        if len(out) > MAX_SPLITS:
            return
        if i == len(vals):
            out.append(acc + [blank] * (k - len(acc)))
            return
        c, x = vals[i], where[i]
        edge = [j for j in range(k) if right and abs(positions[j] - x) <= 1]
        for j in range(len(acc), k):
            pad = [blank] * (j - len(acc))
            if _figure(c) and abs(positions[j] - x) <= gap / 2:
                walk(i + 1, acc + pad + [c])
            if j + 1 < k and (edge == [j + 1] if edge else positions[j] - gap / 2 <= x <= positions[j + 1] + gap / 2):
                for a, b in _cuts(c):
                    walk(i + 1, acc + pad + [a, b])

    walk(0, [])
    return out if len(out) <= MAX_SPLITS else []


_SPACED_PAIR_RE = re.compile(r"(\d+) \d+")


def _maybe_merged(c: Cell) -> bool:
    """Could the cell be two figures run together: digits (``41``), or two groups a space apart (``1 0``)?"""
    t = c.text.strip()
    return (len(t) > 1 and t.isdigit()) or bool(_SPACED_PAIR_RE.fullmatch(t))


def _cuts(c: Cell) -> list[tuple[Cell, Cell]]:
    """Each way to read a cell's digits as two figures run together (no piece starts with 0).

    Two groups a space apart (``1 0``, read from a scan whose columns were inferred too few)
    are cut only at the space."""
    t = c.text.strip()
    m = _SPACED_PAIR_RE.fullmatch(t)
    if m:
        return [(_piece(c, 0, m.end(1)), _piece(c, m.end(1) + 1, len(t)))]
    if not t.isdigit():
        return []
    return [(_piece(c, 0, cut), _piece(c, cut, len(t))) for cut in range(1, len(t))
            if not (cut > 1 and t[0] == "0") and not (len(t) - cut > 1 and t[cut] == "0")]


def by_pitch(vals: Sequence[Cell], k: int, check: Optional[Check] = None,
             columns: Sequence[str] = ()) -> Optional[list[Cell]]:
    """Space-aligned figures at a regular pitch (fixed-width columns in a PDF's
    text): a gap of two pitches holds a blank cell. Taken only when the gaps
    fill the row's ``k`` columns exactly, every edge on which the figures line
    up (right, left, centre) says the same, and the row's total allows it."""
    vals = [v for v in vals if v.kind == "value"]
    if not 3 <= len(vals) < k or not all(v.x1 > 0 for v in vals) or len({v.line for v in vals}) != 1:
        return None
    ways = set()
    for edge in (lambda v: v.x1, lambda v: v.x0, lambda v: (v.x0 + v.x1) / 2):
        grid = _on_pitch([edge(v) for v in vals])
        if grid is not None and grid[1][-1] == k - 1:
            ways.add(tuple(grid[1]))  # figures aligned on this edge fill the row
    if len(ways) != 1:
        return None
    at = ways.pop()
    out: list[Cell] = [_blank(vals[0].line)] * k
    for v, j in zip(vals, at):
        out[j] = v
    if check is not None and check([_numeric(x, c) for x, c in zip(out, columns)]) is False:
        return None
    return out


def pitch_readings(vals: Sequence[Cell], k: int, header: Optional[tuple[float, float]] = None) -> list[list[Cell]]:
    """Readings of one space-aligned row whose printed cells sit at a regular
    pitch (fixed-width columns in a PDF's text layer), some maybe two cells
    run together (``00``, ``02``) and some columns dropped (printed blank).

    The cells line up on one edge. Right-aligned, two cells run together end
    where their second column ends; left-aligned they start where their first
    begins; centred they could not sit on the pitch. The column headings
    above (``header``: their left and right ends, spanning the ``k`` columns)
    say which column the first cell is in; without them every place that
    fits is read.
    """
    printed = [v for v in vals if v.kind == "value" or v.text]
    if len(printed) < 3 or not all(v.x1 > 0 for v in printed) or len({v.line for v in printed}) != 1:
        return []
    if len(printed) >= k and all(_figure(v) for v in printed):
        return []  # a cell for each column: nothing to place
    blank = _blank(printed[0].line)
    out: list[list[Cell]] = []
    for ref, merge, centre in ((lambda v: v.x1, -1, -0.5), (lambda v: v.x0, 0, 0.5),
                               (lambda v: (v.x0 + v.x1) / 2, None, 0.0)):
        grid = _on_pitch([ref(v) for v in printed])
        if grid is None:
            continue
        pitch, at = grid
        first = ref(printed[0]) + centre * pitch  # the first cell's column centre, roughly
        places = range(-1, k)
        if header is not None and abs(header[1] - header[0] - k * pitch) <= pitch:
            o = (first - (header[0] + header[1]) / 2) / pitch + (k - 1) / 2
            places = [round(o)] if abs(o - round(o)) <= 0.25 else []

        def walk(i: int, acc: list[Cell], o: int):
            if len(out) > MAX_SPLITS:
                return
            if i == len(printed):
                out.append(acc + [blank] * (k - len(acc)))
                return
            c, j = printed[i], at[i] + o
            if _figure(c) and len(acc) <= j < k:
                walk(i + 1, acc + [blank] * (j - len(acc)) + [c], o)
            if merge is not None and len(acc) <= j + merge and j + merge + 1 < k:
                for a, b in _cuts(c):
                    walk(i + 1, acc + [blank] * (j + merge - len(acc)) + [a, b], o)

        for o in places:
            walk(0, [], o)
    if len(out) > MAX_SPLITS:
        return []
    unique = {tuple((x.text, x.start) for x in r): r for r in out}  # one-width cells read alike on every edge
    return list(unique.values())


def _on_pitch(refs: Sequence[float]) -> Optional[tuple[float, list[int]]]:
    """The pitch and each position's step from the first, when all sit on one regular grid."""
    diffs = [b - a for a, b in zip(refs, refs[1:])]
    pitch = min(diffs, default=0)
    if pitch < 3:
        return None
    steps = [round(d / pitch) for d in diffs]
    if any(abs(d - n * pitch) > 1 for d, n in zip(diffs, steps)):
        return None
    return pitch, [sum(steps[:i]) for i in range(len(refs))]


def header_extent(lines: Sequence[Line], line_no: int) -> Optional[tuple[float, float]]:
    """Left and right ends of the column headings printed right above a line
    of space-aligned text (the lines of labels only, up to the first other)."""
    labels: list[Cell] = []
    for line in reversed([ln for ln in lines if ln.index < line_no]):
        if line.is_blank:
            continue
        if not line.aligned or line.values or not line.cells:
            break
        labels += [c for c in line.cells if c.kind == "label"]
    if not labels:
        return None
    return min(c.x0 for c in labels), max(c.x1 for c in labels)


def by_field_position(mt, matches, text: Sequence[str], check: Optional[Check]) -> Optional[list[Optional[Cell]]]:
    """Tab or pipe rows whose empty cells are printed as empty fields: a row
    with a blank first or last cell (or an empty label column before its
    figures) places each figure by its field number, counted from where the
    table's complete rows start their figures. Not when the row's own total
    rules the placing out."""
    cols = mt.template_row.columns
    k = len(cols)
    vals = [v for v in mt.row.values if v.kind in ("value", "blank")]
    nonblank = [v for v in vals if v.kind == "value"]
    if not nonblank or len(nonblank) == k:
        return None
    first = first_value_field(mt, matches, text)
    if first is None:
        return None
    line_no = nonblank[0].line
    raw = text[line_no]
    out: list[Optional[Cell]] = [None] * k
    for v in nonblank:
        i = field_index(raw, v) - first
        if not 0 <= i < k or out[i] is not None:
            return None
        out[i] = v
    placed = [c if c is not None else Cell("blank", "", "", line_no, 0, 0, "blank") for c in out]
    if check is not None and check([_numeric(x, c) for x, c in zip(placed, cols)]) is False:
        return None
    return placed


def first_value_field(mt, matches, text: Sequence[str]) -> Optional[int]:
    """The field where a tab or pipe row's figures start, as the table's
    complete rows printed in the same grid (as many fields) show; None if
    the row is not one such line or the complete rows disagree."""
    cols = mt.template_row.columns
    k = len(cols)
    vals = [v for v in mt.row.values if v.kind in ("value", "blank")]
    if not mt.row.multi or not vals or len({v.line for v in vals}) != 1:
        return None
    line_no = vals[0].line
    sep = separator(text[line_no])
    if sep is None:
        return None
    width = text[line_no].count(sep)
    starts: dict[int, int] = {}
    for other in matches:  # complete rows printed in the same grid (as many fields)
        if other is mt or other.template_row.columns != cols:
            continue
        grid = grid_row(other, text)
        if grid is not None and grid[0] == sep and grid[1] == width and grid[2] is not None:
            starts[grid[2]] = starts.get(grid[2], 0) + 1
    return next(iter(starts)) if len(starts) == 1 else None


def grid_row(mt, text: Sequence[str]) -> Optional[tuple[str, int, Optional[int]]]:
    """A complete row (a figure for each column) printed on one tab or pipe
    line: its separator, how many it prints, and the field its figures start
    in when they stand in consecutive fields (else None); None for other
    rows. Kept on the match: ``first_value_field`` asks it of every row for
    every row."""
    if mt.grid is None:
        mt.grid = ()
        ov = [v for v in mt.row.values if v.kind == "value"]
        if len(ov) == len(mt.template_row.columns) and len({v.line for v in ov}) == 1:
            raw = text[ov[0].line]
            sep = separator(raw)
            if sep is not None:
                fields = [field_index(raw, v) for v in ov]
                consecutive = fields == list(range(fields[0], fields[0] + len(ov)))
                mt.grid = (sep, raw.count(sep), fields[0] if consecutive else None)
    return mt.grid or None


def extra_column(matches, checks: dict[str, Check]) -> Optional[int]:
    """The one column index that, dropped, makes every over-long row add up.

    A row holding an unreadable figure has no say: dropping that figure is the
    only way it could add up, whichever column is the extra one."""
    common: Optional[set[int]] = None
    for mt in matches:
        k = len(mt.template_row.columns)
        chk = checks.get(mt.template_row.key)
        nonblank = [v for v in mt.row.values if v.kind == "value"]
        if chk is None or len(nonblank) != k + 1 or any(_numeric(v, "") is None for v in nonblank):
            continue
        cols = mt.template_row.columns
        ok = {i for i in range(1, k) if chk([_numeric(x, c) for x, c in zip(nonblank[:i] + nonblank[i + 1:], cols)])}
        common = ok if common is None else common & ok
    return next(iter(common)) if common and len(common) == 1 else None


def parse_flat_table(nt: NormalisedText, lines: Sequence[Line], table: Table,
                     checks: Optional[dict[str, Check]] = None) -> TableParse:
    """Table 四: labelled rows if printed so, else one flat run of 15 numbers."""
    labelled = parse_rows_table(nt, lines, table, table.rows, checks)
    if len(labelled.found_rows) == len(table.rows) and not _unread(labelled):
        return labelled
    seq: list[Cell] = []
    pending_blanks: list[Cell] = []
    for line in lines:
        if line.is_blank:
            continue
        vals = [c for c in line.cells if c.kind in ("value", "blank")]
        texts = [c for c in line.cells if c.kind in ("label", "prose")]
        if any(c.kind == "value" for c in vals) and len(vals) >= len(texts) * 2:
            seq.extend(pending_blanks if seq else [])  # blank cells between two runs of values count
            pending_blanks = []
            seq.extend(vals)
        elif vals and not texts and not line.multi:
            pending_blanks.extend(vals)  # a cell printed blank, one per line
        else:
            pending_blanks = []
    n_cells = sum(len(r.columns) for r in table.rows)
    if seq and pending_blanks and len(seq) < n_cells:
        seq.extend(pending_blanks[: n_cells - len(seq)])  # the last cells printed blank
    columns = [f"{r.key}.{c}" for r in table.rows for c in r.columns]
    col_names = [c.split(".")[1] for c in columns]

    def flat_check(vals):
        res = [sides_fit(vals[r * 5:r * 5 + 4], vals[r * 5 + 4:r * 5 + 5]) for r in range(3)]
        if any(x is False for x in res):
            return False
        return True if all(x for x in res) else None

    out = TableParse()
    if not any(c.kind == "value" for c in seq):
        return labelled if labelled.found_rows else out
    readings = pitch_readings(seq, len(col_names), header_extent(lines, seq[0].line))
    assigned, flags, alts = (reading_choice(readings, col_names, flat_check) if readings else None) or merged_choice(
        seq, col_names, flat_check) or align(seq, col_names, flat_check)
    for i, key in enumerate(columns):
        c = assigned[i] if i < len(assigned) else None
        rc = make_cell(nt, c, col_names[i], flags)
        if alts and c is None:
            for alt in alts[:4]:
                x = alt[i]
                rc.candidates.append(Candidate(value=_numeric(x, col_names[i]) if x else None, method="parser",
                                               raw=x.raw if x else None, note="another alignment"))
        out.cells[f"{table.key}.{key}"] = rc
    out.found_rows = [r.key for r in table.rows]
    if len(labelled.found_rows) == len(table.rows) and _unread(labelled) < _unread(out):
        return labelled  # the labelled rows, one cell unsure, read more than the figures run together
    return out


def _unread(tp: TableParse) -> int:
    """Cells left null as unsure (ambiguous or not found), not as printed blank."""
    return sum(1 for c in tp.cells.values() if "ambiguous" in c.flags or "missing" in c.flags)
