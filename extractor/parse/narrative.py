"""Figures stated in the prose (本年新收…申请 N 件, 行政复议 N 件).

They feed the ``narrative.*`` checks, which only warn: prose is loose, and a
sentence never changes a table cell. ``stated_documents`` lets a sentence
choose among the readings of run-together figures, never overrule a figure.
"""

from __future__ import annotations

import re
from typing import Optional, Sequence

from ..normalise import NormalisedText

_N = r"(\d+)\s*(?:件|起|宗|个|条)"
_PATTERNS = {
    "new_received": re.compile(r"(?:新收|收到|受理)[^。;,，]{0,24}?申请[^。;,，\d]{0,4}?(?:共|合计)?\s*" + _N),
    "carried_over": re.compile(r"上年结转[^。;,，\d]{0,16}?" + _N),
    "review": re.compile(r"行政复议[^。;,，\d]{0,8}?" + _N),
    "litigation": re.compile(r"行政诉讼[^。;,，\d]{0,8}?" + _N),
}
_LEGACY = {"new_received": "legacy_received", "review": "legacy_review", "litigation": "legacy_litigation"}
# A word each pattern needs: lines without any (most prose) are not tried pattern by pattern.
_NEEDED_RE = re.compile("申请|上年结转|行政复议|行政诉讼")


def narrative_figures(nt: NormalisedText, region: Optional[tuple[int, int]], legacy: bool = False) -> dict[str, int]:
    """The first figure of each kind stated in a prose line (outside tables)."""
    out: dict[str, int] = {}
    stop = region[0] if (legacy and region) else len(nt.lines)
    for line in nt.lines[:stop]:
        if "\t" in line or "|" in line or len(line) < 12 or not _NEEDED_RE.search(line):
            continue
        for name, pat in _PATTERNS.items():
            key = _LEGACY.get(name, None) if legacy else name
            if not key or key in out:
                continue
            m = pat.search(line)
            if m:
                out[key] = int(m.group(1))
    return out


# Table 二's document rows as prose states them: (row word, column words) per column key.
_DOC_ROWS = {"regulations": "规章", "normative_documents": "规范性文件"}
_DOC_COLUMNS = {
    "issued": "制发|制定|出台|印发", "made": "制发|制定|出台|印发", "repealed": "废止|失效|清理",
    "in_force": "现行有效", "total_public": "现行有效|累计公开|对外公开",
}
# Verbs before or after the row word, then the figure; compiled once (every prose line naming a row is tried).
_DOC_PATTERNS = {
    (row, col): re.compile(rf"(?:{verbs})[^\d]{{0,12}}?{word}[^\d]{{0,4}}?(\d+)\s*件|{word}[^\d]{{0,6}}?(?:{verbs})[^\d]{{0,6}}?(\d+)\s*件")
    for row, word in _DOC_ROWS.items() for col, verbs in _DOC_COLUMNS.items()
}
_CLAUSE_SEP_RE = re.compile(r"[。；;，,]")
_DOC_ROW_RE = re.compile("|".join(_DOC_ROWS.values()))  # a line naming either row


def stated_documents(nt: NormalisedText, skip: Sequence[tuple[int, int]] = ()) -> dict[tuple[str, str], set[int]]:
    """Figures the prose states for table 二's document rows, by (row, column):
    ``集中公开现行有效行政规范性文件698件，动态更新本年度制发的规范性文件88件``.

    They never change a printed cell; they only choose among the readings of
    figures run together that the table alone cannot cut (``8855698``)."""
    out: dict[tuple[str, str], set[int]] = {}
    for i, line in enumerate(nt.lines):
        if "\t" in line or "|" in line or not _DOC_ROW_RE.search(line):
            continue
        if any(a <= i < b for a, b in skip):
            continue
        for clause in _CLAUSE_SEP_RE.split(line):
            for row, word in _DOC_ROWS.items():
                if word not in clause:
                    continue
                for col in _DOC_COLUMNS:
                    for m in _DOC_PATTERNS[row, col].finditer(clause):
                        out.setdefault((row, col), set()).add(int(m.group(1) or m.group(2)))
    return out
