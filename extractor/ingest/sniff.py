"""Which format the bytes are, by content first; the file name is only a hint.

Crawled archives mislabel files all the time (HTML saved as .doc, PDFs with
no extension, Word files renamed .wps), so the magic bytes decide.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePath

from ..errors import IngestError, UnsupportedFormat

IMAGE_KINDS = ("png", "jpeg", "tiff", "bmp", "gif", "webp")

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_EXT = {".html", ".htm", ".shtml", ".xhtml", ".asp", ".aspx", ".jsp", ".php"}
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|title)\b", re.I | re.S)
_HTML_TAGS = re.compile(rb"<(html|body|table|div|p|br|span|meta)\b[^>]*>", re.I)


def _ascii_view(data: bytes, n: int = 8192) -> bytes:
    """The first bytes with UTF-16 NULs and a BOM removed, for tag sniffing."""
    head = data[:n]
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            head = head[len(bom):]
            break
    return head.replace(b"\x00", b"")


def _zip_kind(data: bytes) -> str:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise IngestError(f"corrupt zip container: {e}") from None
    if "word/document.xml" in names:
        return "docx"
    if any(n.lower().endswith("ofd.xml") for n in names):
        raise UnsupportedFormat("OFD document is not supported: convert it to PDF first")
    if "xl/workbook.xml" in names:
        raise UnsupportedFormat("Excel .xlsx workbook is not supported: export the report as PDF or .docx")
    if "ppt/presentation.xml" in names:
        raise UnsupportedFormat("PowerPoint .pptx is not supported: export the report as PDF")
    if "content.xml" in names:
        return "odt"
    raise IngestError("zip archive without word/document.xml: not a .docx (unpack it and ingest each file)")


def _ole_kind(data: bytes, ext: str) -> str:
    """Word 97–2003 and WPS files are OLE2 containers with a WordDocument stream."""
    if "EncryptedPackage".encode("utf-16-le") in data[:1 << 20]:
        raise IngestError("password-protected Office document: save it without a password first")
    if "WordDocument".encode("utf-16-le") in data[:1 << 20] or ext in (".doc", ".wps", ".dot", ".wpt"):
        return "doc"
    if "Workbook".encode("utf-16-le") in data[:1 << 20] or ext in (".xls", ".et"):
        raise UnsupportedFormat("Excel .xls workbook is not supported: export the report as PDF or .docx")
    raise UnsupportedFormat("OLE2 container that is not a Word document is not supported")


def detect(data: bytes, name: str) -> str:
    """Content kind: pdf, docx, doc, odt, rtf, html, mht, text, or an image kind."""
    ext = PurePath(name or "").suffix.lower()
    head = data[:16]
    if data[:1024].find(b"%PDF-") != -1:
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"BM") and len(data) > 26:
        return "bmp"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if head.startswith(_OLE2):
        return _ole_kind(data, ext)
    view = _ascii_view(data)
    if view.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    low = view[:4096].lower()
    if b"mime-version:" in low and b"multipart/related" in low:
        return "mht"
    if _HTML_START.match(view) or ext in _HTML_EXT:
        return "html"
    if ext not in (".txt", ".md", ".text", ".markdown") and len(_HTML_TAGS.findall(view)) >= 3:
        return "html"
    return "text"
