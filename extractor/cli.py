"""The ``nianbao`` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__
from .llm.cli import config_from_options, llm_options
from .models import Golden, Result, Status


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nianbao")
def main():
    """nianbao: verified tables from 政府信息公开工作年度报告."""


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--pretty", is_flag=True, help="Indented JSON instead of one line per result.")
@click.option("--full/--tables-only", default=True, help="Include provenance, checks and usage (default) or only the golden fields.")
@llm_options
def extract(files, pretty, full, config_path, **kw):
    """Extract each FILE and print one JSON result per input.

    A one-line reason goes to stderr for each unusable input; the exit code
    is 1 only when some input was unusable.
    """
    from .pipeline import extract_path

    from .llm.health import EndpointHealth

    _show_progress()
    config = config_from_options(config_path, **kw)
    health = EndpointHealth()  # one per command: a dead endpoint is tried once, not once per file
    bad = 0
    usages = []
    for path in files:
        result = extract_path(path, config, health)
        usages.append(result.llm)
        if result.status in (Status.error,):
            bad += 1
            click.echo(f"nianbao: {path}: {result.reason}", err=True)
        elif result.status == Status.not_a_report:
            click.echo(f"nianbao: {path}: not a report: {result.reason}", err=True)
        elif result.unverified_sections:
            click.echo(f"nianbao: {path}: {result.status.value}; not verified: {', '.join(result.unverified_sections)}"
                       + (f" ({result.reason})" if result.reason else ""), err=True)
        for err in result.llm.errors[:1]:
            click.echo(f"nianbao: {path}: {err}; kept the parser's result", err=True)
        data = result.model_dump(mode="json") if full else _golden_fields(result)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2 if pretty else None))
    if config.effective_backend != "parser":
        from .llm.usage import format_usage, run_usage

        click.echo(f"nianbao: {format_usage(run_usage(usages), reports=len(files))}", err=True)
    sys.exit(1 if bad else 0)


def _show_progress() -> None:
    """Per-page OCR progress on stderr: a long scanned report is not a silent minute."""
    import logging

    class ToStderr(logging.Handler):  # the stderr of the moment, not the one at start
        def emit(self, record: logging.LogRecord) -> None:
            click.echo(record.getMessage(), err=True)

    log = logging.getLogger("nianbao.progress")
    if not log.handlers:
        log.addHandler(ToStderr())
        log.setLevel(logging.INFO)
        log.propagate = False


def _golden_fields(result: Result) -> dict:
    d = result.model_dump(mode="json")
    return {k: d[k] for k in ("id", "source", "agency", "year", "template", "tables", "status")}


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def check(files):
    """Re-run the checks on result or golden JSON files (and validate goldens)."""
    from .golden import validate_golden
    from .repair import assess

    failed = False
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        problems = []
        if "notes" in data and "status" not in data:
            problems = validate_golden(data)
            golden = Golden(**data)
            result = Result(id=golden.id, source=golden.source, agency=golden.agency, year=golden.year,
                            template=golden.template, tables=golden.tables)
            from .repair import cells_from_tables
            result.cells = cells_from_tables(golden.tables)
        else:
            result = Result(**data)
        result = assess(result)
        for p in problems:
            click.echo(f"{path}: INVALID: {p}")
            failed = True
        for c in result.checks:
            if c.status.value != "pass":
                extra = f" imbalance {c.imbalance}" if c.imbalance is not None else f" missing {', '.join(c.missing)}"
                click.echo(f"{path}: {c.status.value:9} {c.rule}{extra}" + (" (warning)" if c.warning else ""))
        n_pass = sum(1 for c in result.checks if c.status.value == "pass")
        click.echo(f"{path}: {result.status.value}; {n_pass}/{len(result.checks)} checks pass")
    sys.exit(1 if failed else 0)


def _register_subsystems():
    """Commands that live beside their subsystem (eval, batch, LLM config)."""
    from eval.cli import eval_command

    from .batch import batch_command, merge_command, panel_command, query_command
    from .llm.cli import cache_command, config_command

    main.add_command(eval_command, "eval")
    main.add_command(batch_command, "batch")
    main.add_command(query_command, "query")
    main.add_command(panel_command, "panel")
    main.add_command(merge_command, "merge")
    main.add_command(config_command, "config")
    main.add_command(cache_command, "cache")


_register_subsystems()

if __name__ == "__main__":  # pragma: no cover
    main()
