"""``nianbao eval``: score the extractor on goldens or a synthetic corpus.

Defines ``eval_command`` (a click command) that extractor/cli.py registers;
``python -m eval`` runs the same command on its own.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

import click

from extractor.llm.cli import config_from_options, llm_options
from extractor.version import pipeline_version
from rich.console import Console

from .baseline import BASELINE_PATH, check_gate, read_baseline
from .baseline import write_baseline as record_baseline
from .compare import compare_summaries, load_summary, print_comparison
from .goldens import load_cases
from .harness import ExtractFn, run_eval, summarize
from .outputs import write_reports
from .terminal import print_summary


def evaluate_dir(
    goldens_dir: Path,
    config: Any,
    out_dir: Optional[Path],
    extract_fn: Optional[ExtractFn] = None,
    jobs: int = 1,
    limit: Optional[int] = None,
    console: Optional[Console] = None,
    label: Optional[str] = None,
) -> dict:
    """Load goldens, run, summarise, print, and write the reports; returns the summary."""
    console = console or Console()
    cases = load_cases(goldens_dir, limit=limit)
    if not cases:
        console.print(f"[yellow]no goldens (*.json) in {goldens_dir}[/]")
    done = [0]

    def progress(_run) -> None:
        done[0] += 1
        if console.is_terminal and (done[0] % 25 == 0 or done[0] == len(cases)):
            console.print(f"  {done[0]}/{len(cases)} documents", end="\r")

    runs = run_eval(cases, extract_fn=extract_fn, config=config, jobs=jobs, progress=progress)
    info = {
        "backend": getattr(config, "effective_backend", None) if config is not None else None,
        "model": getattr(config, "model", None) if config is not None else None,
        "goldens": label or str(goldens_dir),
        "jobs": jobs,
    }
    info["pipeline_version"] = pipeline_version()
    summary = summarize(runs, info)
    print_summary(summary, console)
    if out_dir is not None:
        golden_tables = {r.case.id: r.case.golden.get("tables") or {} for r in runs if not r.case.error}
        paths = write_reports(summary, out_dir, golden_tables)
        console.print(f"wrote {paths['summary']}, {paths['markdown'].name}, {paths['html'].name}")
    return summary


@click.command("eval")
@click.argument("goldens_dir", required=False, default="goldens", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("eval-out"), show_default=True, help="Where summary.json, report.md and report.html go.")
@click.option("--jobs", type=int, default=1, show_default=True, help="Documents extracted at once (threads; useful for LLM backends).")
@click.option("--limit", type=int, default=None, help="Score only the first N goldens.")
@click.option("--compare", nargs=2, type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None, metavar="OLD.json NEW.json", help="Compare two summary.json files cell by cell and exit.")
@click.option("--write-baseline", is_flag=True, help=f"Record this run's figures in {BASELINE_PATH.name} (the regression gate).")
@click.option("--check-baseline", is_flag=True, help="Exit 1 when accuracy is below or silent errors above the baseline.")
@click.option("--synthetic", type=int, default=None, metavar="N", help="Generate N synthetic reports into a temp dir and score them.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the synthetic corpus.")
@click.option("--formats", default=None, help="Synthetic source formats, comma-separated (txt,md,html,docx,pdf,scan).")
@click.option("--scan-damage", default=None, metavar="NAMES|all|none", help="Damage of 'scan' documents: 'all' (each at its probability, the default), 'none', or names forced on (see eval/VARIATIONS.md, Scans).")
@click.option("--variations", default=None, metavar="NAMES|all", help="Synthetic variations: 'all' (each at its probability) or names, comma-separated, forced on (see eval/VARIATIONS.md).")
@click.option("--keep-corpus", type=click.Path(path_type=Path), default=None, help="Generate the synthetic corpus here instead of a temp dir.")
@llm_options
def eval_command(
    goldens_dir: Path,
    out_dir: Path,
    jobs: int,
    limit: Optional[int],
    compare: Optional[tuple[Path, Path]],
    write_baseline: bool,
    check_baseline: bool,
    synthetic: Optional[int],
    seed: int,
    formats: Optional[str],
    keep_corpus: Optional[Path],
    variations: Optional[str] = None,
    scan_damage: Optional[str] = None,
    config_path: Optional[Path] = None,
    **llm_flags,
) -> None:
    """Score extraction against GOLDENS_DIR (default: goldens) and write reports."""
    console = Console(width=None if sys.stdout.isatty() else 132)
    if compare:
        old, new = compare
        cmp = compare_summaries(load_summary(old), load_summary(new))
        print_comparison(cmp, console)
        if out_dir:
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / "compare.json").write_text(json.dumps(cmp, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        return

    config = config_from_options(config_path, **llm_flags)
    if synthetic is not None:
        from .synthetic import generate_corpus

        fmts = [f.strip() for f in formats.split(",") if f.strip()] if formats else None
        with tempfile.TemporaryDirectory(prefix="nianbao-synth-") as tmp:
            corpus = Path(keep_corpus) if keep_corpus else Path(tmp)
            try:
                paths = generate_corpus(synthetic, seed, corpus, formats=fmts, variations=variations, scan=scan_damage)
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint="--variations/--formats/--scan-damage")
            var_note = (f" variations={variations}" if variations else "") + (f" scan-damage={scan_damage}" if scan_damage else "")
            console.print(f"generated {len(paths)} synthetic reports (seed {seed}{var_note}) in {corpus}")
            evaluate_dir(corpus, config, out_dir, jobs=jobs, limit=limit, console=console, label=f"synthetic n={synthetic} seed={seed}{var_note}")
        return

    if not goldens_dir.is_dir():
        raise click.BadParameter(f"{goldens_dir} is not a directory", param_hint="GOLDENS_DIR")
    summary = evaluate_dir(goldens_dir, config, out_dir, jobs=jobs, limit=limit, console=console)
    if write_baseline:
        data = record_baseline(summary)
        console.print(f"baseline written to {BASELINE_PATH}: accuracy {data['cell_accuracy']}, silent errors {data['silent_errors']}")
    if check_baseline:
        base = read_baseline()
        if base is None:
            console.print(f"[yellow]no baseline at {BASELINE_PATH}[/]")
            return
        failures = check_gate(summary, base)
        for f in failures:
            console.print(f"[red]gate: {f}[/]")
        if failures:
            sys.exit(1)
        console.print("[green]gate: no regression against the baseline[/]")
