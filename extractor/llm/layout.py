"""Which table a section holds, in which template and （六） form.

One place turns (section name, template, form) into the rows and columns of
``extractor/template.py``, so the prompt, the answer schema, grounding and the
merge all describe exactly the same cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional

from ..normalise import label_key
from ..template import DECIMAL_COLUMNS, OTHER_2021_ROWS, Row, Table, applications_rows, table_for

TABLE_SECTIONS = ("active_disclosure", "applications", "review_litigation", "legacy")

_SPLIT_MARKERS = ("逾期不补正", "收费通知要求缴纳费用", "缴纳费用")


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

    @staticmethod
    def is_decimal(column: str) -> bool:
        return column in DECIMAL_COLUMNS


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
    keys = list(known_keys)
    if any(".other_handling." in k for k in keys):
        return "single"
    if any(f".{r}." in k for r in OTHER_2021_ROWS for k in keys):
        return "split"
    flat = label_key(text)
    if any(m in flat for m in _SPLIT_MARKERS):
        return "split"
    if "其他处理" in flat:
        return "single"
    return "split" if template == "2021" else "single"


_T2021 = ("本年制发件数", "本年废止件数", "现行有效件数")
_T2019 = ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "采购项目数量")
_TLEGACY = ("收到申请数", "申请办结数", "申请答复数", "统计指标", "属于已主动公开范围数")


def guess_template(text: str) -> Optional[str]:
    """A fallback when the parser could not tell the template: count column anchors."""
    flat = label_key(text)
    n21 = sum(w in flat for w in _T2021)
    n19 = sum(w in flat for w in _T2019)
    nleg = sum(w in flat for w in _TLEGACY)
    if n21 and n21 >= n19:
        return "2021"
    if n19:
        return "2019"
    if nleg >= 2:
        return "legacy"
    if any(m in flat for m in _SPLIT_MARKERS):
        return "2021"
    if re.search("本年新收|上年结转|行政复议", flat):
        return "2019"
    return None


def legacy_score(text: str) -> int:
    """How many legacy-table anchors a text holds (to find the 统计表 among sections)."""
    flat = label_key(text)
    return sum(w in flat for w in _TLEGACY + ("按时办结数", "不同意公开答复数", "主动公开政府信息数"))
