"""PDF: the text layer where there is one, OCR for pages that are only images.

pdfplumber gives characters with positions. Ruled tables come from its
line-based table finder (merged cells arrive as None → ''); other text is
rebuilt into lines and borderless rows from word positions (``layout``).
A page without a usable text layer (a scan, or a font with no Unicode map
that extracts as ``(cid:12)`` garbage) is rendered with pypdfium2 and OCR'd,
so a PDF mixing text and scanned pages reads each page as it is.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
import statistics
import unicodedata

import pdfplumber
import pypdfium2 as pdfium

from ..errors import IngestError
from .base import MAX_PAGES, Extracted, cell_text, finish
from .furniture import drop_furniture
from .layout import Line, Token, lines_from_tokens
from .ocr import TARGET_LONG_SIDE, read_page

logging.getLogger("pdfminer").setLevel(logging.ERROR)

_TABLE_SETTINGS = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 5,
}
MIN_TEXT_CHARS = 20  # fewer visible characters than this: the page is a scan


def read(data: bytes, name: str, kind: str) -> Extracted:
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pages = pdf.pages
    except Exception as e:  # pdfminer raises many types; all mean "cannot open"
        reason = _open_error(e)
        if reason.startswith("encrypted"):
            raise IngestError(reason) from None
        return _read_with_pdfium(data, reason)  # pdfium repairs some files pdfminer refuses
    n = len(pages)
    if n == 0:
        raise IngestError("PDF has no pages")
    if n > MAX_PAGES:
        raise IngestError(f"PDF has {n} pages, more than the limit of {MAX_PAGES}")
    doc = None
    out_pages: list[list[Line]] = []
    parts: list[TablePart] = []
    scores: list[float] = []
    turned: dict[int, int] = {}
    ocr_pages = 0
    try:
        for i, page in enumerate(pages):
            lines = None
            try:
                if _has_text_layer(page):
                    lines, page_parts = text_page_lines(page, i)
                    parts += page_parts
            except Exception:  # one broken page (bad font, bad stream) falls back to OCR
                lines = None
            if lines is None:
                if doc is None:
                    doc = _pdfium(data)
                ocr = read_page(_render(doc[i]), i + 1, len(pages))
                lines = [_renumber(l, 10_000 * (i + 1)) for l in ocr.lines]  # table ids unique per page
                scores += ocr.scores
                ocr_pages += 1
                if ocr.turned:
                    turned[i + 1] = ocr.turned
            out_pages.append(lines)
    finally:
        pdf.close()
        if doc is not None:
            doc.close()
    for table_id, chain in enumerate(_chains(parts, out_pages)):
        for page, rows in _chain_lines(chain, table_id).items():
            out_pages[page] = sorted(out_pages[page] + rows, key=lambda l: (l.top, l.bottom))
    text = finish(l.text for page in drop_furniture(out_pages) for l in page)
    ingester = "pdf" if not ocr_pages else ("ocr" if ocr_pages == n else "pdf+ocr")
    return Extracted(
        text=text,
        ingester=ingester,
        pages=n,
        ocr_pages=ocr_pages,
        ocr_confidence=round(statistics.fmean(scores), 4) if scores else None,
        turned_pages=turned,
    )


def _open_error(e: Exception) -> str:
    msg = f"{type(e.args[0]).__name__ if e.args and isinstance(e.args[0], Exception) else type(e).__name__}: {e}"
    if "password" in msg.lower() or "encrypt" in msg.lower():
        return "encrypted PDF: it needs a password to open"
    return f"corrupt PDF, cannot be opened ({' '.join(msg.split())[:160]})"


def _pdfium(data: bytes, reason: str = ""):
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        raise IngestError(reason or f"corrupt PDF, pages cannot be rendered ({e})") from None


def _read_with_pdfium(data: bytes, reason: str) -> Extracted:
    """Fallback reader: pdfium's text (rows rebuilt from character boxes), OCR where there is none."""
    doc = _pdfium(data, reason)
    try:
        n = len(doc)
        if n == 0:
            raise IngestError(reason)
        if n > MAX_PAGES:
            raise IngestError(f"PDF has {n} pages, more than the limit of {MAX_PAGES}")
        out_pages, scores, ocr_pages, turned = [], [], 0, {}
        for i in range(n):
            page = doc[i]
            lines = _pdfium_lines(page)
            if sum(len(l.text) for l in lines) < MIN_TEXT_CHARS:
                ocr = read_page(_render(page), i + 1, n)
                lines, scores, ocr_pages = ocr.lines, scores + ocr.scores, ocr_pages + 1
                if ocr.turned:
                    turned[i + 1] = ocr.turned
            out_pages.append(lines)
    finally:
        doc.close()
    text = finish(l.text for page in drop_furniture(out_pages) for l in page)
    return Extracted(
        text=text,
        ingester="pdfium" if not ocr_pages else ("ocr" if ocr_pages == n else "pdfium+ocr"),
        pages=n,
        ocr_pages=ocr_pages,
        ocr_confidence=round(statistics.fmean(scores), 4) if scores else None,
        turned_pages=turned,
    )


def _pdfium_lines(page) -> list[Line]:
    """Characters with boxes → word tokens → the same line/row rebuilding as pdfplumber pages."""
    tp = page.get_textpage()
    _, h = page.get_size()
    tokens: list[Token] = []
    cur: list = []  # [text, x0, top, x1, bottom]
    for i in range(tp.count_chars()):
        ch = tp.get_text_range(i, 1)
        left, bottom, right, top = tp.get_charbox(i, loose=True)
        t, b = h - top, h - bottom
        if not ch.strip() or right <= left:
            if cur:
                tokens.append(Token(*cur))
                cur = []
            continue
        ch_h = max(b - t, 1.0)
        if cur and abs(b - cur[4]) < 0.3 * ch_h and -0.5 * ch_h <= left - cur[3] < 0.3 * ch_h:
            cur[0] += ch
            cur[3], cur[2], cur[4] = right, min(cur[2], t), max(cur[4], b)
        else:
            if cur:
                tokens.append(Token(*cur))
            cur = [ch, left, t, right, b]
    if cur:
        tokens.append(Token(*cur))
    tp.close()
    return lines_from_tokens(tokens, h)


