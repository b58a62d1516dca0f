"""Bytes of any format a crawled archive holds → ``Document`` (text with tab rows).

``ingest(data, name)`` sniffs the content (the name's extension is only a
hint), hands the bytes to the backend of that kind, and returns the report as
lines in reading order, every table row one line of tab-separated cells. It
raises ``IngestError`` (``UnsupportedFormat`` for a known format it cannot
read here) with a one-line reason. Whether the text is a report is not
decided here. OCR models load once per process; otherwise this is a pure
function of the bytes.
"""

from __future__ import annotations

import time
from typing import Callable

from ..errors import IngestError
from ..models import Document, IngestInfo
from . import docx, html, image, ocr, office, pdf, sniff, text
from .base import MAX_BYTES, Extracted

__all__ = ["ingest", "BACKENDS"]

Backend = Callable[[bytes, str, str], Extracted]

BACKENDS: dict[str, Backend] = {
    "text": text.read,
    "html": html.read,
    "mht": html.read,
    "pdf": pdf.read,
    "docx": docx.read,
    "doc": office.read,
    "rtf": office.read,
    "odt": office.read,
    **{k: image.read for k in sniff.IMAGE_KINDS},
}


def ingest(data: bytes, name: str) -> Document:
    """Read one document's bytes; ``name`` (a file name) is used only as a hint."""
    t0 = time.perf_counter()
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise IngestError(f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise IngestError("empty file (0 bytes)")
    if len(data) > MAX_BYTES:
        raise IngestError(f"file too big: {len(data) / 1e6:.0f} MB (limit {MAX_BYTES / 1e6:.0f} MB)")
    if not data.strip():
        raise IngestError("empty document: the file holds only whitespace")
    kind = sniff.detect(data, name)
    out = BACKENDS[kind](data, name, kind)
    if not out.text.strip():
        where = f" ({out.pages} page{'s' if out.pages != 1 else ''})" if out.pages else ""
        raise IngestError(f"no text found in this {kind} file{where}: blank, or an unreadable scan")
    info = IngestInfo(
        ingester=out.ingester,
        kind=kind,
        encoding=out.encoding,
        pages=out.pages,
        ocr_pages=out.ocr_pages,
        ocr_confidence=out.ocr_confidence,
        ocr_engine=ocr.backend_name() if out.ocr_pages else None,
        turned_pages=out.turned_pages,
        seconds=round(time.perf_counter() - t0, 4),
    )
    return Document(source=name, text=out.text, info=info)
