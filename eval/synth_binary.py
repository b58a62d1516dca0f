"""Synthetic reports as Word (.docx) and PDF files, tables with real spans.

The ingesters for these formats rebuild table rows from merged cells
(docx) or from positioned text (PDF), so the corpus must exercise them with
real files, not text. Bytes are made deterministic: fixed zip timestamps
for docx, reportlab's invariant mode for PDF. PDF needs reportlab (the
``test`` extra); it is imported only when a PDF is asked for.
"""

from __future__ import annotations

import io
import random
import zipfile
from typing import Any, Optional

from .synth_grid import Covered, Grid, expand
from .synth_layouts import TextOpts, _break_label, _is_group

FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def _label_text(e, row_kind: str, opts: TextOpts, rng: random.Random) -> str:
    if row_kind == "data" and e.role == "label":
        if opts.vertical and _is_group(e):
            opts.applied.add("vertical_label")
            return "\n".join(e.text)
        if opts.wrap_labels and not _is_group(e) and rng.random() < 0.4:
            broken = _break_label(e.text, rng, "\n")
            if broken != e.text:
                opts.applied.add("wrapped_labels")
            return broken
    return e.text


def _positions(grid: Grid) -> list[list[tuple[int, Any]]]:
    """(start column, cell) of every cell that begins in each row."""
    out = []
    for entries in expand(grid):
        col, row = 0, []
        for e in entries:
            if not isinstance(e, Covered):
                row.append((col, e))
            col += e.colspan
        out.append(row)
    return out


def _stable_zip(data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME), src.read(info.filename), zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def render_docx(blocks: list, rng: random.Random) -> bytes:
    import docx

    d = docx.Document()
    d.core_properties.author = "nianbao synthetic"
    for b in blocks:
        if b.kind == "title":
            for line in b.lines:
                if line:
                    d.add_heading(line, level=1)
        elif b.kind == "heading":
            d.add_heading(b.text, level=2) if rng.random() < 0.6 else d.add_paragraph(b.text)
        elif b.kind == "para":
            d.add_paragraph(b.text)
        elif b.kind == "table":
            g: Grid = b.grid
            t = d.add_table(rows=len(g.rows), cols=g.ncols)
            t.style = "Table Grid"
            grid_cells = t._cells  # once: t.cell() rebuilds this list on every call
            at = lambda r, c: grid_cells[r * g.ncols + c]  # noqa: E731
            for ri, row in enumerate(_positions(g)):
                for col, e in row:
                    cell = at(ri, col)
                    if e.colspan > 1 or e.rowspan > 1:  # spans never overlap, so cached cells stay valid
                        cell = cell.merge(at(ri + e.rowspan - 1, col + e.colspan - 1))
                    cell.text = _label_text(e, g.rows[ri].kind, b.opts, rng)
    buf = io.BytesIO()
    d.save(buf)
    return _stable_zip(buf.getvalue())


def _pdf_widths(g: Grid, total: float) -> list[float]:
    if g.table == "applications":
        labels = [46.0, 60.0, 110.0]
        rest = (total - sum(labels)) / 7
        return labels + [rest] * 7
    if g.table == "legacy":
        return [total * 0.62, total * 0.14, total * 0.24]
    if g.table == "review_litigation" and g.shape == "flat":
        return [total / 15] * 15
    first = total * (0.34 if g.ncols == 4 else 0.3)
    return [first] + [(total - first) / (g.ncols - 1)] * (g.ncols - 1)


RULES = {  # table ruling styles of a printed report; "grid" is the default
    "grid": lambda: [("GRID", (0, 0), (-1, -1), 0.5, "black")],
    "horizontal": lambda: [("LINEABOVE", (0, 0), (-1, -1), 0.5, "black"), ("LINEBELOW", (0, -1), (-1, -1), 0.5, "black")],
    "none": lambda: [],
}


