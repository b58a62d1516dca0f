"""Where batch results go: ``results.jsonl``, DuckDB ``nianbao.duckdb``, parquet.

The DuckDB file is the source of truth for "done". Each finished document is
appended to ``results.jsonl`` at once; a *commit group* of finished documents
is then written to DuckDB in one transaction (jsonl fsync'ed first). A
document's rows are never split across transactions, so a crash or SIGKILL
leaves either all of a document or none of it. Every report row records where
its line ends in ``results.jsonl`` (``results_end``); on resume the log is cut
back to the largest committed end, which drops a torn last line and any line
whose rows never reached the database. A re-processed document's new line
supersedes its old one; at the end of a run the log is compacted so that it
holds each document once (``compact_log``, crash-safe).

Rows are built as Arrow columns and inserted with one statement per table per
group: DuckDB's ``executemany`` runs ~8 documents/s here, per-document Arrow
inserts ~230/s, grouped ones several thousand/s.
"""

from __future__ import annotations

import functools
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional

from ..errors import NianbaoError
from ..models import Result

DB_NAME = "nianbao.duckdb"
RESULTS_NAME = "results.jsonl"
SUMMARY_NAME = "summary.json"
TABLES = ("reports", "cells", "checks")
YOY_RULE = "year_over_year.carry"
CARRIED_FORWARD = "applications.carried_forward.total"
CARRIED_OVER = "applications.carried_over.total"
DB_SCHEMA_VERSION = "1"
SUPERSEDED_KEY = "log_superseded"  # meta: results.jsonl lines replaced by a newer line
COMPACTION_KEY = "log_compaction"  # meta: a compaction committed, its rename maybe not done
COMPACT_SUFFIX = ".compact"


class OutputError(NianbaoError):
    """The output directory or database cannot be used."""


# --- schema -------------------------------------------------------------------
# Column types as names, so workers (which only build Rows) import neither
# pyarrow nor duckdb; both schemas are derived from these lists.

REPORT_COLUMNS = (
    ("id", "str"),
    ("content_hash", "str"),
    ("source", "str"),
    ("agency", "str"),  # as printed
    ("agency_id", "str"),  # the canonical agency (extractor/agency.py): stable across years and spellings
    ("agency_name", "str"),
    ("agency_division_code", "str"),
    ("agency_level", "str"),
    ("agency_kind", "str"),
    ("agency_parent_id", "str"),
    ("agency_province", "str"),
    ("agency_prefecture", "str"),
    ("agency_county", "str"),
    ("agency_method", "str"),  # override | exact | alias | parent_added | fuzzy | unmatched
    ("agency_score", "float"),
    ("agency_candidates", "strs"),  # unmatched: the agency ids it could be (agency_links settles one)
    ("year", "int32"),
    ("template", "str"),
    ("status", "str"),
    ("reason", "str"),
    ("n_cells", "int32"),
    ("checks_failed", "int32"),
    ("checks_uncertain", "int32"),
    ("warnings", "strs"),
    ("unverified_sections", "strs"),
    ("ingester", "str"),
    ("pages", "int32"),
    ("ocr_confidence", "float"),
    ("bytes", "int64"),
    ("seconds", "float"),
    ("timings", "json"),
    ("llm_calls", "int32"),
    ("llm_prompt_tokens", "int64"),
    ("llm_completion_tokens", "int64"),
    ("llm_cache_hits", "int32"),
    ("llm_cost_usd", "float"),
    ("pipeline_version", "str"),
    ("schema_version", "str"),
    ("processed_at", "timestamp"),  # UTC
    ("results_end", "int64"),  # byte offset just past this report's line in results.jsonl
)

CELL_COLUMNS = (
    ("report_id", "str"),
    ("key", "str"),  # table.row.column
    ("table_key", "str"),
    ("row_key", "str"),
    ("column_key", "str"),
    ("value", "float"),
    ("raw", "str"),
    ("method", "str"),
    ("repaired", "str"),
    ("inferred_value", "float"),
    ("inferred_rule", "str"),
    ("flags", "strs"),
    ("n_candidates", "int32"),
    ("line", "int32"),
    ("span_start", "int32"),
    ("span_end", "int32"),
)

