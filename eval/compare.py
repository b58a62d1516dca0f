"""Compare two summary.json files cell by cell: what improved, what regressed.

A cell is "good" when it is correct, or when it is absent from both the
golden and the result; anything else (wrong, missing, spurious) is "bad".
Documents are matched by id, so the two runs may hold different sets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from rich.console import Console
from rich.table import Table

from .terminal import pct

GOOD = ("ok", "absent")


def load_summary(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _doc_index(summary: dict) -> dict[str, dict]:
    return {d["id"]: d for d in summary.get("documents", []) if not d.get("skipped")}


def _diff_values(doc: dict) -> dict[str, dict]:
    return {x["key"]: x for x in doc.get("diffs") or []}


def compare_summaries(old: dict, new: dict) -> dict:
    """Cell-by-cell changes between two runs, plus the change of each total."""
    o_docs, n_docs = _doc_index(old), _doc_index(new)
    improved, regressed, changed = [], [], []
    status_changes = []
    for doc_id in sorted(set(o_docs) & set(n_docs)):
        od, nd = o_docs[doc_id], n_docs[doc_id]
        oc, nc = od.get("cells") or {}, nd.get("cells") or {}
        ov, nv = _diff_values(od), _diff_values(nd)
        for key in sorted(set(oc) | set(nc)):
            a, b = oc.get(key, "absent"), nc.get(key, "absent")
            if a == b and a in GOOD:
                continue
            old_x, new_x = ov.get(key, {}), nv.get(key, {})
            golden = old_x.get("golden", new_x.get("golden"))
            row = {
                "doc": doc_id,
                "key": key,
                "old": a,
                "new": b,
                "golden": golden,
                "old_value": old_x.get("result", golden if a == "ok" else None),
                "new_value": new_x.get("result", golden if b == "ok" else None),
                "new_raw": new_x.get("raw"),
            }
            if a not in GOOD and b in GOOD:
                improved.append(row)
            elif a in GOOD and b not in GOOD:
                regressed.append(row)
            elif a != b or old_x.get("result") != new_x.get("result"):
                changed.append(row)
        if od.get("status") != nd.get("status"):
            status_changes.append({"doc": doc_id, "old": od.get("status"), "new": nd.get("status")})
    ot, nt = old.get("totals", {}), new.get("totals", {})
    deltas = {}
    for k in ("cell_accuracy", "tables_exact_rate", "correct", "golden_cells", "spurious", "silent_errors", "documents_exact"):
        a, b = ot.get(k), nt.get(k)
        deltas[k] = {"old": a, "new": b, "delta": (b - a) if isinstance(a, (int, float)) and isinstance(b, (int, float)) else None}
    return {
        "totals": deltas,
        "documents": {
            "common": len(set(o_docs) & set(n_docs)),
            "only_old": sorted(set(o_docs) - set(n_docs)),
            "only_new": sorted(set(n_docs) - set(o_docs)),
        },
        "improved": improved,
        "regressed": regressed,
        "changed": changed,
        "status_changes": status_changes,
    }


def _v(x) -> str:
    return "∅" if x is None else str(x)


def print_comparison(cmp: dict, console: Optional[Console] = None, limit: int = 40) -> None:
    console = console or Console()
    t = Table(title="totals: old → new", title_justify="left")
    for c in ("metric", "old", "new", "Δ"):
        t.add_column(c)
    for k, v in cmp["totals"].items():
        rate = k.endswith("accuracy") or k.endswith("rate")
        fmt = pct if rate else _v
        delta = v["delta"]
        dtxt = "—" if delta is None else (f"{100 * delta:+.2f} pt" if rate else f"{delta:+d}" if isinstance(delta, int) else f"{delta:+}")
        t.add_row(k, fmt(v["old"]), fmt(v["new"]), dtxt)
    console.print(t)
    docs = cmp["documents"]
    console.print(
        f"{docs['common']} documents in both; {len(docs['only_old'])} only in old, {len(docs['only_new'])} only in new. "
        f"[green]{len(cmp['improved'])} cells improved[/], [red]{len(cmp['regressed'])} regressed[/], "
        f"{len(cmp['changed'])} still wrong but changed, {len(cmp['status_changes'])} status changes."
    )
    for name, style in (("regressed", "red"), ("improved", "green"), ("changed", "yellow")):
        rows = cmp[name]
        if not rows:
            continue
        tt = Table(title=f"{name} ({len(rows)})", title_style=style, title_justify="left")
        for c in ("document", "cell", "golden", "old", "new"):
            tt.add_column(c)
        for r in rows[:limit]:
            tt.add_row(r["doc"], r["key"], _v(r["golden"]), f"{r['old']} {_v(r['old_value'])}", f"{r['new']} {_v(r['new_value'])}")
        if len(rows) > limit:
            tt.add_row("…", f"{len(rows) - limit} more in compare.json", "", "", "")
        console.print(tt)
    if cmp["status_changes"]:
        st = Table(title="status changes", title_justify="left")
        for c in ("document", "old", "new"):
            st.add_column(c)
        for s in cmp["status_changes"][:limit]:
            st.add_row(s["doc"], _v(s["old"]), _v(s["new"]))
        console.print(st)
