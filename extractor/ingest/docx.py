"""Word .docx: paragraphs and tables in document order, merged cells resolved.

python-docx opens and validates the package; the body is then walked at the
XML level because its object API repeats a merged cell in every slot it
covers and hides content controls, text boxes and ``gridBefore`` gaps.
"""

from __future__ import annotations

import io
import re
import zipfile

from ..errors import IngestError
from .base import Extracted, clean_inline, finish, join_fragments, resolve_grid, row_line

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_SKIP = {f"{W}delText", f"{W}instrText", f"{W}del", f"{W}rPr", f"{W}pPr", f"{MC}Fallback"}
_TABS = re.compile(r"\t+")


def read(data: bytes, name: str, kind: str) -> Extracted:
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise IngestError(f"corrupt .docx: {' '.join(str(e).split())[:160]}") from None
    except Exception as e:  # lxml syntax errors and python-docx's own
        raise IngestError(f"corrupt .docx ({type(e).__name__}): {' '.join(str(e).split())[:160]}") from None
    lines: list[str] = []
    _blocks(document.element.body, lines)
    pictures = _pictures(document) if sum(len(l.strip()) for l in lines) < SCANNED_TEXT else []
    if pictures:
        return _scanned(pictures, lines)
    return Extracted(text=finish(lines), ingester="docx")


SCANNED_TEXT = 200  # characters: a file with less text than this beside pictures is a scan
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _pictures(document) -> list[bytes]:
    """The images the body shows, in order (a scanned report pasted into Word, page by page)."""
    parts = document.part.related_parts
    out = []
    for blip in document.element.body.iter(f"{A}blip"):
        part = parts.get(blip.get(f"{R}embed"))
        if part is not None and getattr(part, "content_type", "").startswith("image/"):
            out.append(part.blob)
    return out


def _scanned(pictures: list[bytes], lines: list[str]) -> Extracted:
    """OCR of a Word file's page pictures, through the image backend; its few typed lines first."""
    from PIL import Image, UnidentifiedImageError

    from .image import read_pages

    frames = []
    for blob in pictures:
        try:
            img = Image.open(io.BytesIO(blob))
            img.load()
        except (UnidentifiedImageError, OSError, ValueError) as e:  # an EMF/WMF drawing, a broken picture
            if not frames:
                continue
            raise IngestError(f"unreadable picture in a scanned .docx: {' '.join(str(e).split())[:120]}") from None
        if min(img.size) >= 300:  # a logo or a signature is not a page
            frames.append(img)
    if not frames:
        return Extracted(text=finish(lines), ingester="docx")
    got = read_pages(frames)
    got.text = finish(lines + got.text.splitlines()) if lines else got.text
    got.ingester = "docx+ocr"
    return got


def _blocks(parent, lines: list[str]) -> None:
    """Paragraphs and tables under ``parent`` in order (content controls are looked into)."""
    for el in parent:
        tag = el.tag
        if tag == f"{W}p":
            _paragraph(el, lines)
        elif tag == f"{W}tbl":
            _table(el, lines)
        elif tag in (f"{W}sdt", f"{W}sdtContent", f"{W}customXml", f"{W}smartTag", f"{W}ins"):
            _blocks(el, lines)


def _paragraph(p, lines: list[str]) -> None:
    boxes: list = []
    parts: list[str] = []
    _runs(p, parts, boxes)
    for raw in "".join(parts).split("\n"):
        # Tabs inside a paragraph align fake columns: each run of tabs is one cell break.
        text = "\t".join(clean_inline(x) for x in _TABS.split(raw.strip("\t ")))
        if text.strip():
            lines.append(text)
    for box in boxes:  # text boxes read after the paragraph that anchors them
        _blocks(box, lines)


def _runs(el, parts: list[str], boxes: list) -> None:
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == f"{W}t":
            parts.append(child.text or "")
        elif tag == f"{W}tab" and el.tag == f"{W}r":
            parts.append("\t")
        elif tag in (f"{W}br", f"{W}cr"):
            parts.append("\n")
        elif tag == f"{W}noBreakHyphen":
            parts.append("-")
        elif tag == f"{W}txbxContent":
            boxes.append(child)
        else:
            _runs(child, parts, boxes)


def _cell_text(tc) -> str:
    lines: list[str] = []
    _blocks(tc, lines)
    return join_fragments(line.replace("\t", " ") for line in lines)


def _int(el, attr: str, default: int) -> int:
    if el is None:
        return default
    v = el.get(f"{W}{attr}")
    return int(v) if v and v.isdigit() else default


_WRAPPERS = (f"{W}sdt", f"{W}sdtContent", f"{W}customXml")


def _children(el, tag: str):
    """Direct children named ``tag``, looking through content-control wrappers (not nested tables)."""
    for child in el:
        if child.tag == tag:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _children(child, tag)


def _table(tbl, lines: list[str]) -> None:
    rows = list(_children(tbl, f"{W}tr"))
    spec: list[list[tuple[str, int, int]]] = []
    vmerge_starts: dict[int, tuple[int, int]] = {}  # column → (row index, slot) of an open vMerge
    nested = False
    for r, tr in enumerate(rows):
        trpr = tr.find(f"{W}trPr")
        before = _int(trpr.find(f"{W}gridBefore") if trpr is not None else None, "val", 0)
        cells: list[list] = [["", 1, 1] for _ in range(before)]
        col = before
        for tc in _children(tr, f"{W}tc"):
            if tc.find(f".//{W}tbl") is not None:
                nested = True
            tcpr = tc.find(f"{W}tcPr")
            span = _int(tcpr.find(f"{W}gridSpan") if tcpr is not None else None, "val", 1)
            vm = tcpr.find(f"{W}vMerge") if tcpr is not None else None
            if vm is not None and vm.get(f"{W}val") != "restart" and col in vmerge_starts:
                r0, slot = vmerge_starts[col]
                spec[r0][slot][1] += 1  # grow the rowspan of the cell above
                cells.append(None)  # placeholder: this slot is covered from above
            else:
                if vm is not None:
                    vmerge_starts[col] = (r, len(cells))
                else:
                    vmerge_starts.pop(col, None)
                cells.append([_cell_text(tc), 1, span])
            col += span
        spec.append(cells)
    if nested or _is_layout(spec):
        for tr in rows:
            for tc in _children(tr, f"{W}tc"):
                _blocks(tc, lines)
        return
    # Placeholders are covered by a rowspan from above; resolve_grid fills them itself.
    grid = resolve_grid([[tuple(c) for c in row if c is not None] for row in spec])
    lines.extend(row_line(r) for r in grid)


def _is_layout(spec) -> bool:
    """One column, or one giant cell: a frame around text, not a data table."""
    widths = [sum(c[2] for c in row if c is not None) for row in spec]
    if not widths or max(widths) < 2:
        return True
    return any(len(c[0]) > 400 for row in spec for c in row if c is not None)