CHECK_COLUMNS = (
    ("report_id", "str"),
    ("rule", "str"),
    ("status", "str"),
    ("expected", "float"),
    ("actual", "float"),
    ("imbalance", "float"),
    ("warning", "bool"),
    ("cells", "strs"),
    ("missing", "strs"),
    ("message", "str"),
    ("related_report_id", "str"),  # year_over_year.carry: the previous year's report
)

# AgencyMatch fields stored on a report, as agency_<field> (agency_id as it is)
AGENCY_FIELDS = ("agency_id", "name", "division_code", "level", "kind", "parent_id", "province", "prefecture",
                 "county", "method", "score")
COLUMNS = {"reports": REPORT_COLUMNS, "cells": CELL_COLUMNS, "checks": CHECK_COLUMNS}

_SQL_TYPES = {
    "str": "VARCHAR",
    "int32": "INTEGER",
    "int64": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "strs": "VARCHAR[]",
    "json": "JSON",
}


def _ddl(name: str) -> str:
    cols = ", ".join(f"{c} {_SQL_TYPES[t]}" for c, t in COLUMNS[name])
    return f"CREATE TABLE IF NOT EXISTS {name} ({cols})"


@functools.cache
def arrow_schema(name: str):
    import pyarrow as pa

    types = {
        "str": pa.string(),
        "int32": pa.int32(),
        "int64": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "timestamp": pa.timestamp("us"),
        "strs": pa.list_(pa.string()),
        "json": pa.string(),
    }
    return pa.schema([(c, types[t]) for c, t in COLUMNS[name]])


STATUS_RANK = "CASE status WHEN 'verified' THEN 0 WHEN 'repaired' THEN 1 WHEN 'source_inconsistent' THEN 2 " \
              "WHEN 'needs_review' THEN 3 ELSE 4 END"
# One report per agency and year: two crawls or two formats of one report are one row of a time
# series. The kept one: the most trustworthy status, then the most cells read, then a text source
# before an OCR'd one, then the smaller id. The others stay, linked to it (``duplicates``).
# A report whose name matched no division for sure (OCR damage with several divisions one character
# away) is linked when exactly one of its candidates is an agency other reports of the batch are
# linked to: method ``batch_candidate``. Nothing is written over: this is a view.
LINKS_VIEW = """
CREATE OR REPLACE VIEW agency_links AS
WITH known AS (SELECT DISTINCT agency_id FROM reports WHERE agency_id IS NOT NULL),
cand AS (SELECT id, unnest(agency_candidates) AS cid FROM reports WHERE agency_id IS NULL),
hits AS (SELECT c.id, list(DISTINCT c.cid) AS ids FROM cand c JOIN known k ON k.agency_id = c.cid GROUP BY c.id)
SELECT r.id AS report_id,
       coalesce(r.agency_id, CASE WHEN len(h.ids) = 1 THEN h.ids[1] END) AS agency_id,
       CASE WHEN r.agency_id IS NOT NULL THEN r.agency_method
            WHEN len(h.ids) = 1 THEN 'batch_candidate' ELSE 'unmatched' END AS method
FROM reports r LEFT JOIN hits h ON h.id = r.id
"""

CHOICE_VIEW = f"""
CREATE OR REPLACE VIEW report_choice AS
WITH keyed AS (
    SELECT r.id, r.year, r.status, r.n_cells, r.ocr_confidence,
           coalesce(l.agency_id, 'printed:' || r.agency) AS agency_key
    FROM reports r JOIN agency_links l ON l.report_id = r.id
    WHERE r.status NOT IN ('error', 'not_a_report') AND r.year IS NOT NULL
      AND (l.agency_id IS NOT NULL OR r.agency IS NOT NULL)
)
SELECT id AS report_id, agency_key, year,
       row_number() OVER w AS rank,
       first_value(id) OVER w AS kept_report_id
FROM keyed
WINDOW w AS (PARTITION BY agency_key, year
             ORDER BY {STATUS_RANK}, n_cells DESC, ocr_confidence IS NOT NULL, id
             ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
"""

