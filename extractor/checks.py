"""The report's own totals (勾稽关系), with the rule ids of template.md.

Checks read flat values (``table.row.column`` → number or None) and never
change them: a failing check says by how much and which cells are involved;
a check with a needed cell null is ``uncertain`` and names the missing cells.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Mapping, Optional

from .models import CheckResult, CheckStatus, Number, to_decimal
from .template import (
    APPLICANT_COLUMNS,
    DENIED_ROWS,
    NOT_PROCESSED_ROWS,
    OTHER_2021_ROWS,
    REVIEW_COLUMNS,
    UNABLE_ROWS,
    other_form_of_keys,
    rows_of,
)

Values = Mapping[str, Optional[Number]]

_PARTY_COLUMNS = APPLICANT_COLUMNS[:-1]
_HANDLED_BASE = ("granted", "partially_granted", *DENIED_ROWS, *UNABLE_ROWS, *NOT_PROCESSED_ROWS)


def equation(rule: str, values: Values, left: list[str], right: list[str], what: str) -> CheckResult:
    """Σ ``left`` = Σ ``right``; uncertain when any cell is null or absent.

    ``expected`` is the left side as printed, ``actual`` the right side, and
    ``imbalance`` = right − left.
    """
    cells = [*left, *right]
    missing = [k for k in cells if values.get(k) is None]
    if missing:
        return CheckResult(rule=rule, status=CheckStatus.uncertain, cells=cells, missing=missing,
                           message=f"{len(missing)} cell(s) unreadable or missing")
    lv = sum((to_decimal(values[k]) for k in left), Decimal(0))
    rv = sum((to_decimal(values[k]) for k in right), Decimal(0))
    ok = lv == rv
    return CheckResult(
        rule=rule,
        status=CheckStatus.pass_ if ok else CheckStatus.fail,
        expected=_num(lv),
        actual=_num(rv),
        imbalance=_num(rv - lv),
        cells=cells,
        message=None if ok else what.format(left=_num(lv), right=_num(rv)),
    )


def sum_rule(rule: str, values: Values, total: str, parts: Iterable[str]) -> CheckResult:
    """``total`` = Σ ``parts``."""
    return equation(rule, values, [total], list(parts), f"{total} is {{left}} but its parts add up to {{right}}")


def _num(d: Decimal) -> Number:
    return int(d) if d == d.to_integral_value() else float(d)


def other_form(values: Values) -> str:
    """Which （六） rows the report prints: ``single`` or ``split``."""
    return other_form_of_keys(values) or "single"


def application_checks(values: Values) -> list[CheckResult]:
    if not any(k.startswith("applications.") for k in values):
        return []
    out: list[CheckResult] = []
    a = "applications"
    others = ("other_handling",) if other_form(values) == "single" else OTHER_2021_ROWS
    for col in APPLICANT_COLUMNS:
        out.append(_balance(col, values))
    for col in APPLICANT_COLUMNS:
        out.append(
            sum_rule(
                f"{a}.handled_sum.{col}",
                values,
                f"{a}.total_handled.{col}",
                [f"{a}.{r}.{col}" for r in (*_HANDLED_BASE, *others)],
            )
        )
    rows = sorted({k.split(".")[1] for k in values if k.startswith(a + ".")}, key=_row_order(others))
    for row in rows:
        out.append(
            sum_rule(f"{a}.row_total.{row}", values, f"{a}.{row}.total", [f"{a}.{row}.{c}" for c in _PARTY_COLUMNS])
        )
    return out


def _row_order(others: tuple[str, ...]):
    order = ["new_received", "carried_over", *_HANDLED_BASE, *others, "total_handled", "carried_forward"]
    return lambda r: order.index(r) if r in order else len(order)


def _balance(col: str, values: Values) -> CheckResult:
    a = "applications"
    return equation(
        f"{a}.balance.{col}",
        values,
        [f"{a}.new_received.{col}", f"{a}.carried_over.{col}"],
        [f"{a}.total_handled.{col}", f"{a}.carried_forward.{col}"],
        "received {left} ≠ handled + carried forward {right}",
    )


def review_checks(values: Values) -> list[CheckResult]:
    out = []
    t = "review_litigation"
    present = rows_of(values, t)
    for row in ("review", "litigation_direct", "litigation_after_review"):
        if row not in present:
            continue
        out.append(sum_rule(f"{t}.total.{row}", values, f"{t}.{row}.total", [f"{t}.{row}.{c}" for c in REVIEW_COLUMNS[:-1]]))
    return out


def legacy_checks(values: Values) -> list[CheckResult]:
    p = "legacy.indicators."
    if not any(k.startswith(p) for k in values):
        return []
    rules = [
        ("legacy.received_sum", "applications_received", ["received_in_person", "received_fax", "received_online", "received_letter"]),
        ("legacy.closed_sum", "applications_closed", ["closed_on_time", "closed_extended"]),
        (
            "legacy.replies_sum",
            "replies_total",
            ["reply_already_public", "reply_granted", "reply_partially_granted", "reply_denied",
             "reply_not_this_agency", "reply_not_exist", "reply_correction_requested", "reply_other_channel"],
        ),
        ("legacy.review_sum", "review_total", ["review_upheld", "review_corrected", "review_other"]),
        ("legacy.litigation_sum", "litigation_total", ["litigation_upheld", "litigation_corrected", "litigation_other"]),
    ]
    out = []
    for rule, total, parts in rules:
        if p + total not in values and not any(p + x in values for x in parts):
            continue  # the report does not print this block at all
        out.append(sum_rule(rule, values, p + total, [p + x for x in parts]))
    return out


NARRATIVE_TARGETS = {
    "new_received": "applications.new_received.total",
    "carried_over": "applications.carried_over.total",
    "review": "review_litigation.review.total",
    "litigation": None,  # direct + after review
    "legacy_received": "legacy.indicators.applications_received",
    "legacy_review": "legacy.indicators.review_total",
    "legacy_litigation": "legacy.indicators.litigation_total",
}


def narrative_checks(values: Values, figures: Mapping[str, Number]) -> list[CheckResult]:
    """Prose figures vs the table: a mismatch is a warning, never a repair.

    Prose is loose (受理 N 件 may include the carried-over ones), so a figure
    equal to any sensible reading of the table passes.
    """
    out = []
    for name, stated in figures.items():
        if name == "litigation":
            keys = ["review_litigation.litigation_direct.total", "review_litigation.litigation_after_review.total"]
            if any(values.get(k) is None for k in keys):
                continue
            readings = {sum(values[k] for k in keys)}
            cells = keys
        else:
            key = NARRATIVE_TARGETS.get(name)
            if not key or values.get(key) is None:
                continue
            readings = {values[key]}
            cells = [key]
            if name == "new_received" and values.get("applications.carried_over.total") is not None:
                readings.add(values[key] + values["applications.carried_over.total"])
            if name == "review" and values.get("review_litigation.litigation_direct.total") is not None:
                lit = (values.get("review_litigation.litigation_direct.total") or 0) + (
                    values.get("review_litigation.litigation_after_review.total") or 0
                )
                readings.add(values[key] + lit)
        ok = any(to_decimal(stated) == to_decimal(r) for r in readings)
        table_value = values.get(cells[0]) if len(cells) == 1 else sum(values[k] for k in cells)
        out.append(
            CheckResult(
                rule=f"narrative.{name}",
                status=CheckStatus.pass_ if ok else CheckStatus.fail,
                expected=stated,
                actual=table_value,
                imbalance=None if ok else _num(to_decimal(table_value) - to_decimal(stated)),
                cells=cells,
                warning=True,
                message=None if ok else f"the prose says {stated}, the table says {table_value}",
            )
        )
    return out


def run_checks(values: Values, narrative: Optional[Mapping[str, Number]] = None) -> list[CheckResult]:
    """Every rule of template.md that the printed tables allow."""
    out = application_checks(values) + review_checks(values) + legacy_checks(values)
    if narrative:
        out += narrative_checks(values, narrative)
    return out


def year_over_year(previous_carried_forward: Optional[Number], current_carried_over: Optional[Number]) -> CheckResult:
    """``year_over_year.carry``: last year's carried_forward.total = this year's carried_over.total."""
    rule = "year_over_year.carry"
    cells = ["applications.carried_forward.total@previous", "applications.carried_over.total"]
    if previous_carried_forward is None or current_carried_over is None:
        return CheckResult(rule=rule, status=CheckStatus.uncertain, cells=cells)
    ok = to_decimal(previous_carried_forward) == to_decimal(current_carried_over)
    return CheckResult(
        rule=rule,
        status=CheckStatus.pass_ if ok else CheckStatus.fail,
        expected=previous_carried_forward,
        actual=current_carried_over,
        imbalance=_num(to_decimal(current_carried_over) - to_decimal(previous_carried_forward)),
        cells=cells,
    )
