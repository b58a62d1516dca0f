"""Plain text and Markdown: decode whatever encoding the crawler saved.

Order matters: a BOM is certain, strict UTF-8 almost never passes by accident
on GBK or Big5 bytes, a mostly-UTF-8 file with a few broken bytes (a bad crawl,
a truncated write) is still UTF-8 and must not be misread as GBK, and only
then does charset-normalizer guess among the CJK legacy encodings.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from typing import Optional

import charset_normalizer

from ..errors import IngestError
from .base import Extracted, is_cjk

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Declared names → the superset codec that actually decodes what sites serve.
_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "euc-cn": "gb18030",
    "gb_2312-80": "gb18030", "csgb2312": "gb18030", "hz-gb-2312": "gb18030", "gb18030": "gb18030",
    "big5": "big5hkscs", "big5-hkscs": "big5hkscs", "cp950": "cp950", "x-x-big5": "big5hkscs",
    "utf8": "utf-8", "unicode": "utf-16", "ascii": "utf-8", "us-ascii": "utf-8", "iso-8859-1": "cp1252",
    "latin1": "cp1252", "latin-1": "cp1252",
}
_MAX_BAD_UTF8 = 0.02  # share of non-ASCII bytes that may be broken in a "mostly UTF-8" file


def normalise_codec(name: Optional[str]) -> Optional[str]:
    """A declared charset → a Python codec that reads it (GB2312 → GB18030 …), or None."""
    if not name:
        return None
    key = name.strip().strip("\"'").lower().replace("_", "-")
    key = _ALIASES.get(key, key)
    try:
        return codecs.lookup(key).name
    except LookupError:
        return None


def _utf16_without_bom(data: bytes) -> Optional[str]:
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _cjk_plausible(text: str) -> float:
    """Share of non-ASCII letters that are CJK ideographs or CJK punctuation (mojibake scores low)."""
    chars = [c for c in text if not c.isascii() and not c.isspace()]
    if not chars:
        return 1.0
    good = sum(1 for c in chars if is_cjk(c) or unicodedata.category(c).startswith("P"))
    return good / len(chars)


def decode(data: bytes, declared: Optional[str] = None) -> tuple[str, str]:
    """Bytes → (text, encoding). ``declared`` (a meta charset) wins when it decodes cleanly."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(enc.replace("-sig", ""), errors="replace"), enc
    enc16 = _utf16_without_bom(data)
    if enc16:
        return data.decode(enc16, errors="replace"), enc16
    codec = normalise_codec(declared)
    if codec:
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            pass  # a wrong declaration is common; fall through to detection
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    mostly = _mostly_utf8(data)
    if mostly is not None:
        return mostly
    return _guess_legacy(data)


def _mostly_utf8(data: bytes) -> Optional[tuple[str, str]]:
    text = data.decode("utf-8", errors="replace")
    non_ascii = sum(1 for b in data if b >= 0x80)
    bad = text.count("\ufffd") - data.decode("utf-8", errors="ignore").count("\ufffd")
    if non_ascii and bad <= max(3, _MAX_BAD_UTF8 * non_ascii) and non_ascii - bad >= 8:
        return text, f"utf-8 ({bad} invalid byte sequences replaced)"
    return None


def _guess_legacy(data: bytes) -> tuple[str, str]:
    """GB18030, Big5 or whatever charset-normalizer finds: the cleanest CJK decoding wins."""
    options: list[str] = []
    best = charset_normalizer.from_bytes(data).best()
    if best is not None:
        options.append(normalise_codec(best.encoding) or best.encoding)
    options += ["gb18030", "big5hkscs", "cp950"]
    scored = []
    for rank, enc in enumerate(dict.fromkeys(options)):
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        scored.append((_cjk_plausible(text), -rank, text, enc))
    if scored:
        score, _, text, enc = max(scored)
        if score >= 0.6:
            return text, enc
    return data.decode("gb18030", errors="replace"), "gb18030 (invalid bytes replaced)"


_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # category Cc less \t \n \v \f \r


def check_not_binary(text: str) -> None:
    """Refuse decoded junk: NULs or many control characters mean the bytes were never text."""
    sample = text[:200_000]
    if not sample:
        return
    controls = len(_CONTROLS.findall(sample))
    bad = controls + sample.count("\ufffd")
    if "\x00" in sample or bad > max(8, 0.02 * len(sample)):
        raise IngestError("binary data of unknown format (not text, PDF, image, HTML or Word)")


_NEWLINES = re.compile(r"\r\n?|[\f\v\x85\u2028\u2029]")


def read(data: bytes, name: str, kind: str) -> Extracted:
    text, encoding = decode(data)
    check_not_binary(text)
    # The text is the report as saved: only newlines are normalised, so line
    # numbers match what a user sees when opening the file.
    text = _NEWLINES.sub("\n", text).replace("\ufeff", "")
    if not text.strip():
        raise IngestError("empty document: the file holds only whitespace")
    return Extracted(text=text, ingester="text", encoding=encoding)