DUPLICATES_VIEW = """
CREATE OR REPLACE VIEW duplicates AS
SELECT d.report_id, d.kept_report_id, d.agency_key, d.year, r.status, k.status AS kept_status
FROM report_choice d
JOIN reports r ON r.id = d.report_id
JOIN reports k ON k.id = d.kept_report_id
WHERE d.rank > 1
"""

AGENCIES_VIEW = """
CREATE OR REPLACE VIEW agencies AS
SELECT agency_id AS id,
       any_value(agency_name) AS name,
       any_value(agency_division_code) AS division_code,
       any_value(agency_level) AS level,
       any_value(agency_kind) AS kind,
       any_value(agency_parent_id) AS parent_id,
       any_value(agency_province) AS province,
       any_value(agency_prefecture) AS prefecture,
       any_value(agency_county) AS county,
       count(*) AS reports,
       min(year) AS first_year,
       max(year) AS last_year,
       list(DISTINCT agency ORDER BY agency) AS printed_names
FROM reports
WHERE agency_id IS NOT NULL
GROUP BY agency_id
"""

YOY_VIEW = f"""
CREATE OR REPLACE VIEW year_over_year AS
WITH carry AS (
    SELECT r.id, ch.agency_key, r.agency, r.year,
           max(c.value) FILTER (WHERE c.key = '{CARRIED_FORWARD}') AS carried_forward,
           max(c.value) FILTER (WHERE c.key = '{CARRIED_OVER}') AS carried_over
    FROM reports r
    JOIN report_choice ch ON ch.report_id = r.id AND ch.rank = 1
    LEFT JOIN cells c
      ON c.report_id = r.id AND c.key IN ('{CARRIED_FORWARD}', '{CARRIED_OVER}')
    WHERE r.template IN ('2019', '2021')
    GROUP BY r.id, ch.agency_key, r.agency, r.year
)
SELECT cur.id AS report_id,
       prev.id AS previous_report_id,
       cur.agency_key,
       cur.agency,
       prev.agency AS previous_agency,
       prev.year AS previous_year,
       cur.year,
       prev.carried_forward AS expected,
       cur.carried_over AS actual,
       cur.carried_over - prev.carried_forward AS imbalance,
       CASE WHEN prev.carried_forward IS NULL OR cur.carried_over IS NULL THEN 'uncertain'
            WHEN prev.carried_forward = cur.carried_over THEN 'pass'
            ELSE 'fail' END AS status
FROM carry cur
JOIN carry prev ON prev.agency_key = cur.agency_key AND prev.year = cur.year - 1
"""


def derived_views() -> tuple[str, ...]:
    """The views over reports, cells and checks, in the order they build on one another."""
    from .panel import PANEL_VIEW

    return (LINKS_VIEW, CHOICE_VIEW, DUPLICATES_VIEW, AGENCIES_VIEW, YOY_VIEW, PANEL_VIEW)


# --- rows ---------------------------------------------------------------------


def _num(v: Any) -> Optional[float]:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _int(v: Any) -> Optional[int]:
    return None if v is None else int(v)


@dataclass
class DocRows:
    """One document's rows, as the worker sends them to the main process.

    The report row is a small dict (the writer still fills ``processed_at``
    and ``results_end``); cells and checks travel as Arrow IPC bytes, which
    unpickle in microseconds where ~200 row tuples took milliseconds of the
    main process's time.
    """

    report: dict[str, Any]
    cells: Optional[bytes] = None
    checks: Optional[bytes] = None

    @property
    def id(self) -> str:
        return self.report["id"]