def _LowStart(table, head: int, rows: int):
    """A flowable that fills its page but the room of ``table``'s header and ``rows`` rows (fewer if that is all
    there is): the table starts near the bottom and continues on the next page. Nothing if even one row won't fit."""
    from reportlab.platypus import Flowable

    class LowStart(Flowable):
        def wrap(self, aw, ah):
            table.wrap(aw, 1e6)  # every row measured (a long table stops measuring at the available height)
            h = table._rowHeights
            rooms = [sum(h[: head + n]) + 0.5 * h[min(head + n, len(h) - 1)] for n in range(rows, 0, -1)]
            self.height = next((ah - room for room in rooms if room <= ah), 0.0)
            return aw, self.height

        def draw(self):
            pass

    return LowStart()


def render_pdf(blocks: list, rng: random.Random, rules: str = "grid", low_start: Optional[tuple[str, int]] = None,
               boxes: Optional[list] = None) -> tuple[bytes, set[str]]:
    """The report as a PDF; returns the bytes and the damage the paging caused.

    The scan corpus asks for more: ``rules`` (a ruling style of ``RULES``),
    ``low_start`` ((table, n)): that table starts with room for its header
    and ``n`` rows left on its page, so it continues on the next; ``boxes`` collects
    (page, table, x, y, width, height) of every table piece, in points.
    """
    try:
        from reportlab import rl_config
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("synthetic PDFs need reportlab (pip install 'nianbao[test]')") from exc
    rl_config.invariant = 1
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    from xml.sax.saxutils import escape as xesc

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=15, wordWrap="CJK", firstLineIndent=21)
    head = ParagraphStyle("head", fontName=font, fontSize=13, leading=18, spaceBefore=6, spaceAfter=4)
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1, spaceAfter=8)
    cell = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10, wordWrap="CJK")
    pages: dict[str, list[int]] = {}

    def paged_table(name: str) -> type:
        """A Table class that records the pages its pieces land on (split keeps the class)."""

        def drawOn(self, canvas, x, y, _sW=0):
            pages.setdefault(name, []).append(canvas.getPageNumber())
            if boxes is not None:
                boxes.append((canvas.getPageNumber(), name, x, y, self._width, self._height))
            return Table.drawOn(self, canvas, x, y, _sW)

        return type(f"PagedTable_{name}", (Table,), {"drawOn": drawOn})

    story: list = []
    for b in blocks:
        if b.kind == "title":
            story += [Paragraph(xesc(line), title) for line in b.lines if line.strip()]
        elif b.kind == "heading":
            story.append(Paragraph(xesc(b.text), head))
        elif b.kind == "para":
            story.append(Paragraph(xesc(b.text), body))
        elif b.kind == "table":
            g: Grid = b.grid
            data = [["" for _ in range(g.ncols)] for _ in g.rows]
            style = RULES[rules]() + [("FONTNAME", (0, 0), (-1, -1), font),
                     ("FONTSIZE", (0, 0), (-1, -1), 8), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
            for ri, row in enumerate(_positions(g)):
                for col, e in row:
                    text = _label_text(e, g.rows[ri].kind, b.opts, rng)
                    data[ri][col] = Paragraph(xesc(text).replace("\n", "<br/>"), cell) if e.role != "value" else text
                    if e.colspan > 1 or e.rowspan > 1:
                        style.append(("SPAN", (col, ri), (col + e.colspan - 1, ri + e.rowspan - 1)))
                    if e.role == "value":
                        style.append(("ALIGN", (col, ri), (col, ri), "RIGHT"))
            t = paged_table(g.table)(data, colWidths=_pdf_widths(g, A4[0] - 120), repeatRows=g.header_rows)
            t.setStyle(TableStyle(style))
            if low_start and low_start[0] == g.table:
                story.append(_LowStart(t, g.header_rows, low_start[1]))
            story += [t, Spacer(1, 8)]

    def footer(canvas, doc) -> None:
        canvas.setFont(font, 10)
        canvas.drawCentredString(A4[0] / 2, 30, f"- {canvas.getPageNumber()} -")

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=60, rightMargin=60, topMargin=60, bottomMargin=60)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    applied: set[str] = set()
    for b in blocks:
        if b.kind == "table":
            if len(set(pages.get(b.grid.table, []))) > 1:  # split over a page break: a page number sits inside it
                applied.add("page_numbers")
                if b.grid.header_rows:
                    applied.add("repeated_header")
    return buf.getvalue(), applied
