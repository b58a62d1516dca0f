"""Run an extract function over goldens and aggregate the scores.

The extract function is a parameter (``(path, config) -> Result``) so the
harness can be tested with a stub, and so the same code scores the parser,
the LLM backend or any future one. One document failing never stops a run:
an exception becomes an ``error`` result that scores zero.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from .goldens import Case
from .scoring import DocScore, as_dict, score_document

ExtractFn = Callable[[Path, Any], Any]
SUMMARY_SCHEMA = "nianbao-eval/1"


def default_extract_fn() -> ExtractFn:
    """The real pipeline, imported late so a stub needs no parser."""
    from extractor.pipeline import extract_path

    return extract_path


@dataclass
class DocRun:
    """One golden, what the extractor returned about it, and its score."""

    case: Case
    seconds: float = 0.0
    score: Optional[DocScore] = None
    status: Optional[str] = None
    reason: Optional[str] = None
    crashed: Optional[str] = None  # the exception, when extract raised
    llm: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    ingester: Optional[str] = None


def run_one(case: Case, extract_fn: ExtractFn, config: Any) -> DocRun:
    run = DocRun(case=case)
    if case.error:
        return run
    t0 = time.perf_counter()
    try:
        result = as_dict(extract_fn(case.source_path, config))
    except Exception as exc:  # noqa: BLE001 - a crash is a result like any other
        result = {"id": case.id, "status": "error", "reason": f"{type(exc).__name__}: {exc}", "tables": {}}
        run.crashed = f"{type(exc).__name__}: {exc}"
    run.seconds = time.perf_counter() - t0
    run.score = score_document(case.golden, result)
    run.status = run.score.status or "unknown"
    run.reason = result.get("reason")
    run.llm = dict(result.get("llm") or {})
    run.timings = dict(result.get("timings") or {})
    run.ingester = (result.get("ingest") or {}).get("ingester")
    return run


def run_eval(
    cases: list[Case],
    extract_fn: Optional[ExtractFn] = None,
    config: Any = None,
    jobs: int = 1,
    progress: Optional[Callable[[DocRun], None]] = None,
) -> list[DocRun]:
    """Extract and score every case, in order; ``jobs`` threads for slow backends."""
    fn = extract_fn or default_extract_fn()
    runs: list[DocRun] = []
    if jobs <= 1:
        for case in cases:
            runs.append(run_one(case, fn, config))
            if progress:
                progress(runs[-1])
        return runs
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for run in pool.map(lambda c: run_one(c, fn, config), cases):
            runs.append(run)
            if progress:
                progress(run)
    return runs


class Tally:
    """Cell and table counts for one group (a table, a layout, a damage kind)."""

    def __init__(self) -> None:
        self.golden_cells = self.correct = self.wrong = self.missing = self.spurious = 0
        self.tables = self.tables_exact = self.silent_errors = 0
        self.docs: set[str] = set()

    def add_table(self, doc_id: str, t, silent: bool) -> None:
        self.docs.add(doc_id)
        self.golden_cells += t.golden_cells
        self.correct += t.correct
        self.wrong += t.wrong
        self.missing += t.missing
        self.spurious += t.spurious
        if t.in_golden:
            self.tables += 1
            self.tables_exact += int(t.exact)
        if silent:
            self.silent_errors += t.wrong + t.missing + t.spurious

    def to_json(self) -> dict:
        return {
            "documents": len(self.docs),
            "golden_cells": self.golden_cells,
            "correct": self.correct,
            "wrong": self.wrong,
            "missing": self.missing,
            "spurious": self.spurious,
            "cell_accuracy": _ratio(self.correct, self.golden_cells),
            "tables": self.tables,
            "tables_exact": self.tables_exact,
            "tables_exact_rate": _ratio(self.tables_exact, self.tables),
            "silent_errors": self.silent_errors,
        }


def _ratio(a: int, b: int) -> Optional[float]:
    return a / b if b else None


def _rate(flags: Iterable[Optional[bool]]) -> dict:
    vals = [f for f in flags if f is not None]
    return {"correct": sum(vals), "of": len(vals), "rate": _ratio(sum(vals), len(vals))}


def _seconds(runs: list[DocRun]) -> dict:
    secs = sorted(r.seconds for r in runs)
    if not secs:
        return {"total": 0.0, "mean": None, "median": None, "p95": None, "max": None}
    return {
        "total": sum(secs),
        "mean": statistics.fmean(secs),
        "median": statistics.median(secs),
        "p95": secs[min(len(secs) - 1, int(round(0.95 * (len(secs) - 1))))],
        "max": secs[-1],
    }


def _llm_totals(runs: list[DocRun]) -> dict:
    tot: dict[str, Any] = {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "cache_hits": 0, "cost_usd": None}
    for r in runs:
        for k in ("calls", "prompt_tokens", "completion_tokens", "cache_hits"):
            tot[k] += int(r.llm.get(k) or 0)
        if r.llm.get("cost_usd") is not None:
            tot["cost_usd"] = (tot["cost_usd"] or 0.0) + float(r.llm["cost_usd"])
    return tot


def group_tallies(scored: list[DocRun]) -> dict[str, dict[str, Tally]]:
    """Tallies by table, layout (per table), damage kind, variation, template and format."""
    groups: dict[str, dict[str, Tally]] = {k: defaultdict(Tally) for k in ("table", "layout", "damage", "variation", "template", "format")}
    for r in scored:
        s, c = r.score, r.case
        silent = s.status == "verified"
        template = str(c.golden.get("template"))
        for t in s.tables.values():
            groups["table"][t.table].add_table(c.id, t, silent)
            groups["layout"][c.layout_of(t.table)].add_table(c.id, t, silent)
            groups["template"][template].add_table(c.id, t, silent)
            groups["format"][c.format or "unknown"].add_table(c.id, t, silent)
            for d in c.damage or ["none"]:
                groups["damage"][d].add_table(c.id, t, silent)
            if c.variations is not None:
                for v in c.variations or ["none"]:
                    groups["variation"][v].add_table(c.id, t, silent)
    return groups


def _group_seconds(scored: list[DocRun], key: Callable[[DocRun], Iterable[str]]) -> dict[str, Optional[float]]:
    acc: dict[str, list[float]] = defaultdict(list)
    for r in scored:
        for k in key(r):
            acc[k].append(r.seconds)
    return {k: statistics.fmean(v) for k, v in acc.items()}


def doc_json(r: DocRun) -> dict:
    """One document's line in summary.json (per-cell outcomes included)."""
    c = r.case
    d: dict[str, Any] = {
        "id": c.id,
        "source": c.source_path.name if c.source_path else None,
        "format": c.format,
        "layout": c.layout,
        "table_layouts": c.table_layouts,
        "damage": c.damage,
        **({"variations": c.variations} if c.variations is not None else {}),
        "template": c.golden.get("template"),
        "seconds": round(r.seconds, 4),
    }
    if c.error:
        d["skipped"] = c.error
        return d
    s = r.score
    d.update(
        status=r.status,
        reason=r.reason,
        crashed=r.crashed,
        ingester=r.ingester,
        golden_cells=s.golden_cells,
        correct=s.correct,
        wrong=s.wrong,
        missing=s.missing,
        spurious=s.spurious,
        silent_errors=s.silent_errors,
        cell_accuracy=s.accuracy,
        template_ok=s.template_ok,
        agency_ok=s.agency_ok,
        year_ok=s.year_ok,
        golden_meta=s.golden_meta,
        result_meta=s.result_meta,
        tables={k: {**vars(t), "exact": t.exact} for k, t in s.tables.items()},
        llm=r.llm,
        timings=r.timings,
        cells=s.outcomes,
        diffs=[{**vars(x)} for x in s.diffs],
    )
    return d


