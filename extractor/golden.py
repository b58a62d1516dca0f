"""Validation of hand-labelled goldens against template.md."""

from __future__ import annotations

from .template import OTHER_2021_ROWS, TEMPLATES, all_valid_keys, applications_rows, expected_keys, flatten, tables_for

# The （六） rows of each form, taken from template.py: the 2021 sub-rows, and
# the row only the single form prints (other_handling).
_SPLIT_ROWS = frozenset(OTHER_2021_ROWS)
_SINGLE_ROWS = frozenset(r.key for r in applications_rows("2019", "single")) - {
    r.key for r in applications_rows("2021", "split")}


def _applications_row(key: str) -> str | None:
    table, _, rest = key.partition(".")
    return rest.split(".", 1)[0] if table == "applications" else None


def validate_golden(data: dict) -> list[str]:
    """Problems with a golden: wrong template, unknown keys, missing rows or cells."""
    problems = []
    template = data.get("template")
    if template not in TEMPLATES:
        return [f"unknown template {template!r}"]
    for field in ("id", "source", "tables"):
        if field not in data:
            problems.append(f"missing field {field!r}")
    if not isinstance(data.get("year"), int):
        problems.append("year must be an integer")
    flat = flatten(data.get("tables") or {})
    valid = all_valid_keys(template)
    for k in flat:
        if k not in valid:
            problems.append(f"unknown key {k} for template {template}")
    rows = {_applications_row(k) for k in flat}
    has_single, has_split = bool(rows & _SINGLE_ROWS), bool(rows & _SPLIT_ROWS)
    if has_single and has_split:
        problems.append("table 三 holds both other_handling and the three 2021 （六） rows")
    form = "split" if has_split else "single"
    printed = {k.split(".")[0] for k in flat}
    for k in expected_keys(template, other_form=form):
        if k.split(".")[0] in printed and k not in flat:
            problems.append(f"missing cell {k}")
    for t in tables_for(template):
        if t.key not in printed:
            problems.append(f"table {t.key} absent (fine only if the report does not print it)")
    for k, v in flat.items():
        if v is not None and not isinstance(v, (int, float)):
            problems.append(f"{k}: value {v!r} is not a number or null")
    return problems
