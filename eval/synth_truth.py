"""Truth values of a synthetic report: consistent tables, like real ones.

The numbers are drawn so every 勾稽 check holds (balance, handled sum, row
totals, review totals, legacy sums); damage applied later may then break
what is *printed*, and the golden follows the print.
"""

from __future__ import annotations

import random
from typing import Optional

from extractor.template import (
    APPLICANT_COLUMNS,
    DENIED_ROWS,
    LEGACY_KEYS,
    NOT_PROCESSED_ROWS,
    OTHER_2021_ROWS,
    REVIEW_COLUMNS,
    UNABLE_ROWS,
)

Tables = dict[str, dict[str, dict[str, Optional[float]]]]

SIZES = ("tiny", "small", "medium", "large")
_SCALE = {"tiny": 3, "small": 15, "medium": 80, "large": 600}

# How likely each handling outcome is, relative to the others.
_OUTCOME_WEIGHTS = {
    "granted": 40,
    "partially_granted": 8,
    "denied_state_secret": 1,
    "denied_law_prohibited": 1,
    "denied_three_safety": 0.5,
    "denied_third_party": 1.5,
    "denied_internal_affairs": 1,
    "denied_process_info": 2,
    "denied_enforcement_file": 1,
    "denied_admin_query": 1.5,
    "unable_not_held": 15,
    "unable_needs_creation": 3,
    "unable_unclear": 2,
    "not_processed_petition": 4,
    "not_processed_duplicate": 3,
    "not_processed_publication": 0.5,
    "not_processed_excessive": 1,
    "not_processed_confirmation": 1,
    "other_handling": 3,
    "other_no_correction": 2,
    "other_unpaid_fee": 0.3,
    "other_misc": 1.5,
}
_COLUMN_SHARE = {"natural_person": 70, "commercial": 12, "research": 1, "social_welfare": 1.5, "legal_service": 7, "other_org": 8}


def _amount(rng: random.Random, hi: float) -> float:
    """A 万元 figure with 0–2 decimals, as a report would print it."""
    if rng.random() < 0.25:
        return 0
    v = rng.uniform(0.5, hi)
    digits = rng.choice((0, 1, 2, 2, 2))
    v = round(v, digits)
    return int(v) if digits == 0 else v


def _count(rng: random.Random, scale: float, zero_p: float = 0.3) -> int:
    if rng.random() < zero_p:
        return 0
    return int(rng.expovariate(1 / max(scale, 0.5)))


def _split(rng: random.Random, n: int, weights: dict[str, float]) -> dict[str, int]:
    """``n`` items spread over the keys of ``weights`` at random."""
    keys = list(weights)
    out = dict.fromkeys(keys, 0)
    w = [weights[k] for k in keys]
    for k in rng.choices(keys, weights=w, k=n) if n else ():
        out[k] += 1
    return out


def active_2019(rng: random.Random, size: str) -> dict:
    s = _SCALE[size]
    made = _count(rng, s / 6, 0.5)
    nd = _count(rng, s / 2, 0.2)
    rows = {
        "regulations": {"made": made, "published": made, "total_public": made + _count(rng, s, 0.4)},
        "normative_documents": {"made": nd, "published": nd if rng.random() < 0.8 else max(0, nd - rng.randint(0, 3)), "total_public": nd + _count(rng, s * 3, 0.1)},
    }
    for row in ("licensing", "other_services", "penalty", "coercion"):
        prev = _count(rng, s * 4, 0.35)
        change = 0 if rng.random() < 0.6 else rng.randint(-min(prev, 15), 30)
        rows[row] = {"previous_items": prev, "change": change, "decisions": _count(rng, s * 20, 0.35)}
    fprev = _count(rng, s / 2, 0.5)
    rows["fees"] = {"previous_items": fprev, "change": 0 if rng.random() < 0.7 else rng.randint(-min(fprev, 5), 5)}
    rows["procurement"] = {"projects": _count(rng, s, 0.3), "amount": _amount(rng, s * 300)}
    return rows


def active_2021(rng: random.Random, size: str) -> dict:
    s = _SCALE[size]
    rows = {}
    for row in ("regulations", "normative_documents"):
        issued = _count(rng, s / (6 if row == "regulations" else 2), 0.4)
        repealed = _count(rng, s / 8, 0.6)
        rows[row] = {"issued": issued, "repealed": repealed, "in_force": issued + _count(rng, s * 2, 0.2)}
    for row in ("licensing", "penalty", "coercion"):
        rows[row] = {"decisions": _count(rng, s * 20, 0.3)}
    rows["fees"] = {"amount": _amount(rng, s * 50)}
    return rows