def doc_rows(result: Result, *, n_bytes: Optional[int] = None, seconds: Optional[float] = None) -> DocRows:
    """A result's report row, cell rows and check rows.

    ``seconds`` is the wall time the batch measured around ``extract``.
    """
    rid = result.id
    ing, llm = result.ingest, result.llm
    checks = result.checks
    am = result.agency_match
    values = _flat_values(result)
    report = {
        "id": rid,
        "content_hash": result.content_hash,
        "source": result.source,
        "agency": result.agency,
        **{k if k == "agency_id" else f"agency_{k}": getattr(am, k) for k in AGENCY_FIELDS},
        "agency_candidates": list(am.candidate_ids),
        "year": result.year,
        "template": result.template,
        "status": _enum(result.status),
        "reason": result.reason,
        "n_cells": len(values),
        "checks_failed": sum(1 for c in checks if _enum(c.status) == "fail" and not c.warning),
        "checks_uncertain": sum(1 for c in checks if _enum(c.status) == "uncertain"),
        "warnings": list(result.warnings),
        "unverified_sections": list(result.unverified_sections),
        "ingester": ing.ingester,
        "pages": ing.pages,
        "ocr_confidence": ing.ocr_confidence,
        "bytes": n_bytes,
        "seconds": seconds,
        "timings": json.dumps(result.timings, ensure_ascii=False) if result.timings else None,
        "llm_calls": llm.calls,
        "llm_prompt_tokens": llm.prompt_tokens,
        "llm_completion_tokens": llm.completion_tokens,
        "llm_cache_hits": llm.cache_hits,
        "llm_cost_usd": llm.cost_usd,
        "pipeline_version": result.pipeline_version,
        "schema_version": result.schema_version,
        "processed_at": None,  # set by the writer
        "results_end": None,  # set by the writer
    }

    # rows as tuples in CELL_COLUMNS / CHECK_COLUMNS order, then transposed: far
    # cheaper than one append per column per cell (this runs once per document)
    cell_rows = []
    get = result.cells.get
    for key, value in values.items():
        t, r, col = (key.split(".", 2) + [None, None])[:3]
        cell = get(key)
        if cell is None:
            cell_rows.append((rid, key, t, r, col, _num(value), _text_if_not_number(value),
                              None, None, None, None, [], 0, None, None, None))
            continue
        inf, span = cell.inferred, cell.span
        cell_rows.append((
            rid, key, t, r, col, _num(value),
            cell.raw if cell.raw is not None else _text_if_not_number(value),
            cell.method, cell.repaired,
            _num(inf.value) if inf else None, inf.rule if inf else None,
            list(cell.flags), len(cell.candidates), _int(cell.line),
            _int(span[0]) if span else None, _int(span[1]) if span else None,
        ))
    check_rows = [
        (rid, chk.rule, _enum(chk.status), _num(chk.expected), _num(chk.actual), _num(chk.imbalance),
         bool(chk.warning), list(chk.cells), list(chk.missing), chk.message, None)
        for chk in checks
    ]
    c = _columns(CELL_COLUMNS, cell_rows)
    k = _columns(CHECK_COLUMNS, check_rows)

    return DocRows(report, _ipc("cells", c), _ipc("checks", k))


def _columns(spec, rows: list[tuple]) -> dict[str, list]:
    names = [name for name, _ in spec]
    if not rows:
        return {name: [] for name in names}
    return {name: list(col) for name, col in zip(names, zip(*rows))}


def _ipc(name: str, columns: dict[str, list]) -> Optional[bytes]:
    if not columns["report_id"]:
        return None
    import pyarrow as pa

    table = pa.table(columns, schema=arrow_schema(name))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


class Group:
    """Finished documents waiting for their commit: one transaction for all."""

    def __init__(self) -> None:
        self.reports: list[dict[str, Any]] = []
        self.cells: list[bytes] = []
        self.checks: list[bytes] = []

    def __len__(self) -> int:
        return len(self.reports)

    @property
    def ids(self) -> list[str]:
        return [r["id"] for r in self.reports]

    def add(self, rows: DocRows) -> None:
        self.reports.append(rows.report)
        if rows.cells:
            self.cells.append(rows.cells)
        if rows.checks:
            self.checks.append(rows.checks)

    def arrow(self, name: str):
        import pyarrow as pa

        schema = arrow_schema(name)
        if name == "reports":
            return pa.Table.from_pylist(self.reports, schema=schema)
        blobs = getattr(self, name)
        if not blobs:
            return schema.empty_table()
        return pa.concat_tables([pa.ipc.open_stream(b).read_all() for b in blobs])


def _enum(v: Any) -> Any:
    return getattr(v, "value", v)


def _text_if_not_number(v: Any) -> Optional[str]:
    """A non-numeric value (e.g. a ``legacy.extra`` note) is kept as text in ``raw``."""
    return None if v is None or _num(v) is not None else str(v)


