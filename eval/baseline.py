"""The regression gate: recorded accuracy and silent errors on goldens/.

``nianbao eval goldens --write-baseline`` records the figures; the gate
recomputes them over the *same* goldens (those named in the baseline), so
adding a new, harder golden never fails the gate by itself — re-record the
baseline to lock it in. Accuracy may not drop, silent errors may not rise.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

BASELINE_PATH = Path(__file__).with_name("baseline.json")
EPSILON = 1e-9


def baseline_from_summary(summary: dict) -> dict:
    docs = {
        d["id"]: {
            "golden_cells": d["golden_cells"],
            "correct": d["correct"],
            "spurious": d["spurious"],
            "silent_errors": d["silent_errors"],
            "status": d["status"],
        }
        for d in summary["documents"]
        if not d.get("skipped")
    }
    t = summary["totals"]
    return {
        "backend": (summary.get("run") or {}).get("backend"),
        "documents": len(docs),
        "golden_cells": t["golden_cells"],
        "correct": t["correct"],
        "cell_accuracy": t["cell_accuracy"],
        "tables_exact": t["tables_exact"],
        "spurious": t["spurious"],
        "silent_errors": t["silent_errors"],
        "per_document": docs,
    }


def write_baseline(summary: dict, path: Path = BASELINE_PATH) -> dict:
    data = baseline_from_summary(summary)
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return data


def read_baseline(path: Path = BASELINE_PATH) -> Optional[dict]:
    p = Path(path)
    if not p.is_file():
        return None
    return json.loads(p.read_text(encoding="utf-8"))


def check_gate(summary: dict, baseline: dict) -> list[str]:
    """Reasons the run is worse than the baseline (empty list: gate passes)."""
    now = {d["id"]: d for d in summary["documents"] if not d.get("skipped")}
    recorded = baseline.get("per_document") or {}
    failures = [f"golden {i} is in the baseline but was not scored now" for i in sorted(set(recorded) - set(now))]
    ids = [i for i in recorded if i in now]
    cells = sum(now[i]["golden_cells"] for i in ids)
    correct = sum(now[i]["correct"] for i in ids)
    silent = sum(now[i]["silent_errors"] for i in ids)
    acc = correct / cells if cells else None
    base_acc = baseline.get("cell_accuracy")
    if base_acc is not None and (acc is None or acc < base_acc - EPSILON):
        worse = [
            f"{i}: {now[i]['correct']}/{now[i]['golden_cells']} (was {recorded[i]['correct']}/{recorded[i]['golden_cells']})"
            for i in ids
            if now[i]["correct"] < recorded[i]["correct"]
        ]
        failures.append(f"cell accuracy dropped: {acc} < baseline {base_acc}; " + "; ".join(worse))
    if silent > int(baseline.get("silent_errors") or 0):
        worse = [
            f"{i}: {now[i]['silent_errors']} (was {recorded[i]['silent_errors']})"
            for i in ids
            if now[i]["silent_errors"] > recorded[i]["silent_errors"]
        ]
        failures.append(f"silent errors rose: {silent} > baseline {baseline.get('silent_errors')}; " + "; ".join(worse))
    return failures
