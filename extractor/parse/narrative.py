"""Figures stated in the prose (本年新收…申请 N 件, 行政复议 N 件).

They feed the ``narrative.*`` checks, which only warn: prose is loose, and a
sentence never changes a table cell.
"""

from __future__ import annotations

import re
from typing import Optional

from ..normalise import NormalisedText

_N = r"(\d+)\s*(?:件|起|宗|个|条)"
_PATTERNS = {
    "new_received": re.compile(r"(?:新收|收到|受理)[^。;,，]{0,24}?申请[^。;,，\d]{0,4}?(?:共|合计)?\s*" + _N),
    "carried_over": re.compile(r"上年结转[^。;,，\d]{0,16}?" + _N),
    "review": re.compile(r"行政复议[^。;,，\d]{0,8}?" + _N),
    "litigation": re.compile(r"行政诉讼[^。;,，\d]{0,8}?" + _N),
}
_LEGACY = {"new_received": "legacy_received", "review": "legacy_review", "litigation": "legacy_litigation"}


def narrative_figures(nt: NormalisedText, region: Optional[tuple[int, int]], legacy: bool = False) -> dict[str, int]:
    """The first figure of each kind stated in a prose line (outside tables)."""
    out: dict[str, int] = {}
    stop = region[0] if (legacy and region) else len(nt.lines)
    for line in nt.lines[:stop]:
        if "\t" in line or "|" in line or len(line) < 12:
            continue
        for name, pat in _PATTERNS.items():
            key = _LEGACY.get(name, None) if legacy else name
            if not key or key in out:
                continue
            m = pat.search(line)
            if m:
                out[key] = int(m.group(1))
    return out
