"""Rows a row's own total leaves ambiguous, settled by the table's column sums.

A flattened row ``330000033`` fits its own total as 33|0|0|0|0|0|33 and as
3|30|0|0|0|0|33. Table 三's columns add up too (the handled rows sum to
（七）总计; received + carried over = handled + carried forward), so each
combination of the ambiguous rows' readings is tried against them. Exactly
one combination that no column sum rules out, and that a passing sum
covers, is taken (its cells stay marked as split); otherwise the cells stay
null with their candidates, as before. The report's own inconsistencies
therefore never settle anything: they rule every combination out.
"""

from __future__ import annotations

from itertools import product
from math import prod
from typing import Callable, Optional, Sequence

Value = Optional[float]
Reading = list[Value]
MAX_COMBINATIONS = 4096

_TOTALS = ("new_received", "carried_over", "total_handled", "carried_forward")


def column_checks(values: dict[str, Reading], n_cols: int) -> list[tuple[set[str], Optional[bool]]]:
    """Table 三's column sums over ``values`` (row key → one value per column):
    for each, the rows it involves and pass/fail/unknown."""
    handled = [r for r in values if r not in _TOTALS]
    out: list[tuple[set[str], Optional[bool]]] = []
    for c in range(n_cols):
        def col(r: str) -> Value:
            return values[r][c] if r in values else None

        if handled and "total_handled" in values:
            out.append(({*handled, "total_handled"}, sides_fit([col(r) for r in handled], [col("total_handled")])))
        ends = [col(r) for r in _TOTALS]
        if all(r in values for r in _TOTALS):
            out.append((set(_TOTALS), sides_fit(ends[:2], ends[2:])))
    return out


def sides_fit(left: Sequence[Value], right: Sequence[Value]) -> Optional[bool]:
    """Do the two sides add up to the same? None when blanks leave it open;
    counts are never negative, so a side printed whole already exceeded by
    the other's printed figures fails."""
    known = [sum(v for v in side if v is not None) for side in (left, right)]
    whole = [all(v is not None for v in side) for side in (left, right)]
    if all(whole):
        return abs(known[0] - known[1]) < 1e-9
    if (whole[0] and known[1] > known[0] + 1e-9) or (whole[1] and known[0] > known[1] + 1e-9):
        return False
    return None


def settle(values: dict[str, Reading], alternatives: dict[str, Sequence[Reading]],
           checks: Callable[[dict[str, Reading]], list[tuple[set[str], Optional[bool]]]]) -> Optional[dict[str, Reading]]:
    """The one reading of each ambiguous row that the column sums allow, or None."""
    if not alternatives or prod(len(a) for a in alternatives.values()) > MAX_COMBINATIONS:
        return None
    keys = list(alternatives)
    found: list[dict[str, Reading]] = []
    for combo in product(*(alternatives[k] for k in keys)):
        trial = dict(values)
        trial.update(zip(keys, combo))
        results = checks(trial)
        if any(ok is False for _, ok in results):
            continue
        covered = set().union(*(rows for rows, ok in results if ok)) if results else set()
        if not all(k in covered for k in keys):
            continue
        found.append(dict(zip(keys, combo)))
        if len(found) > 1:
            return None
    return found[0] if found else None
