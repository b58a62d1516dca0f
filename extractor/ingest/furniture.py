"""Page furniture: page numbers and running headers/footers between pages.

Paged sources (PDF, scans) print ``-4-`` or ``第 4 页`` at the foot of every
page, often in the middle of a table that runs across the break; left in,
they read as a stray number inside the table. Only single-cell lines near a
page edge are candidates, so a table row is never taken for furniture.
"""

from __future__ import annotations

import re
from collections import Counter

from .layout import Line

_PAGE_NO = re.compile(
    r"^("
    r"[-—–－~·•]\s*\d{1,4}\s*[-—–－~·•]"  # -4-, — 4 —
    r"|第\s*\d{1,4}\s*页(\s*[,，/、]?\s*共\s*\d{1,4}\s*页)?"  # 第 4 页 (共 9 页)
    r"|共\s*\d{1,4}\s*页\s*第\s*\d{1,4}\s*页"
    r"|\d{1,4}\s*/\s*\d{1,4}"  # 4/9
    r"|page\s*\d{1,4}(\s*of\s*\d{1,4})?"
    r")$",
    re.I,
)
_BARE_NO = re.compile(r"^[-—–－]?\s*[1-9]\d{0,2}\s*[-—–－]?$")  # pages count from 1
MARGIN = 0.1  # share of page height at top and bottom where furniture lives


def _in_margin(line: Line) -> bool:
    return line.bottom <= MARGIN or line.top >= 1 - MARGIN


def is_page_number(line: Line, edge: bool) -> bool:
    """A page number: a known pattern at a page edge, or a bare number at the foot.

    A bare figure at the top of a page is more often a table's cell printed alone on
    its line (a report exported one cell per line) that ran onto the new page.
    """
    if line.cells > 1:
        return False
    t = re.sub(r"\s+", " ", line.text.strip())
    if _PAGE_NO.match(t) and (edge or _in_margin(line)):
        return True
    return bool(_BARE_NO.match(t)) and edge and line.top >= 1 - MARGIN


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def drop_furniture(pages: list[list[Line]]) -> list[list[Line]]:
    """Remove page numbers, running headers/footers, and table headers repeated on a new page."""
    n = len(pages)
    repeated: set[str] = set()
    if n >= 2:
        seen = Counter(
            k for page in pages for k in {_key(l.text) for l in page if l.cells == 1 and _in_margin(l)}
        )
        # a bare figure ('#') is a page number when it is one, never a running header
        repeated = {k for k, c in seen.items() if c >= 2 and c >= 0.4 * n and k and k.strip("-—–－~·• ") != "#"}
    out: list[list[Line]] = []
    for page in pages:
        keep = []
        for i, line in enumerate(page):
            edge = i < 2 or i >= len(page) - 2
            if is_page_number(line, edge):
                continue
            if line.cells == 1 and _in_margin(line) and _key(line.text) in repeated:
                continue
            keep.append(line)
        out.append(keep)
    _drop_repeated_table_headers(out)
    return out


def _drop_repeated_table_headers(pages: list[list[Line]]) -> None:
    """A table that continues on the next page often repeats its header row there: keep one."""
    last_header = None
    for page in pages:
        if page and page[0].table is not None and last_header is not None and page[0].text == last_header:
            del page[0]
        headers = [l for l in page if l.first_row]
        if headers:
            last_header = headers[-1].text
