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

        parts = [col(r) for r in handled]
        total = col("total_handled")
        if handled and "total_handled" in values:
            ok = None if total is None or any(p is None for p in parts) else abs(sum(parts) - total) < 1e-9
            out.append(({*handled, "total_handled"}, ok))
        ends = [col(r) for r in _TOTALS]
        if all(r in values for r in _TOTALS):
            ok = None if any(v is None for v in ends) else abs(ends[0] + ends[1] - ends[2] - ends[3]) < 1e-9
            out.append((set(_TOTALS), ok))
    return out


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