def _render(page):
    w, h = page.get_size()
    scale = TARGET_LONG_SIDE / max(w, h, 1)
    return page.render(scale=scale).to_pil()  # in colour: ocr.to_gray takes red seals out


def _renumber(line: Line, base: int) -> Line:
    if line.table is not None:
        line.table += base
    return line


def _visible(c: dict) -> bool:
    return not c["text"].isspace()


def _has_text_layer(page) -> bool:
    """Enough readable characters, and not mostly (cid:N) / private-use / replacement garbage."""
    chars = [c for c in page.chars if _visible(c)]
    if len(chars) < MIN_TEXT_CHARS:
        return False
    bad = sum(
        1 for c in chars
        if c["text"].startswith("(cid:") or c["text"] == "\ufffd" or unicodedata.category(c["text"][0]) in ("Co", "Cn")
    )
    if bad > 0.2 * len(chars):
        return False
    area = float(page.width * page.height) or 1.0
    covered = sum(max(0.0, (im["x1"] - im["x0"]) * (im["bottom"] - im["top"])) for im in page.images)
    return not (covered > 0.5 * area and len(chars) < 200)  # a full-page scan with a stamp or caption


@dataclass
class TablePart:
    """The piece of a ruled table printed on one page, cells with their x extents."""

    page: int
    bbox: tuple[float, float, float, float]  # x0, top, x1, bottom in points
    rows: list[tuple[list[tuple[str, float, float]], float, float]]  # cells (text, x0, x1), top, bottom (page share)


def text_page_lines(page, index: int) -> tuple[list[Line], list[TablePart]]:
    """One page with a text layer → free lines and ruled table parts."""
    h = float(page.height)
    parts: list[TablePart] = []
    for table in page.find_tables(_TABLE_SETTINGS):
        texts = table.extract()
        rows = []
        for row, cells in zip(table.rows, texts):
            found = [(cell_text(t), box[0], box[2]) for box, t in zip(row.cells, cells) if box is not None]
            if any(t for t, _, _ in found):
                rows.append((found, row.bbox[1] / h, row.bbox[3] / h))
        if len(rows) >= 2 and max(len(r[0]) for r in rows) >= 2:
            parts.append(TablePart(index, table.bbox, rows))
    boxes = [p.bbox for p in parts]

    def outside(obj) -> bool:
        if obj.get("object_type") != "char":
            return True
        cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= cx <= x1 and t <= cy <= b for x0, t, x1, b in boxes)

    words = page.filter(outside).extract_words(x_tolerance=1.5, y_tolerance=2, use_text_flow=False)
    tokens = [Token(w["text"], w["x0"], w["top"], w["x1"], w["bottom"]) for w in words if w["text"].strip()]
    return lines_from_tokens(tokens, h), parts


def _continues(prev: TablePart, part: TablePart, pages: list[list[Line]]) -> bool:
    """``part`` starts a page right where ``prev`` ended the page before, at the same width."""
    if part.page != prev.page + 1:
        return False
    below = [l for l in pages[prev.page] if l.top > prev.rows[-1][2] and not _margin(l)]
    above = [l for l in pages[part.page] if l.bottom < part.rows[0][1] and not _margin(l)]
    return not below and not above and abs(prev.bbox[0] - part.bbox[0]) < 6 and abs(prev.bbox[2] - part.bbox[2]) < 6


def _margin(line: Line) -> bool:
    return line.bottom <= 0.1 or line.top >= 0.9


def _chains(parts: list[TablePart], pages: list[list[Line]]) -> list[list[TablePart]]:
    chains: list[list[TablePart]] = []
    for part in parts:
        if chains and _continues(chains[-1][-1], part, pages):
            chains[-1].append(part)
        else:
            chains.append([part])
    return chains


def _chain_lines(chain: list[TablePart], table_id: int) -> dict[int, list[Line]]:
    """A table (possibly over several pages) on one column grid: each cell at its own column."""
    edges = sorted(x for part in chain for cells, _, _ in part.rows for _, a, b in cells for x in (a, b))
    cols: list[float] = []
    for x in edges:
        if not cols or x - cols[-1] > 2.5:
            cols.append(x)
    grid_rows = []
    for part in chain:
        for cells, top, bot in part.rows:
            row = [""] * max(len(cols) - 1, 1)
            for text, a, _ in cells:
                j = min(range(len(row)), key=lambda k: abs(cols[k] - a))
                row[j] = f"{row[j]} {text}".strip() if row[j] else text
            grid_rows.append((part.page, row, top, bot))
    keep = [j for j in range(len(grid_rows[0][1])) if any(r[j] for _, r, _, _ in grid_rows)]
    out: dict[int, list[Line]] = {}
    header: list[str] = []
    for k, (page, row, top, bot) in enumerate(grid_rows):
        text = "\t".join(row[j] for j in keep)
        if k == 0:
            header = [text]
        first_on_page = k > 0 and grid_rows[k - 1][0] != page
        if first_on_page and text in header:
            continue  # the header row repeated at the top of a continuation page
        out.setdefault(page, []).append(Line(text, top, bot, len(keep), table=table_id, first_row=k == 0))
    return out
