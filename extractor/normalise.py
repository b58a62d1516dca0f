"""Normalisation: one text for matching, one value per cell.

Two jobs, both pure:

* ``normalise_text`` maps a report to the text the parser reads: full-width
  ASCII to half-width, traditional to simplified characters. Every mapping is
  one character for one character, so a span in the normalised text is the
  same span in the original, and the raw printed text is always recoverable
  for provenance.
* ``parse_cell`` turns one printed cell into a value by the rules of
  template.md (units, notes, signed changes, dashes, 无) and repairs OCR
  confusions only where the cell is clearly numeric, saying what it fixed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Optional

from .models import Number

_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH.update(
    {
        0x3000: 0x20,  # ideographic space
        0x00A0: 0x20,  # no-break space
        0x2002: 0x20,
        0x2003: 0x20,
        0x2009: 0x20,
        0x200B: 0x20,  # zero-width space: keep the length, drop the meaning
        0xFEFF: 0x20,  # BOM inside the text
        0x3001: 0x3001,  # 、 stays
        0x2014: 0x2014,
        0xFF0E: 0x2E,
        0x3002: 0x3002,
        0x201C: 0x22,  # “ ”
        0x201D: 0x22,
        0x3014: 0x28,  # 〔 〕 as brackets
        0x3015: 0x29,
    }
)
# Digits OCR and typists confuse, in a cell that is otherwise a number.
_OCR_DIGITS = {"O": "0", "o": "0", "D": "0", "Q": "0", "C": "0", "l": "1", "I": "1", "i": "1", "|": "1", "!": "1",
               "Z": "2", "z": "2", "S": "5", "s": "5", "B": "8", "g": "9", "q": "9", "G": "6", "b": "6"}


@lru_cache(maxsize=1)
def _t2s():
    try:
        import opencc

        return opencc.OpenCC("t2s")
    except Exception:  # pragma: no cover - opencc is a dependency; degrade to no conversion
        return None


@lru_cache(maxsize=65536)
def _simplify_char(ch: str) -> str:
    conv = _t2s()
    if conv is None:
        return ch
    out = conv.convert(ch)
    return out if len(out) == 1 else ch


def to_simplified(text: str) -> str:
    """Traditional → simplified, keeping the length (one char for one char)."""
    conv = _t2s()
    if conv is None or not text:
        return text
    out = conv.convert(text)
    if len(out) == len(text):
        return out
    return "".join(_simplify_char(c) if ord(c) > 0x2E80 else c for c in text)


def to_halfwidth(text: str) -> str:
    return text.translate(_FULLWIDTH)


# A numbering mark read as a full stop (OCR: 四、→ 四。) at a line's or a cell's start.
_NUMBERING_STOP_RE = re.compile(r"(^|[\t|])(\s*[一二三四五六七八九十]{1,3})。", re.MULTILINE)


def normalise_line(line: str) -> str:
    """The matching form of one line (same length as the input).

    ``四。`` opening a line or a cell is the numbering ``四、`` (OCR reads the one as the
    other); read as a full stop it would make the row label a sentence.
    """
    out = to_simplified(to_halfwidth(line))
    if "。" in out:
        out = _NUMBERING_STOP_RE.sub(lambda m: m.group(1) + m.group(2) + "、", out)
    return out


@dataclass(frozen=True)
class NormalisedText:
    original: list[str]  # lines as printed
    lines: list[str]  # lines for matching, same lengths
    offsets: list[int]  # character offset of each line's start in the joined text
    # 1-based printed line of each line, when lines are pieces of printed lines (parse.unflatten)
    numbers: Optional[list[int]] = None

    def span(self, line_index: int, start: int, end: int) -> tuple[int, int]:
        base = self.offsets[line_index]
        return (base + start, base + end)

    def line_number(self, line_index: int) -> int:
        """The 1-based line of the document a (0-based) line index was printed on."""
        return self.numbers[line_index] if self.numbers is not None else line_index + 1


def normalise_text(text: str) -> NormalisedText:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    original = text.split("\n")
    whole = normalise_line(text)  # one conversion for the document, not one per line
    lines = whole.split("\n")
    if len(lines) != len(original) or any(len(a) != len(b) for a, b in zip(lines, original)):
        lines = [normalise_line(l) for l in original]
    offsets, pos = [], 0
    for l in original:
        offsets.append(pos)
        pos += len(l) + 1
    return NormalisedText(original, lines, offsets)


# --- cells -----------------------------------------------------------------

_DASHES = {"", "/", "／", "-", "--", "—", "——", "–", "－", "―", "一", "─", "━", "\\", "、", "·", ".", "_", "…"}
_NUM = r"[+-]?\d+(?:,\d{3})*(?:\.\d+)?"
_NUM_RE = re.compile(_NUM)
_STRAY_RE = re.compile(r"([_`¨:：~'\"^*•·]*)([\dOolI][\dOolI,.]*(?:万元|万|元|个|件|项|次|条)?)([_`¨:：~'\"^*•·]*)")
_NOTE_RE = re.compile(r"[(（\[].*$")
_CHANGE_RE = re.compile(r"(增加|新增|增|减少|减|下降|上升|\+|-)\s*(\d+(?:\.\d+)?)")
# parse_cell and label_key run on every new cell text: their patterns are compiled once.
_SPACES_RE = re.compile(r"\s+")
_PLAIN_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")
_DASH_RUN_RE = re.compile(r"[-—–/\\_.·\s]+")
_ZERO_WORD_RE = re.compile(r"(?:无|無|没有)\s*(?:件|个|项|条|次|万元|元)?")
_SIGNED_START_RE = re.compile(r"^[+-]?\d")
_PERCENT_RE = re.compile(r"[+-]?\d+(\.\d+)?\s*%")
_SPLIT_NUMBER_RE = re.compile(r"[\d.] +[\d.]")
_NUMBER_UNIT_RE = re.compile(rf"({_NUM})\s*(万元|万|元|亿元|亿|个|件|项|次|条|人次|人|部|家|篇|%|‰)?")
_TRAILING_STOP_RE = re.compile(r"(\d+)[.,·、'。](个|件|项|次|条)?")
# specks around a count: before it, or a run of them after it (".0", ".0.", "..3", "0..")
_SPECKS_AROUND_RE = re.compile(r"([.,·、'。]*)(\d.*?)([.,·、'。]*)(个|件|项|次|条)?")
_LEADING_ZERO_RE = re.compile(r"0\d")
_BODY_UNIT_RE = re.compile(r"(.+?)(万元|万|个|件|项|次|条|人次|人|部|家|篇)?")
_WORDED_NUMBER_RE = re.compile(r"[\u4e00-\u9fff]{0,4}" + _NUM + r"[\u4e00-\u9fff%]{0,3}")
_DIGIT_RE = re.compile(r"\d")
_HAN_RE = re.compile(r"[\u4e00-\u9fff]")
_TAG_RE = re.compile(r"<[^<>]{1,12}>")
_LABEL_PUNCT_RE = re.compile(r"[\s\"'“”‘’「」『』《》<>()（）\[\]【】:：,，.。、;；!！?？*#|_·•~`-]")


@dataclass(frozen=True)
class ParsedCell:
    """A cell's reading. ``kind`` is number | blank | zero_word | text | unreadable."""

    kind: str
    value: Optional[Number] = None
    repaired: Optional[str] = None

    @property
    def is_value(self) -> bool:
        return self.kind in ("number", "blank", "zero_word")


