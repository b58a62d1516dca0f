"""Checks, inference and the status of a result.

``assess`` is the single place that decides how far a result can be
trusted. It runs the checks on the printed values; where exactly one cell of
a sum is unreadable it infers that cell from the report's own totals (kept
beside the printed null, never written over it); then it sets the status:

* ``verified`` — every expected cell read cleanly and every check passes;
* ``repaired`` — checks pass, but a cell needed an OCR fix or was inferred;
* ``source_inconsistent`` — cells read cleanly and the report's totals disagree;
* ``needs_review`` — a cell is missing, unreadable, ambiguous or ungrounded,
  or a check fails where a cell was repaired.

A result is never ``verified`` when anything was guessed.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Optional

from .checks import run_checks
from .models import Cell, CheckResult, CheckStatus, Inferred, Result, Status
from .template import expected_keys, flatten, other_form_of_keys, tables_for

# Flags that mean a cell's printed value was not read cleanly.
DOUBT_FLAGS = frozenset({"unreadable", "missing", "ambiguous", "ungrounded", "label_by_position", "disagreement",
                         "missing_values", "extra_values", "column_order_unread"})
# Flags that mean the cell is a printed blank: legitimately null, but unverifiable.
BLANK_FLAGS = frozenset({"blank", "dash"})


def _values(result: Result, with_inferred: bool = False) -> dict:
    values = dict(flatten(result.tables))
    if with_inferred:
        for k, c in result.cells.items():
            if values.get(k) is None and c.inferred is not None:
                values[k] = c.inferred.value
    return values


def infer_cells(result: Result, checks: list[CheckResult]) -> dict[str, Inferred]:
    """Cells implied by a sum where they are the only unknown, if all such sums agree."""
    proposals: dict[str, set] = defaultdict(set)
    rules: dict[str, str] = {}
    values = _values(result)
    for chk in checks:
        if chk.status != CheckStatus.uncertain or len(chk.missing) != 1 or chk.warning:
            continue
        missing = chk.missing[0]
        if missing not in result.cells:
            continue  # a row the report does not print is not inferred
        if chk.rule.startswith("applications.balance."):
            new, old, handled, fwd = chk.cells
            side = {new: 1, old: 1, handled: -1, fwd: -1}
            total = sum(Decimal(str(values[k])) * side[k] for k in chk.cells if k != missing)
            v = -total * side[missing]
        else:
            total_key, parts = chk.cells[0], chk.cells[1:]
            known = sum(Decimal(str(values[k])) for k in parts if k != missing)
            v = Decimal(str(values[total_key])) - known if missing != total_key else known
        if v < 0:
            continue
        proposals[missing].add(v)
        rules.setdefault(missing, chk.rule)
    out = {}
    for key, vs in proposals.items():
        if len(vs) == 1:
            v = vs.pop()
            out[key] = Inferred(value=int(v) if v == v.to_integral_value() else float(v), rule=rules[key])
    return out


def assess(result: Result) -> Result:
    """Re-run checks and inference on ``result.tables``; set status and reason.

    Updates ``result`` in place (the caller owns it) and returns it.
    """
    if result.status in (Status.not_a_report, Status.error) or not result.template:
        return result
    r = result
    values = _values(r)
    checks = run_checks(values, r.narrative)
    for c in r.cells.values():
        if c.inferred is not None:  # assigning a pydantic field costs; most cells have none
            c.inferred = None
    inferred = infer_cells(r, checks)
    for key, inf in inferred.items():
        r.cells[key].inferred = inf
    if inferred:
        # checks with inferred values, to know whether the inference closes every sum
        checks_inf = run_checks(_values(r, with_inferred=True), r.narrative)
        by_rule = {c.rule: c for c in checks_inf}
        for c in checks:
            if c.status == CheckStatus.uncertain and by_rule.get(c.rule) and by_rule[c.rule].status != CheckStatus.uncertain:
                c.message = f"uncertain as printed; {by_rule[c.rule].status.value} with inferred cells"
        effective = checks_inf
    else:
        effective = checks
    r.checks = checks
    expected = _expected(r)
    r.status, r.reason = _status(r, effective, expected)
    r.unverified_sections = unverified_sections(r, effective, expected)
    for s in r.sections:
        if s.name in ("active_disclosure", "applications", "review_litigation", "legacy"):
            s.verified = s.name not in r.unverified_sections
    return r


def _expected(result: Result) -> list[str]:
    form = other_form_of_keys(result.cells) or "single"
    printed = {k.split(".")[0] for k in result.cells}
    return [k for k in expected_keys(result.template, other_form=form) if k.split(".")[0] in printed]


def _status(r: Result, checks: list[CheckResult], expected: list[str]) -> tuple[Status, Optional[str]]:
    missing_tables = [t.key for t in tables_for(r.template) if not any(k.startswith(t.key + ".") for k in r.cells)]
    doubtful = []
    for k in expected:
        c = r.cells.get(k)
        if c is None:
            doubtful.append(k)
            continue
        # an inferred value settles an unreadable cell, never a disagreement between readers
        if set(c.flags) & DOUBT_FLAGS and (c.inferred is None or "disagreement" in c.flags):
            doubtful.append(k)
    repaired = [k for k, c in r.cells.items() if c.repaired or c.inferred is not None]
    failing = [c for c in checks if c.status == CheckStatus.fail and not c.warning]
    uncertain = [c for c in checks if c.status == CheckStatus.uncertain and not c.warning]
    if missing_tables:
        return Status.needs_review, f"table(s) not found: {', '.join(missing_tables)}"
    if doubtful:
        return Status.needs_review, f"{len(doubtful)} cell(s) missing, unreadable or ambiguous: {', '.join(doubtful[:5])}"
    told = [k for k, c in r.cells.items() if c.method == "narrative"]
    if told:
        return Status.needs_review, f"{len(told)} figure(s) read from the prose, no statistics table: {', '.join(told[:5])}"
    lone = lone_blanks(r, checks, expected)
    if lone:
        return Status.needs_review, ("blank cell(s) no check covers, which a dropped cell would look like: "
                                     + ", ".join(lone[:5]))
    if failing and repaired:
        return Status.needs_review, f"checks fail after repairing {', '.join(repaired[:5])}: {', '.join(c.rule for c in failing[:5])}"
    if failing:
        return Status.source_inconsistent, "the report's own totals disagree: " + ", ".join(c.rule for c in failing[:8])
    if uncertain:
        return Status.needs_review, "checks cannot be verified (blank cells): " + ", ".join(c.rule for c in uncertain[:5])
    if repaired:
        return Status.repaired, "repaired or inferred cells: " + ", ".join(repaired[:8])
    return Status.verified, None


def lone_blanks(r: Result, checks: list[CheckResult], expected: list[str]) -> list[str]:
    """Printed blanks that no check covers, unless blanks are the report's own convention.

    A blank no sum covers cannot be told from a cell the text lost, so it keeps
    a result from ``verified``. Blanks are the report's convention when one
    table prints at least three of them over at least two rows (a report that
    leaves zeros blank); then they are taken as printed.
    """
    covered = {k for c in checks if not c.warning for k in c.cells}
    blanks = [k for k in expected if (c := r.cells.get(k)) is not None and c.value is None
              and set(c.flags) & BLANK_FLAGS]
    by_table: dict[str, set[str]] = {}
    for k in blanks:
        t, row, _ = k.split(".", 2)
        by_table.setdefault(t, set()).add(row)
    convention = {t for t, rows in by_table.items()
                  if len(rows) >= 2 and sum(1 for k in blanks if k.startswith(t + ".")) >= 3}
    return [k for k in blanks if k not in covered and k.split(".")[0] not in convention]


def unverified_sections(r: Result, checks: list[CheckResult], expected: Optional[list[str]] = None) -> list[str]:
    """Table sections with a doubtful cell or a check that does not pass."""
    bad = set()
    expected = _expected(r) if expected is None else expected
    for t in tables_for(r.template):
        keys = [k for k in expected if k.startswith(t.key + ".")]
        if not keys:
            bad.add(t.key)
            continue
        for k in keys:
            c = r.cells.get(k)
            if c is None or (set(c.flags) & DOUBT_FLAGS) or c.repaired or c.inferred is not None:
                bad.add(t.key)
                break
    for c in checks:
        if c.warning or c.status == CheckStatus.pass_:
            continue
        bad.add(c.rule.split(".")[0])
    return [t.key for t in tables_for(r.template) if t.key in bad]


def cell_table(cells: dict[str, Cell]) -> dict:
    """Nested ``tables`` from flat cells (the printed values only)."""
    tables: dict = {}
    for key, c in cells.items():
        t, row, col = key.split(".", 2)
        tables.setdefault(t, {}).setdefault(row, {})[col] = c.value
    return tables


def cells_from_tables(tables: dict) -> dict[str, Cell]:
    """Provenance-free cells for a golden or a bare result (so checks can run)."""
    return {k: Cell(value=v) for k, v in flatten(tables).items()}
