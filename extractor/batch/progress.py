"""What a person watches: the live progress bar and the end-of-run summary.

The bar is a mixin of ``BatchRunner`` (it reads the runner's ``opt``, ``out``
and ``stats``), so the run loop only says when a document is done.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from . import outputs
from .inputs import Discovery


class ProgressMixin:
    """The progress bar of a ``BatchRunner``: on stderr, and only when that is a terminal."""

    def _start_progress(self, inputs) -> None:
        self._progress = None
        self._t0 = time.monotonic()
        if not self.opt.progress:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeRemainingColumn

        console = Console(stderr=True)
        if not console.is_terminal:
            return
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]batch"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[counts]}"),
            console=console,
        )
        self._task_id = self._progress.add_task("batch", total=None, rate="", counts="")
        self._progress.start()

        def count() -> None:  # total for the ETA, found in the background
            try:
                n = sum(1 for _ in Discovery(inputs, exclude=(self.out,)))
                if self._progress is not None:
                    self._progress.update(self._task_id, total=n)
            except Exception:
                pass

        threading.Thread(target=count, name="nianbao-count", daemon=True).start()

    def _progress_advance(self) -> None:
        if self._progress is None:
            return
        st = self.stats
        elapsed = max(time.monotonic() - self._t0, 1e-6)
        counts = " ".join(f"{k} {v}" for k, v in st.status.most_common())
        if st.skipped:
            counts += f" skipped {st.skipped}"
        self._progress.update(self._task_id, advance=1, rate=f"{st.processed / elapsed:.1f} docs/s", counts=counts)

    def _stop_progress(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def print_summary(summary: dict, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    d = summary["documents"]
    head = f"[bold]{d['processed']} processed[/bold], {d['skipped_done']} already done, {d['duplicates']} duplicate(s)"
    if summary["interrupted"]:
        head = "[yellow]interrupted[/yellow] — re-run the same command to resume. " + head
    console.print(head)
    for note in summary.get("notes") or []:
        console.print(f"[yellow]note:[/yellow] {note}")
    if d.get("ignored_files"):
        console.print("ignored: " + ", ".join(f"{k} {v}" for k, v in d["ignored_files"].items()))

    t = Table(title="this run", show_edge=False)
    t.add_column("status")
    t.add_column("docs", justify="right")
    for k, v in summary["by_status"].items():
        t.add_row(k, str(v))
    t2 = Table(title="templates", show_edge=False)
    t2.add_column("template")
    t2.add_column("docs", justify="right")
    for k, v in summary["by_template"].items():
        t2.add_row(k, str(v))
    from rich.columns import Columns

    console.print(Columns([t, t2], padding=(0, 4)))
    if summary["failing_rules"]:
        t3 = Table(title="most failing rules", show_edge=False)
        t3.add_column("rule")
        t3.add_column("reports", justify="right")
        for rule, n in summary["failing_rules"]:
            t3.add_row(rule, str(n))
        console.print(t3)
    yoy = summary.get("year_over_year") or {}
    if yoy:
        console.print("year_over_year.carry (whole database): " + ", ".join(f"{k} {v}" for k, v in sorted(yoy.items())))
    llm = summary["llm"]
    cost = "n/a" if llm["cost_usd"] is None else f"${llm['cost_usd']:.4f}"
    mem = summary["peak_rss_mb"]
    console.print(
        f"LLM: {llm['calls']} calls, {llm['tokens']} tokens, cost {cost} · "
        f"{summary['docs_per_second']} docs/s over {summary['seconds']}s with {summary['workers']} worker(s) · "
        f"peak RSS main {mem['main']} MiB, worker {mem['worker_max']} MiB"
    )
    db = summary.get("database") or {}
    console.print(f"database: {db.get('reports', 0)} reports in {Path(summary['out']) / outputs.DB_NAME}")