def _to_number(s: str, decimal: bool) -> Optional[Number]:
    s = s.replace(",", "")
    try:
        d = Decimal(s)
    except InvalidOperation:
        return None
    if decimal:
        f = float(d)
        return int(f) if f.is_integer() and "." not in s else f
    if d == d.to_integral_value():
        return int(d)
    return float(d)


def _repair_ocr(s: str) -> Optional[tuple[str, str]]:
    """Swap look-alike letters for digits when the rest is digits.

    Accents OCR puts on a letter (``ó``, ``ì``: a speck above a damaged 0 or 1)
    are dropped first: no figure carries one.
    """
    if s and not s.isascii():
        bare = "".join(ch for ch in unicodedata.normalize("NFKD", s) if not unicodedata.combining(ch))
        if bare != s and bare.isascii():
            rep = _repair_ocr(bare)
            return (rep[0], f"{s}→{rep[0]}") if rep else None
    if not s or not any(ch in _OCR_DIGITS for ch in s):
        return None
    fixed = "".join(_OCR_DIGITS.get(ch, ch) for ch in s)
    if _PLAIN_NUMBER_RE.fullmatch(fixed) and len(s) <= 8:
        swaps = ",".join(sorted({f"{ch}→{_OCR_DIGITS[ch]}" for ch in s if ch in _OCR_DIGITS}))
        return fixed, swaps
    return None


