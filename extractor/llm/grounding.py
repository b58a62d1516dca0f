"""Grounding: a number the LLM returns must be printed near its row label.

An LLM can read a table well and still invent a figure. Every non-null value
is therefore looked up in the section's own text (normalised as the parser
reads it): in the lines between its row label and the next row label found,
a printed cell must parse (``parse_cell``: units, 无, signed changes, OCR
look-alikes) to exactly that value. Row labels are searched in report order,
so a label that occurs twice (总计 in the header and in row （七）) resolves to
the right line, and an OCR-damaged label falls back to the lines between its
neighbours. A value not found is *ungrounded*: it is flagged, never verified.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Mapping, Optional

from ..models import Number, to_decimal
from ..normalise import label_key, normalise_line, parse_cell
from .layout import Layout

_SPLIT_RE = re.compile(r"\t|\||｜| {2,}")
# A bare number, not glued to letters (``4h`` is unreadable, not 4) and not an
# enumeration (``2.其他…``, ``3、``).
_NUM_RE = re.compile(r"(?<![A-Za-z\d.])[+-]?\d+(?:,\d{3})*(?:\.\d+)?(?![A-Za-z\d.、])")
_UNIT_NUM_RE = re.compile(
    r"(?:本年)?(?:增加|新增|增|减少|减|下降|上升)?\s*(?<![A-Za-z\d.])[+-]?\d+(?:,\d{3})*(?:\.\d+)?"
    r"\s*(?:万元|万|元|亿元|亿|%)?(?![A-Za-z\d.、])"
)
# Review/litigation is often one flat row of 15 numbers under a two-line header:
# any line after the first label is "near".
_FLAT_SECTIONS = {"review_litigation"}
# Legacy sub-items are searched after their block's total (prefix of the key -> anchor key).
_LEGACY_ANCHORS = (
    ("received_", "applications_received"),
    ("closed_", "applications_closed"),
    ("reply_", "replies_total"),
    ("review_", "review_total"),
    ("litigation_", "litigation_total"),
)


@dataclass(frozen=True)
class Grounding:
    key: str
    grounded: bool
    line: Optional[int] = None  # 0-based line in the section text where the value was found
    label_line: Optional[int] = None  # where the row label was found, if it was
    reason: Optional[str] = None


@dataclass(frozen=True)
class _Unit:
    """A labelled group of cells: a table row, or one legacy indicator."""

    key: str
    label: str
    aliases: tuple[str, ...]
    columns: tuple[str, ...]
    flat_keys: tuple[str, ...]


def _units(layout: Layout) -> list[_Unit]:
    if layout.section == "legacy":
        row = layout.rows[0]
        return [
            _Unit(c, layout.column_label(c), (), (c,), (f"legacy.{row.key}.{c}",)) for c in row.columns
        ]
    return [
        _Unit(r.key, r.label, r.aliases, r.columns, tuple(f"{layout.section}.{r.key}.{c}" for c in r.columns))
        for r in layout.rows
    ]


@lru_cache(maxsize=65536)
def cell_values(line: str, column: str) -> frozenset[Decimal]:
    """Every value a printed line can be read as for ``column`` (pieces and bare numbers)."""
    out: set[Decimal] = set()
    pieces = [p for p in _SPLIT_RE.split(line) if p.strip()]
    for piece in pieces + _UNIT_NUM_RE.findall(line) + _NUM_RE.findall(line):
        parsed = parse_cell(piece, column)
        if parsed.kind in ("number", "zero_word") and parsed.value is not None:
            out.add(to_decimal(parsed.value))
    return frozenset(out)


class SectionIndex:
    """The section's lines, label positions and cached cell readings."""

    def __init__(self, text: str, layout: Layout):
        self.layout = layout
        self.lines = [normalise_line(l) for l in text.split("\n")]
        self.keys = [label_key(l) for l in self.lines]
        self.units = _units(layout)
        self.label_lines = self._find_labels()

    def _wanted(self, unit: _Unit) -> list[str]:
        return [w for w in [label_key(unit.label)] + [label_key(a) for a in unit.aliases] if len(w) >= 2]

    def _matches(self, i: int, unit: _Unit) -> bool:
        k = self.keys[i]
        hits = [w for w in self._wanted(unit) if w in k]
        if not hits:
            return False
        # 同意公开答复数 must not match the line of 不同意公开答复数: a longer label that
        # contains this one and is on the line belongs to another unit.
        longer = [w for u in self.units if u is not unit for w in self._wanted(u)
                  if w in k and any(h in w and h != w for h in hits)]
        return not longer

    def _find_labels(self) -> dict[str, int]:
        if self.layout.section == "legacy":
            return self._find_legacy_labels()
        found: dict[str, int] = {}
        cursor = 0
        for unit in self.units:
            for i in range(cursor, len(self.lines)):
                if self._matches(i, unit):
                    found[unit.key] = i
                    cursor = i + 1
                    break
        return found

    def _find_legacy_labels(self) -> dict[str, int]:
        """Indicators in any order; a sub-item is searched after its block's total
        (被依法纠错数 under 行政复议数量 and again under 行政诉讼数量)."""
        found: dict[str, int] = {}
        for unit in self.units:
            anchor = next((a for p, a in _LEGACY_ANCHORS if unit.key.startswith(p) and unit.key != a), None)
            start = found.get(anchor, 0) if anchor else 0
            for i in range(start, len(self.lines)):
                if self._matches(i, unit):
                    found[unit.key] = i
                    break
        return found

    def region(self, unit_index: int) -> range:
        """The lines where ``units[unit_index]``'s values may be printed."""
        n = len(self.lines)
        unit = self.units[unit_index]
        span = max(8, 3 * len(unit.columns) + 4)
        found_before = [self.label_lines[u.key] for u in self.units[:unit_index] if u.key in self.label_lines]
        found_after = [self.label_lines[u.key] for u in self.units[unit_index + 1:] if u.key in self.label_lines]
        own = self.label_lines.get(unit.key)
        found_all = [v for k, v in self.label_lines.items() if k != unit.key]
        if self.layout.section in _FLAT_SECTIONS:
            starts = [v for v in self.label_lines.values()]
            return range(min(starts) if starts else 0, n)
        if own is not None:
            start = own
            nxt = min((v for v in found_all if v > own), default=None)
            end = nxt if nxt is not None else own + span + 1
            return range(start, min(n, end, own + span + 1))
        start = max(found_before) if found_before else 0
        nxt = min((v for v in found_after if v >= start), default=None)
        end = (nxt + 1) if nxt is not None else min(n, start + span + 1)
        return range(start, min(n, end))

    def values_on(self, i: int, column: str) -> frozenset[Decimal]:
        return cell_values(self.lines[i], column)


