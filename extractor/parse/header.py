"""Table 三's column order, read from its header rather than assumed.

Most reports print 自然人 | 法人或其他组织 (商业企业 科研机构 社会公益组织
法律服务机构 其他) | 总计, but some put 总计 first, permute the legal-person
columns or add a 小计 for them. The header names its columns on one line or
two (a group label over its sub-columns), one cell per line or in a row:
first-level labels in order, the group's sub-columns replacing the group.
When the header cannot be read as one arrangement of the columns, the
canonical order stands.
"""

from __future__ import annotations

from typing import Optional, Sequence

from ..normalise import label_key
from ..template import APPLICANT_COLUMN_LABELS
from .tokens import UNIT_TAIL_RE, Line, field_index

SUBTOTAL = "subtotal"
_GROUP = "法人或其他组织"
_TOP = {"自然人": "natural_person", "总计": "total", "合计": "total", _GROUP: _GROUP}
_SUB = {label_key(v): k for k, v in APPLICANT_COLUMN_LABELS.items() if k not in ("natural_person", "total")}
_SUB["小计"] = SUBTOTAL


def printed_order(lines: Sequence[Line], stop: int, text: Sequence[str] = ()) -> Optional[list[str]]:
    """Column keys of table 三 in printed order (``subtotal`` for a 小计), read
    from the header cells on lines before line index ``stop``; None if unread,
    ``UNREAD`` if the header shows another order that cannot be read whole.

    The group's sub-columns are in reading order (they share one line); the
    first-level labels (自然人, the group, 总计) by their positions where
    their cells have distinct ones (tab or pipe fields, display columns), so
    a 总计 printed on the first header line still stands last, else in
    reading order; the sub-columns replace the group.
    """
    entries: list[tuple[str, Optional[float], bool]] = []
    for line in lines:
        if line.index >= stop:
            break
        for c in line.cells:
            if c.kind != "label":
                continue
            key = _label(label_key(c.text))
            col = _TOP.get(key) or _SUB.get(key)
            if col is None or any(e[0] == col for e in entries):
                continue
            entries.append((col, _position(line, c, text), key in _TOP))
    top = [(col, p) for col, p, is_top in entries if is_top]
    sub = [col for col, _, is_top in entries if not is_top]
    if all(p is not None for _, p in top) and len({p for _, p in top}) == len(top):
        top.sort(key=lambda x: x[1])  # 总计 printed on the first header line still stands last
    first = [col for col, _ in top]
    if _GROUP in first:
        k = first.index(_GROUP)
        order = first[:k] + sub + first[k + 1:]
    elif sub and first and any(c in sub for c in ("commercial", "research")) and len(first) < 3:
        # the group label was not read: its sub-columns stand where it would, after 自然人
        k = first.index("natural_person") + 1 if "natural_person" in first else 0
        order = first[:k] + sub + first[k:]
    else:  # one header row
        order = [col for col, _, _ in entries]
    canonical = set(APPLICANT_COLUMN_LABELS)
    if set(order) - {SUBTOTAL} != canonical or len(order) != len(set(order)):
        return None if _canonical_so_far(order) else UNREAD
    return order


def _position(line: Line, c, text: Sequence[str]) -> Optional[float]:
    """A header cell's column: its field number in a tab or pipe row, its
    display column in aligned text; None on a line of its own."""
    if line.aligned and c.x1 > 0:
        return (c.x0 + c.x1) / 2 / 1000.0  # display columns, comparable across aligned lines only
    if not line.multi or line.index >= len(text):
        return None
    return float(field_index(text[line.index], c))


UNREAD = ["?"]  # the header shows another order but not all of it: no column can be trusted


def _canonical_so_far(order: list[str]) -> bool:
    """Whether the columns read so far stand in the canonical order."""
    ranks = [list(APPLICANT_COLUMN_LABELS).index(c) for c in order if c in APPLICANT_COLUMN_LABELS]
    return ranks == sorted(ranks)


def _label(key: str) -> str:
    """A header word wrapped in a narrow column (科研机 / 构): the one label it begins."""
    key = UNIT_TAIL_RE.sub("", key) if len(key) > 2 else key  # 自然人（件）
    if key in _TOP or key in _SUB or len(key) < 2:
        return key
    hits = [k for k in (*_TOP, *_SUB) if k.startswith(key)]
    return hits[0] if len(hits) == 1 else key
