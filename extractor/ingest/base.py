"""What every backend returns, and the small text helpers they share.

A backend turns bytes of one format into ``Extracted``; ``ingest`` adds the
timing and the detected kind. Cells and rows go through ``cell_text`` and
``row_line`` so every format honours the same text contract: one table row
per line, cells joined by a tab, an empty string for an empty cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

MAX_BYTES = 200 * 1024 * 1024  # a report is never this big; refuse before parsing
MAX_PAGES = 400  # bound on pages read (and OCR'd) from one document


@dataclass
class Extracted:
    text: str
    ingester: str
    encoding: Optional[str] = None
    pages: Optional[int] = None
    ocr_pages: Optional[int] = None
    ocr_confidence: Optional[float] = None
    turned_pages: dict[int, int] = field(default_factory=dict)  # page (1-based) -> degrees turned before OCR


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[ \u00a0\u2002-\u200a\u202f\u205f\u3000]+")


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF or 0x20000 <= o <= 0x3FFFF


def join_fragments(parts: Iterable[str]) -> str:
    """Join wrapped pieces of one cell or line: no space between CJK, a space between words."""
    out = ""
    for p in parts:
        p = p.strip()
        if not p:
            continue
        if out and out[-1].isascii() and out[-1].isalnum() and p[0].isascii() and p[0].isalnum():
            out += " "
        out += p
    return out


_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc


def clean_inline(s: str) -> str:
    """One line of text: invisible characters gone, runs of spaces (incl. nbsp, 　) → one space."""
    s = s.translate(_INVISIBLE).replace("\t", " ")
    s = _CONTROL_CHARS.sub(" ", s)
    return _SPACES.sub(" ", s).strip()


def cell_text(s: Optional[str]) -> str:
    """A cell's printed text on one line (wrapped lines joined, no tab inside)."""
    if not s:
        return ""
    return clean_inline(join_fragments(s.translate(_INVISIBLE).splitlines()))


def row_line(cells: Iterable[Optional[str]]) -> str:
    """A table row as one line: cells joined by a tab, empty cells kept as ''."""
    return "\t".join(cell_text(c) for c in cells)


def resolve_grid(rows: list[list[tuple[str, int, int]]]) -> list[list[str]]:
    """Rows of (text, rowspan, colspan) cells → a rectangular grid of strings.

    A spanned cell's text sits in its top-left slot and the slots it covers
    are '', so every row keeps its own label and numbers in column order
    (the same shape as seeds 000 and 004 print). Empty rows are dropped, and
    so are columns empty in every row of a table of 3+ rows (spacer columns
    that would shift numbers); a short table keeps its blank cells.
    """
    grid: list[list[Optional[str]]] = []
    pending: dict[tuple[int, int], bool] = {}  # slots taken by a rowspan from above
    label_fill: set[tuple[int, int]] = set()  # slots a row label covers by its colspan
    for r, cells in enumerate(rows):
        while len(grid) <= r:
            grid.append([])
        row = grid[r]
        c = 0
        for text, rowspan, colspan in cells:
            while pending.get((r, c)):
                _put(row, c, "")
                c += 1
            rowspan, colspan = max(1, rowspan), max(1, colspan)
            for dc in range(colspan):
                _put(row, c + dc, text if dc == 0 else "")
                if dc and text.strip() and not _NUMERIC_RE.fullmatch(text.strip()):
                    label_fill.add((r, c + dc))
                for dr in range(1, rowspan):
                    pending[(r + dr, c + dc)] = True
            c += colspan
        while pending.get((r, c)):
            _put(row, c, "")
            c += 1
    width = max((len(r) for r in grid), default=0)
    full = [[(x or "") for x in r] + [""] * (width - len(r)) for r in grid]
    numbered = [any(_NUMERIC_RE.fullmatch(x.strip()) for x in r) for r in full]
    kept = [i for i, r in enumerate(full) if any(x.strip() for x in r)]
    full = [full[i] for i in kept]
    keep = list(range(width)) if len(full) < 3 else [j for j in range(width) if any(r[j].strip() for r in full)]
    # a row label spanning columns (（一）予以公开 over two) is one cell in a row of figures, not a blank beside it
    return [[r[j] for j in keep if not (numbered[i] and (i, j) in label_fill)] for i, r in zip(kept, full)]


_NUMERIC_RE = re.compile(r"[+-]?\d[\d,]*(?:\.\d+)?\s*\S{0,2}")


def _put(row: list[Optional[str]], c: int, text: str) -> None:
    while len(row) <= c:
        row.append(None)
    if row[c] is None:
        row[c] = text


def finish(lines: Iterable[str]) -> str:
    """Final text: lines stripped of trailing blanks, runs of blank lines collapsed."""
    out: list[str] = []
    for line in lines:
        line = line.rstrip(" ")
        if "\t" not in line:
            line = line.strip()
        if not line.strip():
            if out and out[-1] == "":
                continue
            line = ""
        out.append(line)
    while out and out[-1] == "":
        out.pop()
    while out and out[0] == "":
        out.pop(0)
    return "\n".join(out) + ("\n" if out else "")
