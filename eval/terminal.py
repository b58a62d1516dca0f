"""Compact terminal view of a summary (rich tables).

The figures a developer checks after every change, on one screen: cell
accuracy, exact tables, spurious cells, silent errors, status counts,
metadata accuracy, LLM usage and time per document.
"""

from __future__ import annotations

from typing import Optional

from rich.console import Console
from rich.table import Table


def pct(x: Optional[float]) -> str:
    return "—" if x is None else f"{100 * x:.2f}%"


def secs(x: Optional[float]) -> str:
    return "—" if x is None else (f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s")


def _rate(r: dict) -> str:
    return f"{pct(r.get('rate'))} ({r.get('correct', 0)}/{r.get('of', 0)})"


def totals_table(summary: dict) -> Table:
    t = summary["totals"]
    run = summary.get("run") or {}
    title = f"nianbao eval · {run.get('backend', '?')} · {t['documents']} documents"
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("metric", style="bold")
    table.add_column("value")
    table.add_row("cell accuracy", f"{pct(t['cell_accuracy'])} ({t['correct']}/{t['golden_cells']})")
    table.add_row("tables exact", f"{pct(t['tables_exact_rate'])} ({t['tables_exact']}/{t['tables']})")
    table.add_row("documents exact", f"{t['documents_exact']}/{t['documents']}")
    table.add_row("wrong / missing cells", f"{t['wrong']} / {t['missing']}")
    table.add_row("spurious cells", str(t["spurious"]))
    silent_style = "bold red" if t["silent_errors"] else "green"
    table.add_row(
        "silent errors",
        f"[{silent_style}]{t['silent_errors']}[/] cells in {t['silent_error_documents']} documents",
    )
    table.add_row("status", ", ".join(f"{k} {v}" for k, v in sorted(t["status_counts"].items())) or "—")
    table.add_row("template / agency / year", " · ".join(_rate(t[k]) for k in ("template", "agency", "year")))
    llm = t["llm"]
    cost = "" if llm.get("cost_usd") is None else f", ${llm['cost_usd']:.4f}"
    table.add_row(
        "LLM",
        f"{llm['calls']} calls, {llm['prompt_tokens']}+{llm['completion_tokens']} tokens, "
        f"{llm['cache_hits']} cache hits{cost}",
    )
    s = t["seconds"]
    table.add_row("time / document", f"mean {secs(s['mean'])}, median {secs(s['median'])}, p95 {secs(s['p95'])}, max {secs(s['max'])}")
    if t.get("skipped") or t.get("crashed"):
        table.add_row("skipped / crashed", f"{t.get('skipped', 0)} / {t.get('crashed', 0)}")
    return table


def breakdown_table(title: str, rows: dict, with_seconds: bool = False) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("", no_wrap=True)
    for col in ("docs", "cells", "accuracy", "tables exact", "spurious", "silent"):
        table.add_column(col, justify="right")
    if with_seconds:
        table.add_column("s/doc", justify="right")
    for name, v in rows.items():
        cells = [
            name,
            str(v["documents"]),
            str(v["golden_cells"]),
            pct(v["cell_accuracy"]),
            f"{v['tables_exact']}/{v['tables']}",
            str(v["spurious"]),
            str(v["silent_errors"]),
        ]
        if with_seconds:
            cells.append(secs(v.get("seconds_mean")))
        table.add_row(*cells)
    return table


def print_summary(summary: dict, console: Optional[Console] = None, breakdowns: bool = True) -> None:
    console = console or Console()
    console.print(totals_table(summary))
    if not breakdowns:
        return
    console.print(breakdown_table("by table", summary["by_table"]))
    if len(summary["by_layout"]) > 1 or any(not k.startswith("source:") for k in summary["by_layout"]):
        console.print(breakdown_table("by layout (cells of each table by that table's layout)", summary["by_layout"], True))
    if len(summary["by_damage"]) > 1 or "none" not in summary["by_damage"]:
        console.print(breakdown_table("by damage kind (documents carrying it)", summary["by_damage"], True))
    if summary.get("by_variation"):
        console.print(variation_table(summary))


def variation_table(summary: dict) -> Table:
    """Per synthetic variation (documents carrying it), and all documents combined."""
    table = breakdown_table("by variation (documents carrying it; synthetic --variations)", {}, False)
    table.add_column("agency", justify="right")
    table.add_column("year", justify="right")
    t = summary["totals"]
    rows = dict(summary["by_variation"])
    rows["ALL (combined)"] = {**t, "agency": t["agency"]["rate"], "year": t["year"]["rate"]}
    for name, v in rows.items():
        table.add_row(
            name, str(v["documents"]), str(v["golden_cells"]), pct(v["cell_accuracy"]),
            f"{v['tables_exact']}/{v['tables']}", str(v["spurious"]), str(v["silent_errors"]),
            pct(v.get("agency")), pct(v.get("year")),
        )
    return table
