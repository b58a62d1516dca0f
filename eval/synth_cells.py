"""How one value cell is printed, and what the golden says it is.

Each damage kind maps a true value to printed text. The golden follows
template.md: the value is what the report prints as a reader takes it —
an OCR'd ``l2`` is still 12, a unit is dropped, a blank or dash is null,
``无`` is 0. The printer remembers which kinds it actually applied, so a
document is labelled only with damage it really carries.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Optional

from extractor.template import DECIMAL_COLUMNS, SIGNED_COLUMNS

FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")
OCR_SWAPS = {"0": "O", "1": "l", "5": "S"}
DASHES = ("—", "/", "-", "——", "－")
COUNT_UNITS = ("个", "件", "项", "次", "条")
STRAY_MARKS = ("_", "`", "¨", ":", "~", "'")

# Per-cell probability of each damage kind, once the document carries it.
CELL_RATES = {
    "ocr_digits": 0.12,
    "units": 0.25,
    "dropped_cell": 0.03,
    "dash_cells": 0.25,  # of zero cells
    "split_number": 0.3,  # of multi-digit cells
}


def fmt_number(value: float, column: str, rng: random.Random) -> str:
    """Plain printing: integers as is, amounts with their decimals (maybe padded)."""
    if column in DECIMAL_COLUMNS and isinstance(value, float):
        text = repr(value)
        if "." in text and len(text.split(".")[1]) == 1 and rng.random() < 0.3:
            text += "0"  # 493.5 printed 493.50
        return text
    if column in SIGNED_COLUMNS and value > 0 and rng.random() < 0.3:
        return f"+{value}"
    return str(value)


@dataclass
class CellPrinter:
    """Prints value cells for one document with its damage kinds."""

    rng: random.Random
    damage: set[str]
    split_ok: bool = True  # the layout delimits cells, so "24 56" stays one cell
    applied: set[str] = field(default_factory=set)
    rates: dict = field(default_factory=dict)  # per-kind rate overrides (variations)
    variations: set[str] = field(default_factory=set)  # stray_marks, split_digits
    var_applied: set[str] = field(default_factory=set)

    def _hit(self, kind: str) -> bool:
        return kind in self.damage and self.rng.random() < self.rates.get(kind, CELL_RATES[kind])

    def print(self, value: Optional[float], column: str, row: str = "") -> tuple[str, Optional[float]]:
        """Printed text and golden value of one cell."""
        rng = self.rng
        if value is None:
            return "", None
        if self._hit("dropped_cell"):
            self.applied.add("dropped_cell")
            return "", None
        if value == 0 and "dash_cells" in self.damage and rng.random() < CELL_RATES["dash_cells"]:
            self.applied.add("dash_cells")
            if rng.random() < 0.25:
                return "无", 0
            return rng.choice(DASHES), None
        text = fmt_number(value, column, rng)
        if self._hit("split_number") and self.split_ok and len(text) >= 2 and text.lstrip("+-").isdigit():
            body = text.lstrip("+-")
            if len(body) >= 2:
                cut = rng.randint(1, len(body) - 1)
                text = text[: len(text) - len(body)] + body[:cut] + " " + body[cut:]
                self.applied.add("split_number")
        if self._hit("ocr_digits"):
            swapped = self._ocr(text)
            if swapped != text:
                text = swapped
                self.applied.add("ocr_digits")
        if self._hit("units"):
            text = self._units(text, value, column, row)
            self.applied.add("units")
        if "split_digits" in self.variations and rng.random() < 0.3:
            text = self._split_digits(text)
        if "stray_marks" in self.variations and rng.random() < 0.15:
            mark = rng.choice(STRAY_MARKS)
            text = mark + text if rng.random() < 0.6 else text + mark
            self.var_applied.add("stray_marks")
        if "fullwidth_digits" in self.damage:
            text = text.translate(FULLWIDTH)
            self.applied.add("fullwidth_digits")
        return text, value

    def _split_digits(self, text: str) -> str:
        """``26`` → ``2 6``, ``123`` → ``1 23`` or ``1 2 3``: the first run of 2+ digits."""
        import re

        m = re.search(r"\d{2,}", text)
        if not m:
            return text
        run = m.group()
        cuts = sorted(self.rng.sample(range(1, len(run)), k=min(len(run) - 1, self.rng.choice((1, 1, 2)))))
        parts, prev = [], 0
        for c in cuts:
            parts.append(run[prev:c])
            prev = c
        parts.append(run[prev:])
        self.var_applied.add("split_digits")
        return text[: m.start()] + " ".join(parts) + text[m.end():]

    def _ocr(self, text: str) -> str:
        chars = list(text)
        idx = [i for i, ch in enumerate(chars) if ch in OCR_SWAPS]
        if not idx:
            return text
        for i in self.rng.sample(idx, k=self.rng.randint(1, len(idx))):
            chars[i] = OCR_SWAPS[chars[i]]
        return "".join(chars)

    def _units(self, text: str, value: float, column: str, row: str) -> str:
        rng = self.rng
        if column in DECIMAL_COLUMNS:
            if " " not in text and rng.random() < 0.2 and not any(c.isalpha() for c in text):
                yuan = round(value * 10000)
                return f"{yuan}元"
            return text + rng.choice(("万元", "万", " 万元"))
        if column in SIGNED_COLUMNS:
            if value > 0:
                return rng.choice((f"本年增加 {text.lstrip('+')} 项", f"增加{text.lstrip('+')}", f"{text}项"))
            if value < 0:
                return rng.choice((f"减少{text.lstrip('-')}", f"本年减少 {text.lstrip('-')} 项", f"{text}项"))
            return rng.choice(("0%", "0项", text))
        if row == "normative_documents" and value >= 2 and rng.random() < 0.4:
            return f"{text}（其中修订{rng.randint(1, int(value) - 1)}件）"
        return text + rng.choice(COUNT_UNITS)