def ground_values(text: str, layout: Layout, values: Mapping[str, Optional[Number]],
                  raws: Optional[Mapping[str, Optional[str]]] = None) -> dict[str, Grounding]:
    """Ground every flat key of ``layout`` in ``values``; null values are trivially grounded."""
    idx = SectionIndex(text, layout)
    raws = raws or {}
    out: dict[str, Grounding] = {}
    for ui, unit in enumerate(idx.units):
        region = idx.region(ui)
        label_line = idx.label_lines.get(unit.key)
        for col, key in zip(unit.columns, unit.flat_keys):
            if key not in values:
                continue
            v = values[key]
            if v is None:
                out[key] = Grounding(key, True, None, label_line)
                continue
            target = to_decimal(v)
            hit = next((i for i in region if target in idx.values_on(i, col)), None)
            if hit is None:
                hit = _raw_hit(idx, region, raws.get(key), col, target)
            if hit is not None:
                out[key] = Grounding(key, True, hit, label_line)
            else:
                where = f"near “{unit.label}”" if label_line is not None else f"where “{unit.label}” should be"
                out[key] = Grounding(key, False, None, label_line, f"{v} is not printed {where}")
    return out


def _raw_hit(idx: SectionIndex, region: range, raw: Optional[str], column: str, target: Decimal) -> Optional[int]:
    """A raw text that is printed in the region and reads as the value (e.g. a split number)."""
    if not raw:
        return None
    parsed = parse_cell(raw, column)
    if parsed.kind not in ("number", "zero_word") or parsed.value is None or to_decimal(parsed.value) != target:
        return None
    needle = re.sub(r"\s+", "", normalise_line(raw))
    if not needle:
        return None
    for i in region:
        if needle in re.sub(r"\s+", "", idx.lines[i]):
            return i
    return None
