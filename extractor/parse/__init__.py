"""The deterministic parser: normalised text + template → cells with provenance.

Each table is looked for in its own region: the section whose heading names
it when that section holds the table's anchor words, else the stretch that
starts at the anchor (tables printed in an appendix or under an odd heading).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

from ..models import Cell as ResultCell
from ..normalise import NormalisedText, label_key
from ..sections import Section, other_form_of_text
from ..template import (
    ACTIVE_2019,
    ACTIVE_2021,
    APPLICANT_COLUMNS,
    REVIEW_LITIGATION,
    applications_rows,
    table_for,
)
from .legacy import parse_legacy, settle_by_prose
from .locate import locate_tables
from .narrative import narrative_figures, stated_documents
from .prose import legacy_from_prose
from .tables import parse_flat_table, parse_rows_table, sum_check
from .tokens import Line, tokenize

__all__ = ["ParsedDocument", "parse_document", "table_regions"]

_ANCHORS = {
    "active_disclosure": ("第二十条", "本年新制作数量", "本年制发件数", "现行有效件数", "对外公开总数量", "上一年项目数量"),
    "applications": ("本年新收政府信息公开申请", "申请人情况", "上年结转政府信息公开申请", "本年度办理结果", "勾稽关系"),
    "review_litigation": ("结果维持", "结果纠正", "尚未审结", "未经复议直接起诉", "复议后起诉"),
}
_ORDER = ("active_disclosure", "applications", "review_litigation")
_NUMERIC_CELL_RE = re.compile(r"(?:^|[\t|]|\s{2})\s*[\dOl]+(?:\.\d+)?\s*(?:万元|元|个|件|项|次|条)?\s*(?:$|[\t|]|\s{2})")


@dataclass
class ParsedDocument:
    cells: dict[str, ResultCell] = field(default_factory=dict)
    extra: dict[str, ResultCell] = field(default_factory=dict)  # legacy.extra
    regions: dict[str, tuple[int, int]] = field(default_factory=dict)  # table -> 0-based [start, end)
    found_rows: dict[str, list[str]] = field(default_factory=dict)
    other_form: Optional[str] = None
    narrative: dict[str, float] = field(default_factory=dict)


def _first_anchor(nt: NormalisedText, words: Sequence[str], start: int = 0, end: Optional[int] = None) -> Optional[int]:
    end = len(nt.lines) if end is None else end
    for i in range(start, end):
        key = label_key(nt.lines[i])
        if any(w in key for w in words):
            return i
    return None


def table_regions(nt: NormalisedText, sections: Sequence[Section],
                  lines: Optional[Sequence[Line]] = None) -> dict[str, tuple[int, int]]:
    """0-based line ranges [start, end) where each table of 二/三/四 is printed.

    Found by content (``locate.locate_tables``); a table none of whose labels
    survived is looked for by the chapter headings, as a last resort.
    """
    lines = tokenize(nt) if lines is None else lines
    found = locate_tables(lines, text=nt.lines)
    missing = [t for t in _ORDER if t not in found]
    if missing:
        for name, (a, b) in regions_by_headings(nt, sections).items():
            if name in missing and not any(a < e and s < b for s, e in found.values()):
                found[name] = (a, b)
    return found


def regions_by_headings(nt: NormalisedText, sections: Sequence[Section]) -> dict[str, tuple[int, int]]:
    """Regions from the chapter outline and the tables' anchor words."""
    n = len(nt.lines)
    starts: dict[str, int] = {}
    for name in _ORDER:
        sec = next((s for s in sections if s.name == name), None)
        if sec is not None and _first_anchor(nt, _ANCHORS[name], sec.start_line - 1, sec.end_line) is not None:
            starts[name] = sec.start_line - 1
            continue
        lo = max([v for v in starts.values()], default=0)
        a = _first_anchor(nt, _ANCHORS[name], lo)
        if a is not None:
            # include the label lines just above the anchor (a title, 第二十条), not the rows of the table before
            k = a
            while k - 1 >= lo and a - (k - 1) <= 3 and not _NUMERIC_CELL_RE.search(nt.lines[k - 1]):
                k -= 1
            starts[name] = k
    regions = {}
    ordered = sorted(starts.items(), key=lambda kv: kv[1])
    for k, (name, s) in enumerate(ordered):
        e = ordered[k + 1][1] if k + 1 < len(ordered) else n
        sec = next((x for x in sections if x.name == name and x.start_line - 1 == s), None)
        if sec is not None:
            e = min(e, sec.end_line)
        # a table section that is the last one runs to the next heading at most
        if k + 1 == len(ordered) and sec is None:
            nxt = next((x.start_line - 1 for x in sections if x.start_line - 1 > s + 3 and x.name not in _ORDER), n)
            e = min(e, nxt)
        regions[name] = (s, e)
    return regions



def parse_document(nt: NormalisedText, template: str, sections: Sequence[Section],
                   tokens: Optional[Sequence[Line]] = None) -> ParsedDocument:
    doc = ParsedDocument()
    tokens = tokenize(nt) if tokens is None else tokens
    if template == "legacy":
        start = _first_anchor(nt, ("统计指标", "指标名称")) or _first_anchor(nt, ("情况统计表", "统计表")) or 0
        lines = tokens[start:]
        tp, extra = parse_legacy(nt, lines)
        if not tp.cells and start:
            tp, extra = parse_legacy(nt, tokens)
        settle_by_prose(nt, start, tp.cells)
        if not tp.cells:  # no statistics table: the figures its prose states, if any
            tp.cells.update(legacy_from_prose(nt))
            tp.found_rows = [k.split(".")[-1] for k in tp.cells]
        doc.cells.update(tp.cells)
        doc.extra = extra
        doc.regions["legacy"] = (start, len(nt.lines))
        doc.found_rows["legacy"] = tp.found_rows
        doc.narrative = narrative_figures(nt, (start, len(nt.lines)), legacy=True)
        return doc

    regions = table_regions(nt, sections, tokens)
    doc.regions = regions
    if "active_disclosure" in regions:
        a, b = regions["active_disclosure"]
        table = ACTIVE_2021 if template == "2021" else ACTIVE_2019
        stated = stated_documents(nt, list(regions.values()))
        tp = parse_rows_table(nt, tokens[a:b], table, table.rows, stated=stated)
        doc.cells.update(tp.cells)
        doc.found_rows["active_disclosure"] = tp.found_rows
    if "applications" in regions:
        a, b = regions["applications"]
        form = other_form_of_text("".join(nt.lines[a:b]), template)
        doc.other_form = form
        rows = applications_rows(template, form)
        chk = sum_check(len(APPLICANT_COLUMNS) - 1)
        tp = parse_rows_table(nt, tokens[a:b], table_for(template, "applications"), rows,
                              {r.key: chk for r in rows})
        doc.cells.update(tp.cells)
        doc.found_rows["applications"] = tp.found_rows
    if "review_litigation" in regions:
        a, b = regions["review_litigation"]
        chk = sum_check(4)
        tp = parse_flat_table(nt, tokens[a:b], REVIEW_LITIGATION, {r.key: chk for r in REVIEW_LITIGATION.rows})
        doc.cells.update(tp.cells)
        doc.found_rows["review_litigation"] = tp.found_rows
    doc.narrative = narrative_figures(nt, None)
    return doc
