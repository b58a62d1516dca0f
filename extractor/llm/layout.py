"""Which table a section holds, in which template and （六） form.

One place turns (section name, template, form) into the rows and columns of
``extractor/template.py``, so the prompt, the answer schema, grounding and the
merge all describe exactly the same cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from ..normalise import label_key
from ..sections import LEGACY_ANCHORS, other_form_of_text, template_of_text
from ..template import Row, Table, applications_rows, other_form_of_keys, table_for

TABLE_SECTIONS = ("active_disclosure", "applications", "review_litigation", "legacy")



@dataclass(frozen=True)
class Layout:
    """The cells of one table section: ``rows`` in report order."""

    section: str  # table key: active_disclosure | applications | review_litigation | legacy
    template: str  # "2019" | "2021" | "legacy"
    form: Optional[str]  # applications only: "single" (other_handling) or "split" (three 2021 rows)
    table: Table
    rows: tuple[Row, ...]

    @property
    def name(self) -> str:
        """A stable identifier, also the answer model's name (tool name)."""
        parts = [self.section, self.template] + ([self.form] if self.form else [])
        return "_".join(parts)

    def keys(self) -> list[str]:
        return [f"{self.section}.{r.key}.{c}" for r in self.rows for c in r.columns]

    def column_label(self, column: str) -> str:
        return self.table.column_labels.get(column, column)

    def row(self, key: str) -> Row:
        for r in self.rows:
            if r.key == key:
                return r
        raise KeyError(key)


def layout_for(section: str, template: str, form: Optional[str] = None) -> Layout:
    """The layout of ``section`` in ``template``; raises KeyError if it has no such table."""
    if section == "legacy" and template != "legacy":
        raise KeyError(f"template {template} has no legacy table")
    table = table_for(template, section)
    rows = table.rows
    if section == "applications":
        form = form or ("split" if template == "2021" else "single")
        rows = applications_rows(template, form)
    else:
        form = None
    return Layout(section, template, form, table, tuple(rows))


def detect_form(text: str, template: str, known_keys: Iterable[str] = ()) -> str:
    """Which （六） rows table 三 prints: from the parser's keys, else from the text."""
    return other_form_of_keys(known_keys) or other_form_of_text(text, template)


def guess_template(text: str) -> Optional[str]:
    """A fallback when the parser could not tell the template."""
    return template_of_text(text)


def legacy_score(text: str) -> int:
    """How many legacy-table anchors a text holds (to find the 统计表 among sections)."""
    flat = label_key(text)
    return sum(w in flat for w in LEGACY_ANCHORS)
