"""HTML pages (and MHT web archives): article text in order, tables as tab rows.

Government sites wrap the report in navigation, banners and footers, often
build the page layout itself out of tables, and Word's "save as HTML" puts
every table cell in a ``<p>``. So: boilerplate is dropped only when it is a
small share of the page, a table is a data table only when it holds no
nested table and no long prose, and rowspan/colspan are resolved so that
each row keeps its own label and its numbers in column order.
"""

from __future__ import annotations

import email
import email.policy
import re
from typing import Optional

from lxml import etree
from lxml import html as lxml_html

from ..errors import IngestError
from .base import Extracted, clean_inline, finish, join_fragments, resolve_grid, row_line
from .text import check_not_binary, decode

_META = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-]+)", re.I)
_XMLDECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)

_DROP = {
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "nav",
    "aside", "button", "select", "option", "input", "textarea", "map", "audio", "video", "head", "link",
    "meta",
}
_BLOCK = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "section",
    "article", "main", "center", "blockquote", "pre", "address", "figure", "figcaption", "caption",
    "hr", "tr", "td", "th", "table", "tbody", "thead", "tfoot", "form", "fieldset", "header", "footer",
    "body", "html", "title",
}
_BOILER = re.compile(
    r"(^|[-_\s])(nav|navbar|menu|menus|breadcrumbs?|crumbs?|position|location|dqwz|footer|foot|"
    r"bottom|copyright|banner|header|topbar|toolbar|sidebar|share|login|search|skip|friendlinks?|"
    r"links)($|[-_\s\d])",
    re.I,
)
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_MAX_CELL_CHARS = 400  # a "cell" longer than this is page layout, not a table cell


def read(data: bytes, name: str, kind: str) -> Extracted:
    if kind == "mht":
        data, declared = _mht_html(data)
    else:
        m = _META.search(data[:8192].replace(b"\x00", b""))
        declared = m.group(1).decode("ascii") if m else None
    text, encoding = decode(data, declared)
    check_not_binary(text)
    text = _XMLDECL.sub("", text)
    if not text.strip():
        raise IngestError("empty HTML document")
    try:
        root = lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError) as e:
        raise IngestError(f"unreadable HTML: {e}") from None
    return Extracted(text=html_to_text(root), ingester="html", encoding=encoding)


def _mht_html(data: bytes) -> tuple[bytes, Optional[str]]:
    """The HTML part of a MIME web archive (IE "save as .mht", Word "single file web page")."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            if payload:
                return payload, part.get_content_charset()
    raise IngestError("MHT web archive without an HTML part")


def html_to_text(root) -> str:
    body = root.find("body")
    if body is None:
        body = root
    _drop_boilerplate(body)
    out = _Flow()
    out.walk(body)
    lines = out.finish()
    title = clean_inline(root.findtext(".//title") or "")
    if title and not any(title in line or line in title for line in lines[:5] if line):
        lines.insert(0, title)
    return finish(lines)


def _drop_boilerplate(body) -> None:
    """Remove nav/header/footer-ish blocks, but never one that holds much of the page or a table."""
    total = len(body.text_content() or "") or 1
    doomed = []
    for el in body.iter():
        if not isinstance(el.tag, str):
            continue
        if _HIDDEN.search(el.get("style") or ""):
            doomed.append(el)
            continue
        marks = f"{el.get('id') or ''} {el.get('class') or ''}"
        tag_says = el.tag in ("header", "footer") and not any(
            a.tag in ("article", "main") for a in el.iterancestors()
        )
        if not (tag_says or _BOILER.search(marks)):
            continue
        if el.find(".//table") is not None or len(el.text_content() or "") > 0.15 * total:
            continue
        doomed.append(el)
    for el in doomed:
        parent = el.getparent()
        if parent is not None:
            el.drop_tree()  # keeps the tail text


_WHITESPACE = re.compile(r"\s+")


class _Flow:
    """Walks the DOM in document order and collects lines; tables come out as rows."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.buf: list[str] = []

    def flush(self) -> None:
        line = clean_inline(_WHITESPACE.sub(" ", "".join(self.buf)))
        self.buf = []
        if line:
            self.lines.append(line)

    def finish(self) -> list[str]:
        self.flush()
        return self.lines

    def text(self, s: Optional[str]) -> None:
        if s:
            self.buf.append(s)

    def walk(self, el) -> None:
        tag = el.tag if isinstance(el.tag, str) else None
        if tag is None or tag in _DROP:
            return  # comments, processing instructions, scripts: their tail is the parent's
        if tag == "br":
            self.flush()
            return
        if tag == "table" and _is_data_table(el):
            self.flush()
            self.lines.extend(row_line(r) for r in table_rows(el))
            return
        block = tag in _BLOCK
        if block:
            self.flush()
        self.text(el.text)
        for child in el:
            self.walk(child)
            self.text(child.tail)
        if block:
            self.flush()


def _rows_of(table) -> list:
    return table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")


def _cells_of(tr) -> list:
    return [c for c in tr if c.tag in ("td", "th")]


def _is_data_table(table) -> bool:
    if table.find(".//table") is not None:
        return False
    rows = _rows_of(table)
    if not rows or max(len(_cells_of(r)) for r in rows) < 2:
        return False  # one column: a text box or page layout
    return all(len(c.text_content() or "") <= _MAX_CELL_CHARS for r in rows for c in _cells_of(r))


def _span(cell, attr: str) -> int:
    m = re.match(r"[\s\\\"']*(\d+)", cell.get(attr) or "")  # escaped markup: colspan=\"2\"
    return min(max(int(m.group(1)), 1), 1000) if m else 1


def cell_lines(cell) -> str:
    if len(cell) == 0:  # the common cell: text only, no markup inside
        return clean_inline(_WHITESPACE.sub(" ", cell.text or ""))
    flow = _Flow()
    flow.text(cell.text)
    for child in cell:
        flow.walk(child)
        flow.text(child.tail)
    return join_fragments(flow.finish())


def table_rows(table) -> list[list[str]]:
    """A data table as a grid: rowspan/colspan resolved, spanned slots ''."""
    spec = [
        [(cell_lines(c), _span(c, "rowspan"), _span(c, "colspan")) for c in _cells_of(tr)]
        for tr in _rows_of(table)
    ]
    return resolve_grid(spec)
