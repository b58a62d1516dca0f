"""Render a table grid the ways reports reach users.

Text layouts: ``pipe`` rows, ``tab`` rows, ``cell_per_line``, ``markdown``,
and ``spaced`` (pdftotext -layout: columns aligned with spaces, labels
wrapped over lines, a group label printed vertically one char per line,
page numbers and repeated headers inside the table). ``html`` gives a real
table with rowspan/colspan. Layout-level damage is switched by ``TextOpts``
and reported back in ``applied`` only when it really happened.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from html import escape
from typing import Optional

from .synth_grid import Covered, GCell, Grid, expand

PAGE_STYLES = ("-{n}-", "- {n} -", "—{n}—", "— {n} —")


@dataclass
class TextOpts:
    wrap_labels: bool = False
    vertical: bool = False
    page_break_after: Optional[int] = None  # grid row index after which the page ends
    page_no: int = 3
    repeat_header: bool = False
    covered_blank: bool = True  # print an empty cell where a spanning label sits above
    colspan_blank: bool = False  # print empty cells for the rest of a colspan
    pipe_style: str = "trail"  # trail: "a | b |", both: "| a | b |", tight: "a|b"
    applied: set[str] = field(default_factory=set)
    # variations (synth_variations); what really happened goes to var_applied
    interrupt: Optional[list[str]] = None  # lines printed at the page break instead of a page number
    label_tail: bool = False  # long labels wrapped, the tail before or after the numbers
    vgroup: bool = False  # group labels one char (or chunk) per row in delimited layouts
    head_wrap: bool = False  # header words wrapped over 2-3 lines
    head_chunk: int = 3
    var_applied: set[str] = field(default_factory=set)


def head_chunks(text: str, opts: TextOpts) -> list[str]:
    """A header word as printed in a narrow column: 本年新/制作数/量."""
    if not opts.head_wrap or len(text) < 4:
        return [text]
    size = max(opts.head_chunk, -(-len(text) // 3))
    opts.var_applied.add("header_wrap")
    return [text[i : i + size] for i in range(0, len(text), size)]


def group_pieces(text: str, rows: int, rng: random.Random) -> list[str]:
    """A group label printed down its rows: ``（五）不`` / ``予`` / ``处`` / ``理``, or ``（五）不`` / ``予处理``."""
    import re

    m = re.match(r"^(（[一二三四五六七八九十]+）|[一二三四五六七八九十]+、)?(.*)$", text)
    prefix, body = m.group(1) or "", m.group(2)
    if not body:
        return [text]
    if rng.random() < 0.3 and len(body) >= 2:
        cut = rng.randint(1, len(body) - 1)
        tokens = [prefix + body[:cut], body[cut:]]
    else:
        tokens = [prefix + body[0], *body[1:]]
    while len(tokens) > rows:  # fewer rows than characters: pair up the tail
        tokens = tokens[:-2] + [tokens[-2] + tokens[-1]]
    return tokens


def _interrupt_lines(opts: TextOpts, indent: int, rng: random.Random) -> list[str]:
    if opts.interrupt is None:
        return _page_lines(opts, indent, rng)
    opts.var_applied.add("table_interrupted")
    return list(opts.interrupt)


def dwidth(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def wrap(text: str, width: int) -> list[str]:
    """Cut ``text`` into chunks of at most ``width`` display columns."""
    width = max(width, 2)
    chunks, cur = [], ""
    for ch in text:
        if cur and dwidth(cur + ch) > width:
            chunks.append(cur)
            cur = ""
        cur += ch
    if cur:
        chunks.append(cur)
    return chunks or [""]


def _is_group(cell: GCell) -> bool:
    return cell.role == "label" and cell.rowspan > 1


def _break_label(text: str, rng: random.Random, sep: str) -> str:
    if len(text) < 10:
        return text
    cut = rng.randint(4, len(text) - 3)
    return text[:cut] + sep + text[cut:]


def _page_lines(opts: TextOpts, indent: int, rng: random.Random) -> list[str]:
    style = rng.choice(PAGE_STYLES)
    opts.applied.add("page_numbers")
    lines = ["", " " * indent + style.format(n=opts.page_no), ""]
    if rng.random() < 0.5:
        lines[-1] = "\f"
    return lines


# --- delimited layouts ---------------------------------------------------------


def _cell_texts(entries: list, opts: TextOpts, rng: random.Random, sep_in_label: str, data_row: bool) -> list[str]:
    texts: list[str] = []
    for e in entries:
        if isinstance(e, Covered):
            if opts.covered_blank:
                texts.append("")
            continue
        text = e.text
        if data_row and e.role == "label" and opts.wrap_labels and not _is_group(e) and rng.random() < 0.5:
            broken = _break_label(text, rng, sep_in_label)
            if broken != text:
                opts.applied.add("wrapped_labels")
            text = broken
        texts.append(text)
        if opts.colspan_blank:
            texts += [""] * (e.colspan - 1)
    return texts


def _delimited(grid: Grid, layout: str, rng: random.Random, opts: TextOpts) -> list[str]:
    rows = expand(grid)
    lines: list[str] = []
    pieces: dict[int, tuple[int, list[str]]] = {}  # id(group cell) -> (its row, pieces down the rows)
    if opts.vgroup and layout != "cell_per_line":
        for ri, entries in enumerate(rows):
            for e in entries:
                if not isinstance(e, Covered) and _is_group(e) and grid.rows[ri].kind == "data":
                    pieces[id(e)] = (ri, group_pieces(e.text, e.rowspan, rng))

    def join(texts: list[str]) -> str:
        if layout == "tab":
            return "\t".join(texts)
        if opts.pipe_style == "both":
            return "| " + " | ".join(texts) + " |"
        if opts.pipe_style == "tight":
            return "|".join(texts)
        return " | ".join(texts) + " |"

    def emit(ri: int) -> None:
        row = grid.rows[ri]
        data = row.kind == "data"
        if layout == "cell_per_line":
            tail: list[str] = []
            for e in rows[ri]:
                if isinstance(e, Covered):
                    if opts.covered_blank:
                        lines.append("\t")
                    continue
                if opts.vertical and _is_group(e):
                    opts.applied.add("vertical_label")
                    lines.extend("\t" + ch for ch in e.text)
                    continue
                if e.role == "head" and opts.head_wrap:
                    lines.extend("\t" + c for c in head_chunks(e.text, opts))
                    continue
                if data and e.role == "label" and opts.label_tail and not _is_group(e) and len(e.text) >= 10 and rng.random() < 0.7:
                    cut = rng.randint(4, len(e.text) - 3)
                    lines.append("\t" + e.text[:cut])
                    tail.append("\t" + e.text[cut:])
                    opts.var_applied.add("label_wrap_tail")
                    continue
                text = _cell_texts([e], opts, rng, "\n\t", data)[0] if e.role == "label" else e.text
                lines.append("\t" + text)
            lines.extend(tail)
            lines.append("")
            return
        texts = _cell_texts(rows[ri], opts, rng, " ", data)
        if pieces and data:
            # replace the printed label / blank slots of group cells by their pieces
            k = 0
            for e in rows[ri]:
                if isinstance(e, Covered):
                    if not opts.covered_blank:
                        continue
                    origin = pieces.get(id(e.origin))
                    if origin:
                        off = ri - origin[0]
                        texts[k] = origin[1][off] if off < len(origin[1]) else ""
                        opts.var_applied.add("vertical_group_labels")
                    k += 1
                    continue
                origin = pieces.get(id(e))
                if origin:
                    texts[k] = origin[1][0]
                k += 1 + (e.colspan - 1 if opts.colspan_blank else 0)
        if not data and opts.head_wrap:
            chunked = [head_chunks(t, opts) for t in texts]
            for i in range(max(len(c) for c in chunked)):
                lines.append(join([c[i] if i < len(c) else "" for c in chunked]))
            return
        if data and opts.label_tail:
            labels = [i for i, t in enumerate(texts) if len(t) >= 10 and sum(ch.isdigit() for ch in t) <= 2]
            if labels and rng.random() < 0.7:
                i = labels[-1]
                t = texts[i]
                n = 3 if len(t) >= 18 and rng.random() < 0.4 else 2
                cuts = sorted(rng.sample(range(3, len(t) - 2), k=n - 1))
                parts = [t[a:b] for a, b in zip([0, *cuts], [*cuts, len(t)])]
                before = rng.random() < 0.5
                opts.var_applied.add("label_wrap_tail")
                if before:  # head printed first, the numbers beside the last piece
                    lines.extend(parts[:-1])
                    texts[i] = parts[-1]
                    lines.append(join(texts))
                else:  # numbers beside the first piece, the tail after them
                    texts[i] = parts[0]
                    lines.append(join(texts))
                    lines.extend(parts[1:])
                return
        lines.append(join(texts))

    for ri in range(len(grid.rows)):
        emit(ri)
        if opts.page_break_after == ri:
            lines += _interrupt_lines(opts, 20, rng)
            if opts.repeat_header and grid.header_rows:
                opts.applied.add("repeated_header")
                for hi in range(grid.header_rows):
                    emit(hi)
    return lines


def markdown_table(grid: Grid, rng: random.Random, opts: TextOpts) -> list[str]:
    rows = expand(grid)
    lines: list[str] = []
    restart = False
    head_lines: list[str] = []
    for ri, entries in enumerate(rows):
        texts: list[str] = []
        for e in entries:
            if isinstance(e, Covered):
                texts += [""] * e.colspan
                continue
            text = e.text.replace("|", "\\|")
            if e.role == "head" and opts.head_wrap:
                text = "<br>".join(head_chunks(text, opts))
            if grid.rows[ri].kind == "data" and e.role == "label" and opts.wrap_labels and not _is_group(e) and rng.random() < 0.4:
                broken = _break_label(text, rng, rng.choice((" ", "<br>")))
                if broken != text:
                    opts.applied.add("wrapped_labels")
                text = broken
            texts += [text] + [""] * (e.colspan - 1)
        texts += [""] * (grid.ncols - len(texts))
        lines.append("| " + " | ".join(texts) + " |")
        if ri == 0 or restart:
            lines.append("|" + "|".join(["---"] * grid.ncols) + "|")
            restart = False
        if ri < max(grid.header_rows, 1):
            head_lines = lines[:]
        if opts.page_break_after == ri and opts.interrupt is not None:
            # the table ends at the page break and a new one starts on the next page
            lines += [""] + _interrupt_lines(opts, 0, rng) + [""]
            if opts.repeat_header and grid.header_rows:
                opts.applied.add("repeated_header")
                lines += head_lines
            else:
                restart = True
    return lines


# --- pdftotext-style space-aligned columns ---------------------------------


def _compose(segments: list[tuple[int, str]]) -> str:
    out, cur = "", 0
    for x, text in sorted(segments, key=lambda s: s[0]):
        pad = x - cur if x > cur else (1 if out else 0)
        out += " " * pad + text
        cur += pad + dwidth(text)
    return out.rstrip()


def _widths(grid: Grid, rng: random.Random, wrap_labels: bool, narrow: bool = False) -> list[int]:
    if narrow:  # label_wrap_tail: labels wrap over 2-3 lines
        if grid.table == "applications":
            return [8, 10, 16] + [rng.choice((7, 8))] * (grid.ncols - 3)
        if grid.table == "active_disclosure":
            return [12] + [16] * 3
        if grid.table == "review_litigation":
            return ([14] + [10] * 5) if grid.shape == "grid" else [7] * 15
        return [22] + [8] * (grid.ncols - 1)
    if grid.table == "applications":
        cw = rng.choice((8, 9, 10))
        labels = [14, 18, 34] if not wrap_labels else [10, 14, 22]
        return labels + [cw] * (grid.ncols - 3)
    if grid.table == "active_disclosure":
        return [28 if not wrap_labels else 16] + [rng.choice((16, 18))] * 3
    if grid.table == "review_litigation":
        if grid.shape == "grid":
            return [32 if not wrap_labels else 18] + [10] * 5
        return [rng.choice((6, 7, 8))] * 15
    return [50 if not wrap_labels else 30] + [8, 12, 12][: grid.ncols - 1]  # legacy


def spaced_table(grid: Grid, rng: random.Random, opts: TextOpts) -> list[str]:
    widths = _widths(grid, rng, opts.wrap_labels, opts.label_tail)
    starts = [sum(widths[:i]) for i in range(len(widths))]
    rows = expand(grid)
    lines: list[str] = []
    vertical_queue: dict[int, list[str]] = {}  # grid row -> chars to print before it

    def place_row(ri: int) -> list[str]:
        entries = rows[ri]
        row_kind = grid.rows[ri].kind
        col = 0
        blocks: list[tuple[int, list[str], bool]] = []  # x, chunks, is_value
        for e in entries:
            c0 = col
            col += e.colspan
            if isinstance(e, Covered):
                continue
            width = sum(widths[c0 : c0 + e.colspan])
            x0 = starts[c0] if c0 < len(starts) else sum(widths)
            if e.role == "value":
                text = e.text
                blocks.append((x0 + max(0, width - dwidth(text) - 1), [text], True))
                continue
            if row_kind == "data" and _is_group(e) and opts.vertical:
                opts.applied.add("vertical_label")
                chars = [ch for ch in e.text if not ch.isspace()]
                span = list(range(ri, ri + e.rowspan))
                per = [len(chars) // len(span) + (1 if i < len(chars) % len(span) else 0) for i in range(len(span))]
                k = 0
                for r, n in zip(span, per):
                    vertical_queue.setdefault(r, []).extend((x0 + 2, ch) for ch in chars[k : k + n])
                    k += n
                continue
            if e.role == "caption":
                blocks.append((0, [e.text], False))
                continue
            limit = width - 2
            if e.role == "head" and opts.head_wrap:
                chunks = head_chunks(e.text, opts)
                blocks.append((x0 + max(0, (width - max(dwidth(c) for c in chunks)) // 2), chunks, False))
                continue
            if dwidth(e.text) > limit:  # a PDF cell wraps what does not fit; narrow columns wrap more
                chunks = wrap(e.text, limit)
                if row_kind == "data" and len(chunks) > 1:
                    opts.applied.add("wrapped_labels")
            else:
                chunks = [e.text]
            if e.role == "head":
                blocks.append((x0 + max(0, (width - max(dwidth(c) for c in chunks)) // 2), chunks, False))
            else:
                blocks.append((x0, chunks, False))
        height = max((len(b[1]) for b in blocks), default=1)
        if opts.label_tail and height > 1 and row_kind == "data":
            opts.var_applied.add("label_wrap_tail")
            value_line = rng.choice((0, height - 1))
        else:
            value_line = 0 if height == 1 or rng.random() < 0.6 else rng.randint(1, height - 1)
        out = []
        for i in range(height):
            segs = []
            for x, chunks, is_value in blocks:
                if is_value:
                    if i == value_line:
                        segs.append((x, chunks[0]))
                elif i < len(chunks):
                    segs.append((x, chunks[i]))
            out.append(_compose(segs))
        return out

    rendered: dict[int, list[str]] = {}
    for ri in range(len(grid.rows)):
        rendered[ri] = place_row(ri)  # fills vertical_queue for later rows
    for ri in range(len(grid.rows)):
        for x, ch in vertical_queue.get(ri, []):
            lines.append(" " * x + ch)
        lines.extend(rendered[ri])
        if opts.page_break_after == ri:
            lines += _interrupt_lines(opts, sum(widths) // 2, rng)
            if opts.repeat_header and grid.header_rows:
                opts.applied.add("repeated_header")
                for hi in range(grid.header_rows):
                    lines.extend(rendered[hi])
    return lines


def render_text(grid: Grid, layout: str, rng: random.Random, opts: TextOpts) -> list[str]:
    if layout == "spaced":
        return spaced_table(grid, rng, opts)
    if layout == "markdown":
        return markdown_table(grid, rng, opts)
    return _delimited(grid, layout, rng, opts)


# --- HTML -----------------------------------------------------------------------


def html_table(grid: Grid, rng: random.Random, opts: TextOpts) -> str:
    """A <table> as Word or a CMS would export it, spans included."""
    attrs = rng.choice(('border="1" cellspacing="0" cellpadding="4"', 'class="MsoNormalTable" border="1"', 'style="border-collapse:collapse" border="1"'))
    out = [f"<table {attrs}>", "<tbody>"]
    wrap_p = rng.random() < 0.5
    for row in grid.rows:
        cells = []
        for e in row.cells:
            span = ""
            if e.colspan > 1:
                span += f' colspan="{e.colspan}"'
            if e.rowspan > 1:
                span += f' rowspan="{e.rowspan}"'
            text = escape(e.text)
            if e.role == "head" and opts.head_wrap:
                text = "<br>".join(escape(c) for c in head_chunks(e.text, opts))
            if row.kind == "data" and e.role == "label":
                if opts.vertical and _is_group(e):
                    opts.applied.add("vertical_label")
                    text = "<br>".join(escape(ch) for ch in e.text)
                elif opts.wrap_labels and not _is_group(e) and rng.random() < 0.4:
                    broken = _break_label(e.text, rng, "\n")
                    if broken != e.text:
                        opts.applied.add("wrapped_labels")
                    text = escape(broken).replace("\n", "<br>")
            if wrap_p:
                text = f"<p>{text}</p>" if text else "<p>&nbsp;</p>"
            tag = "th" if e.role == "head" and rng.random() < 0.3 else "td"
            cells.append(f"<{tag}{span}>{text}</{tag}>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out)