def summarize(runs: list[DocRun], run_info: Optional[dict] = None) -> dict:
    """The whole run as summary.json: totals, breakdowns, every document."""
    scored = [r for r in runs if r.score is not None]
    skipped = [r for r in runs if r.score is None]
    total = Tally()
    for r in scored:
        for t in r.score.tables.values():
            total.add_table(r.case.id, t, r.score.status == "verified")
    totals = total.to_json()
    totals.update(
        documents=len(scored),
        skipped=len(skipped),
        crashed=sum(1 for r in scored if r.crashed),
        silent_error_documents=sum(1 for r in scored if r.score.silent_errors),
        documents_exact=sum(1 for r in scored if r.score.errors == 0),
        status_counts=dict(Counter(r.status for r in scored)),
        template=_rate(r.score.template_ok for r in scored),
        agency=_rate(r.score.agency_ok for r in scored),
        year=_rate(r.score.year_ok for r in scored),
        llm=_llm_totals(scored),
        seconds=_seconds(scored),
    )
    groups = group_tallies(scored)
    breakdown = {name: {k: t.to_json() for k, t in sorted(g.items())} for name, g in groups.items()}
    secs_layout = _group_seconds(scored, lambda r: {r.case.layout})
    secs_damage = _group_seconds(scored, lambda r: r.case.damage or ["none"])
    for k, v in breakdown["damage"].items():
        v["seconds_mean"] = secs_damage.get(k)
    for k, v in breakdown["layout"].items():
        v["seconds_mean"] = secs_layout.get(k)
    var_runs = [r for r in scored if r.case.variations is not None]
    for k, v in breakdown["variation"].items():
        of = [r for r in var_runs if k in (r.case.variations or ["none"])]
        v["agency"] = _rate(r.score.agency_ok for r in of)["rate"]
        v["year"] = _rate(r.score.year_ok for r in of)["rate"]
        v["silent_error_documents"] = sum(1 for r in of if r.score.silent_errors)
    return {
        "schema": SUMMARY_SCHEMA,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "run": run_info or {},
        "totals": totals,
        "by_table": breakdown["table"],
        "by_layout": breakdown["layout"],
        "by_damage": breakdown["damage"],
        **({"by_variation": breakdown["variation"]} if breakdown["variation"] else {}),
        "by_template": breakdown["template"],
        "by_format": breakdown["format"],
        "documents": [doc_json(r) for r in runs],
    }