def _flat_values(result: Result) -> dict[str, Any]:
    """Every cell value: ``tables`` (what scoring reads) first, then cells-only keys.

    ``legacy.extra`` rows are kept too (flatten() skips them for scoring).
    """
    flat: dict[str, Any] = {}
    for t, rows in (result.tables or {}).items():
        for r, cols in (rows or {}).items():
            if not isinstance(cols, dict):
                continue
            for col, v in cols.items():
                flat[f"{t}.{r}.{col}"] = v
    for key, cell in result.cells.items():
        flat.setdefault(key, cell.value)
    return flat


# --- results.jsonl --------------------------------------------------------------


class ResultsLog:
    """Append-only ``results.jsonl``: one line per document, fsync'ed before commit."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fh = None
        self._dirty = False

    def repair(self, committed_end: Optional[int]) -> str | None:
        """Cut the log back to what the database has committed; say what was done.

        ``committed_end`` is the largest ``results_end`` in the DB (None when
        the DB holds no report). With an empty DB and a non-empty log, the log
        is moved aside rather than truncated: it may be all someone has.
        """
        if not self.path.exists():
            return None
        size = self.path.stat().st_size
        if committed_end is None:
            if size == 0:
                return None
            aside = self.path.with_name(f"{self.path.name}.orphaned-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(self.path, aside)
            return f"{self.path.name} had results but the database none: moved it to {aside.name}"
        if size > committed_end:
            with open(self.path, "r+b") as fh:
                fh.truncate(committed_end)
                fh.flush()
                os.fsync(fh.fileno())
            return f"dropped {size - committed_end} uncommitted byte(s) at the end of {self.path.name}"
        if size < committed_end:
            return f"{self.path.name} is shorter than the database says ({size} < {committed_end} bytes): some results are only in the database"
        return None

    def open(self) -> "ResultsLog":
        self._fh = open(self.path, "ab")
        return self

    def append(self, line: bytes) -> int:
        """Write one result line; returns the offset just past it."""
        assert self._fh is not None, "ResultsLog not open"
        if not line.endswith(b"\n"):
            line += b"\n"
        self._fh.write(line)
        self._fh.flush()
        self._dirty = True
        return self._fh.tell()

    def sync(self) -> None:
        if self._fh is not None and self._dirty:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._dirty = False

    def close(self) -> None:
        if self._fh is not None:
            self.sync()
            self._fh.close()
            self._fh = None


# --- DuckDB -------------------------------------------------------------------


def open_db(path: Path, read_only: bool = False):
    """Open a DuckDB file with a one-line error when it is locked or unreadable."""
    import duckdb

    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as e:
        msg = str(e).splitlines()[0].split(". See also")[0]
        if "lock" in msg.lower():
            raise OutputError(
                f"{path} is in use by another process (a running batch?); meanwhile results.jsonl can be read with "
                f"read_json() from a ':memory:' query: {msg}"
            ) from None
        raise OutputError(f"cannot open {path}: {msg}") from None
    except duckdb.Error as e:
        raise OutputError(f"cannot open {path}: {str(e).splitlines()[0]}") from None


class Store:
    """The batch database: schema, done-set, grouped writes, cross-report checks."""

    def __init__(self, path: Path, threads: Optional[int] = 1):
        """``threads=1``: the inserts are small, and DuckDB's extra threads only
        fight the workers for cores (measured: half the CPU per document)."""
        self.path = Path(path)
        self.con = open_db(self.path)
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self._ensure_schema()

    def _ensure_schema(self) -> None:
        con = self.con
        con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR)")
        row = con.execute("SELECT value FROM meta WHERE key = 'db_schema_version'").fetchone()
        if row and row[0] != DB_SCHEMA_VERSION:
            raise OutputError(f"{self.path} has schema version {row[0]}, this nianbao writes {DB_SCHEMA_VERSION}: use a new --out")
        for name in COLUMNS:
            con.execute(_ddl(name))
            have = {r[0] for r in con.execute(f"SELECT column_name FROM information_schema.columns WHERE table_name = '{name}'").fetchall()}
            for col, typ in COLUMNS[name]:
                if col not in have:  # a database from an earlier release: the new columns, empty
                    con.execute(f"ALTER TABLE {name} ADD COLUMN {col} {_SQL_TYPES[typ]}")
        for view in derived_views():
            con.execute(view)
        if not row:
            con.execute("INSERT INTO meta VALUES ('db_schema_version', ?)", [DB_SCHEMA_VERSION])

    def done_ids(self, pipeline_version: str, retry_errors: bool = False) -> set[str]:
        """Ids that need no work: same pipeline version (and not an error, if retrying)."""
        sql = "SELECT id FROM reports WHERE pipeline_version = ?"
        if retry_errors:
            sql += " AND status <> 'error'"
        return {r[0] for r in self.con.execute(sql, [pipeline_version]).fetchall()}

    def all_ids(self) -> set[str]:
        return {r[0] for r in self.con.execute("SELECT id FROM reports").fetchall()}

    def committed_end(self) -> Optional[int]:
        """Largest results.jsonl offset committed; None if no report at all."""
        n, end = self.con.execute("SELECT count(*), max(results_end) FROM reports").fetchone()
        return None if not n else int(end or 0)

    def write(self, rows: Group, replace: Iterable[str] = ()) -> None:
        """Insert a commit group in one transaction (old rows of ``replace`` ids go first)."""
        if not len(rows):
            return
        con = self.con
        replace = list(replace)
        con.execute("BEGIN TRANSACTION")
        try:
            if replace:
                import pyarrow as pa

                con.register("_nb_replace", pa.table({"id": pa.array(replace, pa.string())}))
                # their old lines stay in results.jsonl until compact_log: count them
                (old,) = con.execute("SELECT count(*) FROM reports WHERE id IN (SELECT id FROM _nb_replace)").fetchone()
                if old:
                    _add_meta_int(con, SUPERSEDED_KEY, old)
                for name, col in (("cells", "report_id"), ("checks", "report_id"), ("reports", "id")):
                    con.execute(f"DELETE FROM {name} WHERE {col} IN (SELECT id FROM _nb_replace)")
                con.unregister("_nb_replace")
            for name in TABLES:
                tbl = rows.arrow(name)
                if tbl.num_rows:
                    con.register("_nb_rows", tbl)
                    con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _nb_rows")
                    con.unregister("_nb_rows")
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)
            raise

    def superseded(self) -> int:
        """Lines of ``results.jsonl`` that a newer line of the same document replaced."""
        return _meta_int(self.con, SUPERSEDED_KEY)

    def compact_log(self, log_path: Path) -> Optional[str]:
        """Rewrite ``results.jsonl`` with only the lines the database points at.

        Crash-safe in four steps: (1) the kept lines go to ``results.jsonl.compact``
        (fsync'ed); (2) one transaction stores their new offsets and a
        ``log_compaction`` mark; (3) the file is renamed over the log; (4) the
        mark is removed. ``recover_compaction`` (run when the store opens) ends
        what a crash interrupted: with the mark, the rename is (re)done; without
        it, the half-written file is deleted and the old log stays valid.
        """
        import pyarrow as pa

        log_path = Path(log_path)
        if not log_path.exists():
            return None
        rows = self.con.execute("SELECT id, results_end FROM reports WHERE results_end IS NOT NULL").fetchall()
        owner = {end: rid for rid, end in rows}
        tmp = log_path.with_name(log_path.name + COMPACT_SUFFIX)
        ids: list[str] = []
        ends: list[int] = []
        dropped = 0
        with open(log_path, "rb") as src, open(tmp, "wb") as dst:
            pos = 0
            for line in src:
                pos += len(line)
                rid = owner.get(pos)
                if rid is None or not line.endswith(b"\n"):
                    dropped += 1
                    continue
                dst.write(line)
                ids.append(rid)
                ends.append(dst.tell())
            dst.flush()
            os.fsync(dst.fileno())
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            con.register("_nb_ends", pa.table({"id": pa.array(ids, pa.string()), "results_end": pa.array(ends, pa.int64())}))
            con.execute("UPDATE reports SET results_end = e.results_end FROM _nb_ends e WHERE reports.id = e.id")
            con.unregister("_nb_ends")
            con.execute("DELETE FROM meta WHERE key IN (?, ?)", [SUPERSEDED_KEY, COMPACTION_KEY])
            con.execute("INSERT INTO meta VALUES (?, '1')", [COMPACTION_KEY])
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)
            raise
        os.replace(tmp, log_path)
        _fsync_dir(log_path.parent)
        con.execute("DELETE FROM meta WHERE key = ?", [COMPACTION_KEY])
        return f"compacted {log_path.name}: dropped {dropped} superseded line(s)" if dropped else None

    def recover_compaction(self, log_path: Path) -> Optional[str]:
        """Finish or undo a ``compact_log`` that a crash interrupted (see there)."""
        log_path = Path(log_path)
        tmp = log_path.with_name(log_path.name + COMPACT_SUFFIX)
        if _meta_int(self.con, COMPACTION_KEY):
            if tmp.exists():
                os.replace(tmp, log_path)
                _fsync_dir(log_path.parent)
            self.con.execute("DELETE FROM meta WHERE key = ?", [COMPACTION_KEY])
            return f"finished compacting {log_path.name} (interrupted last time)"
        if tmp.exists():
            tmp.unlink()
        return None

    def refresh_year_over_year(self) -> dict[str, int]:
        """Materialise the ``year_over_year`` view as ``year_over_year.carry`` checks.

        Stored on the later year's report, with the earlier report in
        ``related_report_id``; recomputed in full (one transaction) each time.
        """
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("DELETE FROM checks WHERE rule = ?", [YOY_RULE])
            con.execute(
                f"""
                INSERT INTO checks BY NAME
                SELECT report_id, '{YOY_RULE}' AS rule, status, expected, actual, imbalance,
                       false AS warning,
                       ['{CARRIED_OVER}'] AS cells,
                       CASE WHEN expected IS NULL AND actual IS NULL THEN ['previous:{CARRIED_FORWARD}', '{CARRIED_OVER}']
                            WHEN expected IS NULL THEN ['previous:{CARRIED_FORWARD}']
                            WHEN actual IS NULL THEN ['{CARRIED_OVER}']
                            ELSE []::VARCHAR[] END AS missing,
                       format('{{}} report {{}}: carried_forward.total = {{}}; {{}}: carried_over.total = {{}}',
                              previous_year, previous_report_id, expected, year, actual) AS message,
                       previous_report_id AS related_report_id
                FROM year_over_year
                """
            )
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)
            raise
        rows = con.execute("SELECT status, count(*) FROM checks WHERE rule = ? GROUP BY status", [YOY_RULE]).fetchall()
        return {s: n for s, n in rows}

    def export_parquet(self, out_dir: Path) -> list[Path]:
        """Write reports/cells/checks as parquet (temp name, then rename)."""
        paths = []
        for name in TABLES:
            final = Path(out_dir) / f"{name}.parquet"
            tmp = final.with_name(f".{final.name}.tmp")
            self.con.execute(f"COPY (SELECT * FROM {name}) TO '{_sql_str(tmp)}' (FORMAT parquet)")
            os.replace(tmp, final)
            paths.append(final)
        return paths

    def totals(self) -> dict[str, Any]:
        """Whole-database counts for the summary."""
        con = self.con
        return {
            "reports": con.execute("SELECT count(*) FROM reports").fetchone()[0],
            "by_status": dict(con.execute("SELECT status, count(*) FROM reports GROUP BY 1 ORDER BY 2 DESC").fetchall()),
        }

    def checkpoint(self) -> None:
        self.con.execute("CHECKPOINT")

    def close(self) -> None:
        try:
            self.con.close()
        except Exception:
            pass


def _rollback(con) -> None:
    try:
        con.execute("ROLLBACK")
    except Exception:
        pass


def _meta_int(con, key: str) -> int:
    row = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return int(row[0]) if row else 0


def _add_meta_int(con, key: str, n: int) -> None:
    total = _meta_int(con, key) + n
    con.execute("DELETE FROM meta WHERE key = ?", [key])
    con.execute("INSERT INTO meta VALUES (?, ?)", [key, str(total)])


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - not on every platform
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _sql_str(p: Path) -> str:
    return str(p).replace("'", "''")


def write_summary(out_dir: Path, summary: dict) -> Path:
    path = Path(out_dir) / SUMMARY_NAME
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)
    return path