@lru_cache(maxsize=65536)
def parse_cell(raw: Optional[str], column: str = "", *, allow_repair: bool = True) -> ParsedCell:
    """Read one printed cell by the value rules of template.md."""
    if raw is None:
        return ParsedCell("blank")
    s = to_halfwidth(raw).strip()
    s = _SPACES_RE.sub(" ", s)
    if s in _DASHES or _DASH_RUN_RE.fullmatch(s):
        return ParsedCell("blank")
    if _ZERO_WORD_RE.fullmatch(s):  # 无, 无件
        return ParsedCell("zero_word", 0)
    decimal = column in ("amount", "fees_collected")
    signed = column == "change"

    # notes in brackets keep only the headline figure: 22（其中修订16件）→ 22
    head = _NOTE_RE.sub("", s).strip() or s

    if signed:
        m = _CHANGE_RE.search(head)
        if m and not _SIGNED_START_RE.match(head.replace(" ", "")):
            word, num = m.group(1), m.group(2)
            v = _to_number(num, False)
            if v is not None:
                return ParsedCell("number", -v if word in ("减少", "减", "下降", "-") else v)
        if _PERCENT_RE.fullmatch(head):
            v = _to_number(head.rstrip("% ").strip(), False)
            return ParsedCell("number", v)

    compact = head.replace(" ", "")
    split_note = f"joined split number {head!r}" if _SPLIT_NUMBER_RE.search(head) else None
    if split_note and _LEADING_ZERO_RE.match(compact):
        return ParsedCell("unreadable")  # "0 3": no figure starts with 0, so two figures in one cell
    # a clean number, possibly with a unit: 27个, 156次, 30183.96万元, 493.5万, 4935000元
    m = _NUMBER_UNIT_RE.fullmatch(compact)
    if m:
        v = _to_number(m.group(1), decimal)
        unit = m.group(2)
        if v is not None and decimal and unit in ("元",):
            v = float(Decimal(str(v)) / Decimal(10000))
        elif v is not None and decimal and unit in ("亿元", "亿"):
            v = float(Decimal(str(v)) * Decimal(10000))
        if v is not None and decimal and isinstance(v, float) and v.is_integer() and "." not in m.group(1):
            v = int(v)
        return ParsedCell("number", v, repaired=split_note)

    if allow_repair:
        # a stray mark beside a figure (_0件, `5, ¨3, 3:, ~2, 0_): the figure, marked repaired
        m = _STRAY_RE.fullmatch(compact)
        if m and (m.group(1) or m.group(3)):
            inner = parse_cell(m.group(2), column)  # the figure may be OCR-damaged too (O~)
            if inner.kind == "number":
                marks = (m.group(1) + m.group(3)).strip()
                note = f"dropped stray mark {marks!r}" + (f"; {inner.repaired}" if inner.repaired else "")
                return ParsedCell("number", inner.value, repaired=note)
    m = _TRAILING_STOP_RE.fullmatch(compact) if allow_repair else None
    if m:
        # OCR read a speck beside the digits as a stop: "0." → 0, "0.件" → 0 (a decimal has digits after its point)
        stop = compact[len(m.group(1))]
        return ParsedCell("number", _to_number(m.group(1), decimal), repaired=f"dropped trailing {stop!r}")
    # Specks before a count's digits, or a run of them after it: a count is whole and a decimal
    # point has digits on both sides, so none of them is a point (one stop after the digits is
    # the rule above, amounts included). An amount's point is not guessed, and a mark before a
    # change figure may be its minus broken into specks.
    m = _SPECKS_AROUND_RE.fullmatch(compact) if allow_repair and not decimal and not signed else None
    if m and (m.group(1) or len(m.group(3)) >= 2):
        inner = parse_cell(m.group(2) + (m.group(4) or ""), column)  # the figure may be OCR-damaged too
        if inner.kind == "number":
            where = ", ".join(f"{side} {marks!r}" for side, marks in (("leading", m.group(1)), ("trailing", m.group(3))) if marks)
            return ParsedCell("number", inner.value, repaired=f"dropped specks, {where}")
    if allow_repair:
        m = _BODY_UNIT_RE.fullmatch(compact)
        rep = _repair_ocr(m.group(1)) if m else None
        if rep:
            fixed, swaps = rep
            return ParsedCell("number", _to_number(fixed, decimal), repaired=swaps)

    # a number with text around it (本年增加 12 项 outside a change column, 共3件)
    nums = _NUM_RE.findall(compact)
    if len(nums) == 1 and _WORDED_NUMBER_RE.fullmatch(compact):
        return ParsedCell("number", _to_number(nums[0], decimal))
    if _DIGIT_RE.search(compact) and len(compact) <= 8 and not _HAN_RE.search(compact):
        return ParsedCell("unreadable")
    return ParsedCell("text")


@lru_cache(maxsize=65536)
def label_key(text: str) -> str:
    """A label reduced for matching: simplified, no spaces, punctuation or numbering."""
    t = normalise_line(unicodedata.normalize("NFKC", text))
    t = _TAG_RE.sub("", t)  # <br>, <u>…</u> left inside cells
    t = _LABEL_PUNCT_RE.sub("", t)
    return t