def applications(rng: random.Random, size: str, form: str) -> dict:
    """Table 三 with every check holding; ``form`` is "single" or "split" （六）."""
    s = _SCALE[size]
    outcome_rows = ["granted", "partially_granted", *DENIED_ROWS, *UNABLE_ROWS, *NOT_PROCESSED_ROWS]
    outcome_rows += ["other_handling"] if form == "single" else list(OTHER_2021_ROWS)
    weights = {k: _OUTCOME_WEIGHTS[k] for k in outcome_rows}
    cols = [c for c in APPLICANT_COLUMNS if c != "total"]
    new_total = _count(rng, s, 0.15)
    new = _split(rng, new_total, _COLUMN_SHARE)
    rows: dict[str, dict[str, int]] = {r: {} for r in ("new_received", "carried_over", *outcome_rows, "total_handled", "carried_forward")}
    for c in cols:
        carried = _count(rng, max(new[c] / 10, 0.3), 0.7)
        pool = new[c] + carried
        forward = 0 if pool == 0 or rng.random() < 0.6 else rng.randint(0, max(1, pool // 6))
        forward = min(forward, pool)
        handled = pool - forward
        parts = _split(rng, handled, weights)
        rows["new_received"][c] = new[c]
        rows["carried_over"][c] = carried
        for r in outcome_rows:
            rows[r][c] = parts[r]
        rows["total_handled"][c] = handled
        rows["carried_forward"][c] = forward
    for r in rows.values():
        r["total"] = sum(r[c] for c in cols)
    return rows


def review_litigation(rng: random.Random, size: str) -> dict:
    s = _SCALE[size] / 40
    rows = {}
    for r in ("review", "litigation_direct", "litigation_after_review"):
        vals = {c: _count(rng, s, 0.75) for c in REVIEW_COLUMNS if c != "total"}
        vals["total"] = sum(vals.values())
        rows[r] = vals
    return rows


def legacy(rng: random.Random, size: str) -> dict:
    s = _SCALE[size]
    v: dict[str, float] = {}
    v["normative_docs_issued"] = _count(rng, s / 2, 0.2)
    v["proactive_normative_docs"] = min(v["normative_docs_issued"], _count(rng, s / 2, 0.2))
    v["proactive_total"] = v["normative_docs_issued"] + _count(rng, s * 60, 0.02)
    ch = {k: _count(rng, s / 3, 0.4) for k in ("received_in_person", "received_fax", "received_online", "received_letter")}
    ch["received_fax"] = ch["received_fax"] // 4
    v.update(ch)
    v["applications_received"] = sum(ch.values())
    n = v["applications_received"]
    late = rng.randint(0, n // 5) if n else 0
    v["closed_on_time"], v["closed_extended"] = n - late, late
    v["applications_closed"] = n
    replies = _split(
        rng,
        n,
        {
            "reply_already_public": 20,
            "reply_granted": 40,
            "reply_partially_granted": 6,
            "reply_denied": 6,
            "reply_not_this_agency": 10,
            "reply_not_exist": 10,
            "reply_correction_requested": 4,
            "reply_other_channel": 4,
        },
    )
    v.update(replies)
    v["replies_total"] = n
    for kind in ("review", "litigation"):
        parts = {f"{kind}_{k}": _count(rng, s / 30, 0.7) for k in ("upheld", "corrected", "other")}
        v.update(parts)
        v[f"{kind}_total"] = sum(parts.values())
    v["complaints"] = _count(rng, s / 20, 0.7)
    v["fees_collected"] = 0 if rng.random() < 0.8 else round(rng.uniform(0.01, 3), 2)
    return {"indicators": {k: v[k] for k in LEGACY_KEYS}}


def make_truth(rng: random.Random, template: str, size: str, form: str) -> Tables:
    """All tables a report of ``template`` prints, values consistent."""
    if template == "legacy":
        return {"legacy": legacy(rng, size)}
    active = active_2019(rng, size) if template == "2019" else active_2021(rng, size)
    return {
        "active_disclosure": active,
        "applications": applications(rng, size, form),
        "review_litigation": review_litigation(rng, size),
    }
