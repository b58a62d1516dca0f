"""``nianbao batch`` and ``nianbao query``: click over ``run_batch`` and the database."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Optional

import click

from . import outputs
from ..config import Config, load_config
from ..errors import NianbaoError
from .errors import BatchError, _one_line
from .inputs import check_inputs
from .progress import print_summary
from .run import DEFAULT_TIMEOUT, BatchOptions, run_batch
from .work import DEFAULT_EXTRACT


class ByteSize(click.ParamType):
    """``100MB``, ``1.5G``, ``2048`` → bytes."""

    name = "size"
    _UNITS = {"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "M": 1 << 20, "MB": 1 << 20, "G": 1 << 30, "GB": 1 << 30}

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        s = str(value).strip().upper().replace("IB", "B")
        num = s.rstrip("KMGB")
        unit = s[len(num):]
        try:
            n = int(float(num) * self._UNITS[unit])
        except (ValueError, KeyError):
            self.fail(f"{value!r} is not a size like 100MB", param, ctx)
        if n <= 0:
            self.fail("must be positive", param, ctx)
        return n


def _config_from_ctx(ctx: click.Context, config_path: Optional[Path] = None, **overrides) -> Config:
    """The group's Config if the CLI put one in ctx.obj, else config file + env; flags win."""
    overrides = {k: v for k, v in overrides.items() if v not in (None, False)}
    base = ctx.find_object(Config)
    if base is not None:
        return base.model_copy(update=overrides)
    try:
        return load_config(config_path, **overrides)
    except Exception as e:  # a bad TOML file or value
        raise BatchError(f"bad configuration: {_one_line(e)}") from None


