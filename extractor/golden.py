"""Validation of hand-labelled goldens against template.md."""

from __future__ import annotations

from .template import TEMPLATES, all_valid_keys, expected_keys, flatten, tables_for

_OTHER_SINGLE = "applications.other_handling."
_OTHER_SPLIT = ("applications.other_no_correction.", "applications.other_unpaid_fee.", "applications.other_misc.")


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
    has_single = any(k.startswith(_OTHER_SINGLE) for k in flat)
    has_split = any(k.startswith(_OTHER_SPLIT) for k in flat)
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
