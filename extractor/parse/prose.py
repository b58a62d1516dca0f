"""A pre-2019 report whose figures are only in its prose.

Some reports print no statistics table and state the year's figures in
sentences (全年共主动公开政府信息871条…共收到政府信息公开申请6件，其中当面申请
5件). Each legacy indicator a sentence states unambiguously becomes a cell with
``method: "narrative"`` and the sentence's span; an indicator stated with two
different figures, or not at all, stays absent. Such a result is never
``verified``: prose is loose, and nothing in it adds up to check it.
"""

from __future__ import annotations

import re

from ..models import Cell as ResultCell
from ..normalise import NormalisedText

_N = r"(\d+)\s*"
# indicator → sentences that state its figure (the first group)
STATED: dict[str, tuple[str, ...]] = {
    "proactive_total": (r"主动公开(?:政府)?信息(?:共)?" + _N + "条",),
    "proactive_normative_docs": (r"其中(?:主动公开)?规范性文件" + _N + "(?:件|条)",),
    "normative_docs_issued": (r"制发(?:了)?规范性文件(?:共)?" + _N + "件",),
    "applications_received": (r"(?:收到|受理)(?:政府信息公开|依申请公开)?申请(?:共)?" + _N + "件",),
    "received_in_person": (r"当面(?:提出)?申请" + _N + "件",),
    "received_fax": (r"传真(?:提出)?申请" + _N + "件",),
    "received_online": (r"(?:网络|网上)(?:提出)?申请" + _N + "件",),
    "received_letter": (r"信函(?:提出)?申请" + _N + "件",),
    "applications_closed": (r"(?<!时)(?<!期)办结" + _N + "件",),
    "closed_on_time": (r"按时办结" + _N + "件",),
    "closed_extended": (r"延期办结" + _N + "件",),
    "reply_granted": (r"(?<![不部分])同意公开" + _N + "件",),
    "reply_partially_granted": (r"同意部分公开" + _N + "件",),
    "reply_denied": (r"不同意公开" + _N + "件", r"不予公开" + _N + "件"),
    "review_total": (r"行政复议" + _N + "(?:件|起)",),
    "litigation_total": (r"行政诉讼" + _N + "(?:件|起)",),
    "complaints": (r"举报投诉" + _N + "(?:件|起)",),
}
_FEES_RE = re.compile(r"收取(?:了)?(?:信息处理)?费用(?:共|合计)?" + _N + "元")
_NO_FEES_RE = re.compile(r"未收取(?:任何)?费用")
_PATTERNS = {k: tuple(re.compile(p) for p in pats) for k, pats in STATED.items()}


def legacy_from_prose(nt: NormalisedText) -> dict[str, ResultCell]:
    """The legacy indicators the prose states, each with the sentence it came from."""
    found: dict[str, list[tuple[int, int, int, str]]] = {}
    for i, line in enumerate(nt.lines):
        if "\t" in line or "|" in line:
            continue
        for key, patterns in _PATTERNS.items():
            for pat in patterns:
                for m in pat.finditer(line):
                    found.setdefault(key, []).append((int(m.group(1)), i, m.start(1), m.group(1)))
    for i, line in enumerate(nt.lines):  # fees: 收取费用120元 (万元 in the table), 未收取费用 = 0
        for m in _FEES_RE.finditer(line):
            yuan = int(m.group(1))
            found.setdefault("fees_collected", []).append((yuan / 10000 if yuan else 0, i, m.start(1), m.group(1)))
        for m in _NO_FEES_RE.finditer(line):
            found.setdefault("fees_collected", []).append((0, i, m.start(), m.group()))
    out: dict[str, ResultCell] = {}
    for key, hits in found.items():
        if len({v for v, *_ in hits}) != 1:
            continue  # stated with two figures: not grounded
        value, i, start, raw = hits[0]
        out[f"legacy.indicators.{key}"] = ResultCell(
            value=value, raw=nt.original[i][start:start + len(raw)], line=nt.line_number(i),
            span=nt.span(i, start, start + len(raw)), method="narrative", flags=["narrative"])
    return out