@click.command("batch")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", "-o", required=True, help="Output directory (results.jsonl, nianbao.duckdb); with --engine dask also an fsspec URL.")
@click.option("--workers", "-w", type=click.IntRange(min=0), default=None, help="Worker processes [default: number of cores; 0 = in this process].")
@click.option("--concurrency", type=click.IntRange(min=1), default=None, help="LLM requests in flight per worker.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TIMEOUT, show_default=True, help="Seconds per document before it is recorded as an error.")
@click.option("--max-bytes", type=ByteSize(), default="100MB", show_default=True, help="Larger documents are recorded as errors, unread.")
@click.option("--parquet", is_flag=True, help="Also export reports/cells/checks as parquet files.")
@click.option("--retry-errors", is_flag=True, help="Re-process documents recorded with status error.")
@click.option("--reprocess", is_flag=True, help="Extract every document again, even those done by this version.")
@click.option("--backend", type=click.Choice(["parser", "llm", "auto"]), default=None, help="Extraction backend.")
@click.option("--base-url", default=None, help="OpenAI-compatible endpoint for the LLM backend.")
@click.option("--model", default=None, help="Model name for the LLM backend.")
@click.option("--mode", type=click.Choice(["tools", "json_schema", "md_json"]), default=None, help="How the LLM returns structured output.")
@click.option("--max-retries", type=click.IntRange(min=0), default=None, help="LLM re-asks after a validation or check failure.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="LLM answer cache.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the LLM cache.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Config file (TOML).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local: a process pool here; dask: Dask distributed (docs/cluster.md).")
@click.option("--scheduler", default=None, metavar="ADDRESS", help="With --engine dask: join this scheduler (tcp://host:8786); without it a local cluster starts.")
@click.option("--chunk", "chunk_docs", type=click.IntRange(min=1), default=None, help="With --engine dask: documents per task [default: 64].")
@click.option("--db-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="With --engine dask and a remote --out: where the database goes [default: ./nianbao-merged].")
@click.option("--extract", "extract_ref", default=DEFAULT_EXTRACT, hidden=True, help="module:function used instead of extractor.pipeline:extract.")
@click.pass_context
def batch_command(ctx, inputs, out, workers, concurrency, timeout, max_bytes, parquet, retry_errors, reprocess, backend, base_url, model, mode, max_retries, cache_dir, no_cache, config_path, no_progress, engine, scheduler, chunk_docs, db_dir, extract_ref):
    """Extract every report in INPUT... (files, directories, globs, zip/tar, .jsonl manifests) into --out.

    Re-running the same command resumes: a document is skipped when the
    database holds a result for it made by this pipeline version (release +
    a hash of the extractor code and the prompts); anything done by other
    code is extracted again. --reprocess extracts everything again.
    """
    try:
        check_inputs(inputs)
        config = _config_from_ctx(
            ctx, config_path, backend=backend, base_url=base_url, model=model, concurrency=concurrency,
            mode=mode, max_retries=max_retries, cache_dir=cache_dir, no_cache=no_cache,
        )
        if engine == "dask":
            from .cluster import CHUNK_DOCS, run_engine

            unsupported = [flag for flag, on in (("--parquet", parquet), ("--retry-errors", retry_errors),
                                                 ("--timeout", timeout != DEFAULT_TIMEOUT)) if on]
            if unsupported:  # said, not silently ignored
                raise BatchError(f"{', '.join(unsupported)}: not on --engine dask (docs/cluster.md); "
                                 "export parquet with nianbao query, bound a document's time with the cluster's own limits")

            options = BatchOptions(out=out, workers=workers, max_bytes=max_bytes, reprocess=reprocess, progress=not no_progress)
            summary = run_engine(inputs, options, config, extract_ref, scheduler=scheduler, chunk_docs=chunk_docs or CHUNK_DOCS,
                                 progress=None if no_progress else _engine_progress(), db_dir=db_dir)
            _print_engine_summary(summary)
            return
        if "://" in out:
            raise BatchError("an fsspec URL as --out needs --engine dask")
        options = BatchOptions(out=Path(out), workers=workers, timeout=timeout, max_bytes=max_bytes, parquet=parquet, retry_errors=retry_errors,
                               reprocess=reprocess, progress=not no_progress)
        summary = run_batch(inputs, options, config, extract_ref)
    except NianbaoError as e:
        raise click.ClickException(str(e)) from None
    print_summary(summary)
    if summary["interrupted"]:
        ctx.exit(130)


def _engine_progress():
    """A progress line on stderr for the cluster engine: documents/s, ETA, counts by status."""
    state = {"t0": None, "last": 0.0, "shown_dashboard": False}

    def show(done: int, total: int, status, dashboard: Optional[str]) -> None:
        import time

        now = time.monotonic()
        if state["t0"] is None:
            state["t0"] = now
        if dashboard and not state["shown_dashboard"]:
            click.echo(f"Dask dashboard: {dashboard}", err=True)
            state["shown_dashboard"] = True
        if done < total and now - state["last"] < 1.0:
            return
        state["last"] = now
        rate = done / (now - state["t0"]) if now > state["t0"] else 0.0
        eta = f"{(total - done) / rate:.0f}s" if rate and done < total else "-"
        counts = " ".join(f"{k} {v}" for k, v in status.most_common())
        click.echo(f"\r{done}/{total} documents, {rate:.1f}/s, ETA {eta}  {counts}".ljust(100), err=True,
                   nl=done >= total)

    return show


def _print_engine_summary(summary: dict) -> None:
    d = summary["documents"]
    click.echo(f"{d['processed']} processed, {d['skipped_done']} already done, {d['killed_workers']} killed workers "
               f"in {summary['seconds']:.1f}s ({summary['docs_per_second']} docs/s) on {summary['scheduler']}")
    click.echo(" ".join(f"{k} {v}" for k, v in summary["by_status"].items()))
    _echo_merged(summary["merge"])


def _echo_merged(m: dict) -> None:
    click.echo(f"merged {m['parts']} parts: {m['reports']} reports in {m.get('database', '-')}")


@click.command("merge")
@click.argument("out")
@click.option("--db-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the database goes when OUT is a remote URL [default: ./nianbao-merged].")
def merge_command(out, db_dir):
    """Build nianbao.duckdb and results.jsonl from the parts a cluster run wrote under OUT/parts."""
    from .cluster import merge

    try:
        m = merge(out, db_dir)
    except NianbaoError as e:
        raise click.ClickException(str(e)) from None
    _echo_merged(m)


def _db_path(db: Path) -> Path:
    return db / outputs.DB_NAME if db.is_dir() else db


def _open_read_only(path: Path):
    """A batch's database (its --out directory or the file), read-only, or a one-line error."""
    if not path.exists():
        raise BatchError(f"no such database: {path}")
    return outputs.open_db(_db_path(path), read_only=True)


@click.command("query")
@click.argument("db")
@click.argument("sql")
@click.option("--csv", "fmt", flag_value="csv", help="Print CSV.")
@click.option("--json", "fmt", flag_value="json", help="Print JSON (one array of objects).")
@click.option("--max-rows", type=click.IntRange(min=1), default=200, show_default=True, help="Rows shown in the table view.")
def query_command(db, sql, fmt, max_rows):
    """Run SQL against a batch database and print the rows.

    DB is nianbao.duckdb, the --out directory holding it, or :memory: (to
    query parquet/jsonl files, e.g. read_json('out/results.jsonl')). SQL '-'
    reads it from stdin.
    """
    if sql == "-":
        sql = sys.stdin.read()
    try:
        if db == ":memory:":
            import duckdb

            con = duckdb.connect()
        else:
            con = _open_read_only(Path(db))
    except NianbaoError as e:
        raise click.ClickException(str(e)) from None
    try:
        _print_query(con, sql, fmt, max_rows)
    except NianbaoError:
        raise
    except Exception as e:  # duckdb.Error and its subclasses
        raise click.ClickException(f"query failed: {_one_line(e)}") from None
    finally:
        con.close()


def _print_query(con, sql: str, fmt: Optional[str], max_rows: int) -> None:
    cur = con.execute(sql)
    if cur.description is None:
        return
    cols = [d[0] for d in cur.description]
    if fmt == "csv":
        w = csv.writer(sys.stdout)
        w.writerow(cols)
        while batch := cur.fetchmany(1000):
            w.writerows(batch)
        return
    if fmt == "json":
        rows = [dict(zip(cols, r)) for r in cur.fetchall()]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    rows = cur.fetchmany(max_rows + 1)
    table = Table(*cols, show_edge=False)
    for r in rows[:max_rows]:
        table.add_row(*("" if v is None else str(v) for v in r))
    Console().print(table)
    if len(rows) > max_rows:
        Console(stderr=True).print(f"[yellow]more than {max_rows} rows: showing {max_rows} (use --max-rows, --csv or --json)[/yellow]")


@click.command("panel")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help="File to write (default: OUT/panel.csv or OUT/panel.parquet).")
@click.option("--level", type=click.Choice(["province", "prefecture", "county", "township"]), default=None)
@click.option("--province", default=None, help="Only this province, as the division list names it (江苏省).")
@click.option("--agency", default=None, help="Only this agency_id (or canonical name).")
@click.option("--verified-only", is_flag=True, help="Only rows whose report is verified or repaired.")
@click.option("--plot", "plot_field", default=None, metavar="FIELD",
              help="Draw FIELD over the years for --agency as an SVG chart instead of exporting.")
def panel_command(out, fmt, output, level, province, agency, verified_only, plot_field):
    """Export the panel of a batch: one row per agency and year, headline indicators.

    OUT is the batch's --out directory (or its nianbao.duckdb). Duplicate reports of one
    agency and year count once (see the duplicates view); every row carries its
    report's status. Columns: docs/agencies.md.
    """
    from . import panel

    path = Path(out)
    try:
        con = _open_read_only(path)
    except NianbaoError as e:
        raise click.ClickException(str(e)) from None
    try:
        for view in outputs.derived_views():
            con.execute(view.replace("CREATE OR REPLACE VIEW", "CREATE OR REPLACE TEMP VIEW"))
        if plot_field:
            if not agency:
                raise click.ClickException("--plot needs --agency ID (see: nianbao query OUT 'SELECT * FROM agencies')")
            if plot_field not in panel.PANEL_FIELDS:
                raise click.ClickException(f"no panel field {plot_field!r}; one of: {', '.join(panel.PANEL_FIELDS)}")
            sql, params = panel.panel_query(agency=agency)
            rows = con.execute(f"SELECT year, {plot_field}, status, agency_name FROM ({sql})", params).fetchall()
            if not rows:
                raise click.ClickException(f"no panel rows for agency {agency!r}")
            target = output or (path if path.is_dir() else path.parent) / f"plot-{agency.replace(':', '-')}-{plot_field}.svg"
            target.write_text(panel.plot_svg([(y, v, s) for y, v, s, _ in rows], rows[0][3] or agency, plot_field),
                              encoding="utf-8")
            click.echo(f"wrote {target} ({len(rows)} years)")
            return
        sql, params = panel.panel_query(level=level, province=province, agency=agency, verified_only=verified_only)
        target = output or (path if path.is_dir() else path.parent) / f"panel.{fmt}"
        n = panel.export(con, target, fmt, sql, params)
        click.echo(f"wrote {target}: {n} rows")
    except NianbaoError as e:
        raise click.ClickException(str(e)) from None
    except click.ClickException:
        raise
    except Exception as e:  # duckdb.Error and its subclasses
        hint = " (a database from before the agency columns: run the batch again)" if "agency" in str(e) else ""
        raise click.ClickException(f"panel failed: {_one_line(e)}{hint}") from None
    finally:
        con.close()
