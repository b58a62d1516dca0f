"""The batch on a cluster engine (Dask distributed): the same outputs, written as parts, merged.

The unit of work stays ``extract(bytes, name, config)``. The client lists the
documents (local paths or fsspec URLs: ``s3://…``, ``hdfs://…``, ``memory://…``)
and sends each worker a *chunk* of locators, never their bytes: a worker reads
its documents itself, extracts them and writes the chunk's results as one
**part** under ``OUT/parts/``: ``<chunk>.cells.parquet``, ``.checks.parquet``,
``.results.jsonl`` and, last, ``.reports.parquet``, each written under a
temporary name and then renamed. A part counts once its reports file exists, so
a worker killed mid-chunk leaves nothing that counts, and its chunk, retried
elsewhere under the same name, writes the same part once.

``merge`` (run at the end, and by ``nianbao merge OUT``) builds ``nianbao.duckdb``
and ``results.jsonl`` from the committed parts, so every query works unchanged.
A document in two parts (a retried chunk, two crawls of the same bytes, an
older pipeline version) is kept once: this pipeline version first, then the
latest processed. Resume skips the documents whose locator a committed part
holds from this pipeline version.

Faults: Dask retries a chunk whose worker died (``retries=1``); a chunk that
killed workers again (``KilledWorker``) is split into single documents, and a
document that kills workers on its own is recorded as ``error`` with the reason.
A scheduler that goes away stops the run with a one-line reason; run it again
to resume. There is no per-document timeout on this engine (a worker runs its
tasks in threads): bound a stuck document with the engine's own tools.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import posixpath
import re
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, Optional

from .. import version as version_mod
from ..config import Config
from ..llm.health import EndpointHealth
from . import outputs
from .errors import BatchError, _one_line
from .inputs import Discovery, Item, load
from .outputs import Group
from .work import DEFAULT_EXTRACT, ExtractRef, error_result, finish, process, resolve_extract, settle_process

PARTS = "parts"
_ID_RE = re.compile(rb'\{"id":"([^"]+)"')
CHUNK_DOCS = 64  # documents per task: a task costs the scheduler ~1 ms, a text document ~10 ms
KINDS = ("cells", "checks", "results", "reports")  # write order; reports last: the commit


def _fs(url: str):
    import fsspec

    return fsspec.core.url_to_fs(str(url))


def list_sources(inputs: Iterable[str], exclude: str) -> Iterator[str]:
    """Every document's locator, in a stable order: local files (as the local batch finds
    them), or fsspec URLs (a file, a directory walked, or a glob)."""
    local, remote = [], []
    for inp in inputs:
        (remote if "://" in str(inp) else local).append(str(inp))
    if local:
        for item in Discovery(local, exclude=(Path(exclude),) if "://" not in exclude else ()):
            if item.data is not None or "!" in item.source or not Path(item.source).is_file():
                raise BatchError(f"{item.source}: archives and manifests run on the local engine only "
                                 "(unpack them, or run without --engine)")
            yield str(Path(item.source).resolve())
    for url in remote:
        fs, path = _fs(url)
        protocol = url.split("://", 1)[0]
        if any(ch in path for ch in "*?["):
            paths = sorted(fs.glob(path))
        elif fs.isdir(path):
            paths = sorted(fs.find(path))
        elif fs.exists(path):
            paths = [path]
        else:
            raise BatchError(f"no such file or directory: {url}")
        for p in paths:
            name = posixpath.basename(p)
            if not name.startswith(".") and not name.lower().endswith((".json", ".jsonl")):
                yield f"{protocol}://{p.lstrip('/')}" if protocol != "file" else p


def chunk_id(locators: list[str]) -> str:
    """A chunk's name, from its locators: a retried chunk writes the same part."""
    return hashlib.sha256("\n".join(locators).encode("utf-8")).hexdigest()[:16]


def _item(locator: str) -> Item:
    fs, path = _fs(locator)
    try:
        size = fs.size(path)
    except Exception:  # noqa: BLE001 - load() says why it cannot be read
        size = None
    return Item(source=locator, name=posixpath.basename(path), size=size, opener=lambda: fs.open(path, "rb"))


_SETTLED = False


def _settle() -> None:
    global _SETTLED
    if not _SETTLED:  # a Dask worker has no initializer: its first task does it
        settle_process()
        _SETTLED = True


def run_chunk(locators: list[str], out: str, config: Config, version: str, extract_ref: ExtractRef = DEFAULT_EXTRACT,
              max_bytes: int = 100 * 1024 * 1024, errors: Optional[dict[str, str]] = None) -> dict:
    """A worker's task: read, extract and write one chunk as a part; returns its counts.

    ``errors``: locators to record as ``error`` with the reason, unread (a document
    that killed workers)."""
    _settle()
    extract = resolve_extract(extract_ref)
    health = EndpointHealth()
    prepared = []
    for loc in locators:
        task = load(_item(loc), max_bytes)
        if errors and loc in errors:
            prepared.append(finish(error_result(task, errors[loc]), task, version=version))
        elif task.error is not None:
            prepared.append(finish(error_result(task, task.error), task, version=version))
        else:
            prepared.append(process(extract, config, task, version, health))
    cid = chunk_id(locators)
    write_part(out, cid, prepared)
    rss = 0
    try:
        import resource

        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    except Exception:  # noqa: BLE001
        pass
    return {"chunk": cid, "n": len(prepared), "status": dict(Counter(p.status for p in prepared)), "rss_kb": rss}


def write_part(out: str, cid: str, prepared: list) -> None:
    """One part, each file written under a temporary name, then renamed; the reports file last."""
    import pyarrow.parquet as pq

    fs, root = _fs(out)
    parts = posixpath.join(root, PARTS)
    fs.makedirs(parts, exist_ok=True)
    group = Group()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    lines = []
    for p in prepared:
        p.rows.report["processed_at"] = now
        group.add(p.rows)
        lines.append(p.line if p.line.endswith(b"\n") else p.line + b"\n")
    for kind in KINDS:
        final = posixpath.join(parts, f"{cid}.{kind}.{'jsonl' if kind == 'results' else 'parquet'}")
        tmp = posixpath.join(parts, f".{cid}.{kind}.{os.getpid()}.tmp")
        with fs.open(tmp, "wb") as fh:
            if kind == "results":
                fh.write(b"".join(lines))
            else:
                buf = io.BytesIO()
                pq.write_table(group.arrow(kind), buf)
                fh.write(buf.getvalue())
        fs.mv(tmp, final)


def committed(out: str) -> list[str]:
    """The chunks whose part is complete (its reports file exists)."""
    fs, root = _fs(out)
    parts = posixpath.join(root, PARTS)
    if not fs.exists(parts):
        return []
    return sorted(posixpath.basename(p)[: -len(".reports.parquet")] for p in fs.glob(posixpath.join(parts, "*.reports.parquet")))


def done_sources(out: str, version: str) -> set[str]:
    """Locators a committed part holds from this pipeline version: a resume skips them."""
    import pyarrow.parquet as pq

    fs, root = _fs(out)
    done: set[str] = set()
    for cid in committed(out):
        with fs.open(posixpath.join(root, PARTS, f"{cid}.reports.parquet"), "rb") as fh:
            t = pq.read_table(fh, columns=["source", "pipeline_version", "status"])
        for src, ver in zip(t.column("source").to_pylist(), t.column("pipeline_version").to_pylist()):
            if ver == version:
                done.add(src)
    return done


class Merger:
    """Builds ``nianbao.duckdb`` and ``results.jsonl`` from committed parts (from scratch, then
    renamed over the old ones). Parts are staged as they are added, so a run stages each
    part as soon as a worker has written it, while the others still extract; ``finish`` keeps
    one row per document, streams the kept result lines in order and commits.

    A local --out holds the database; for a remote one it is written to ``db_dir`` (default:
    the current directory's ``nianbao-merged/``)."""

    def __init__(self, out: str, db_dir: Optional[Path] = None):
        self.fs, self.root = _fs(out)
        self.local = "://" not in str(out) or str(out).startswith("file://")
        self.target = Path(self.root if self.local else (db_dir or Path.cwd() / "nianbao-merged"))
        self.target.mkdir(parents=True, exist_ok=True)
        self._tmp = tempfile.TemporaryDirectory(prefix="nianbao-merge-")
        self.src = Path(self.root) / PARTS if self.local else Path(self._tmp.name)
        self.tmp_db = self.target / f".{outputs.DB_NAME}.merge"
        self.tmp_log = self.target / f".{outputs.RESULTS_NAME}.merge"
        for f in (self.tmp_db, self.tmp_log, self.target / f".{outputs.DB_NAME}.merge.wal"):
            if f.exists():
                f.unlink()
        self.store = outputs.Store(self.tmp_db, threads=None)
        self.chunks: list[str] = []
        for kind in ("reports", "cells", "checks"):
            cols = ", ".join(f"{c} {outputs._SQL_TYPES[t]}" for c, t in outputs.COLUMNS[kind])
            self.store.con.execute(f"CREATE TEMP TABLE stage_{kind} ({cols}, _part INTEGER)")

    def _file(self, cid: str, kind: str) -> Path:
        name = f"{cid}.{kind}.{'jsonl' if kind == 'results' else 'parquet'}"
        if not self.local and not (self.src / name).exists():
            self.fs.get(posixpath.join(self.root, PARTS, name), str(self.src / name))
        return self.src / name

    def add(self, cid: str) -> None:
        i = len(self.chunks)
        self.chunks.append(cid)
        for kind in ("reports", "cells", "checks"):
            path = outputs._sql_str(self._file(cid, kind))
            self.store.con.execute(f"INSERT INTO stage_{kind} BY NAME SELECT *, {i} AS _part FROM read_parquet('{path}')")
        self._file(cid, "results")

    def finish(self) -> dict:
        import pyarrow as pa

        con, version = self.store.con, version_mod.pipeline_version()
        # one row per document: this pipeline version first, then the latest processed, then the first part
        con.execute(f"""
            CREATE TEMP TABLE keep AS
            SELECT id, _part FROM (
                SELECT id, _part, row_number() OVER (PARTITION BY id ORDER BY pipeline_version = '{version}' DESC,
                                                     processed_at DESC, _part) AS pick
                FROM stage_reports) WHERE pick = 1""")
        wanted = {(p, i) for i, p in con.execute("SELECT id, _part FROM keep").fetchall()}
        ids, parts, ends, pos = [], [], [], 0
        with open(self.tmp_log, "wb") as out:  # streamed: a part's lines are read once, never all held
            for i, cid in enumerate(self.chunks):
                with open(self._file(cid, "results"), "rb") as fh:
                    for line in fh:
                        m = _ID_RE.match(line)  # a result line opens with its id: no need to parse it whole
                        rid = m.group(1).decode() if m else json.loads(line)["id"]
                        if (i, rid) not in wanted:
                            continue
                        wanted.discard((i, rid))
                        line = line if line.endswith(b"\n") else line + b"\n"
                        out.write(line)
                        pos += len(line)
                        ids.append(rid)
                        parts.append(i)
                        ends.append(pos)
            out.flush()
            os.fsync(out.fileno())
        con.register("_ends", pa.table({"id": ids, "_part": pa.array(parts, pa.int32()), "_end": pa.array(ends, pa.int64())}))
        cols = {k: ", ".join(f"s.{c}" for c, _ in outputs.COLUMNS[k] if c != "results_end") for k in outputs.TABLES}
        con.execute("BEGIN TRANSACTION")
        con.execute(f"INSERT INTO reports BY NAME SELECT {cols['reports']}, e._end AS results_end "
                    "FROM stage_reports s JOIN keep k ON k.id = s.id AND k._part = s._part "
                    "LEFT JOIN _ends e ON e.id = s.id AND e._part = s._part ORDER BY s._part")
        for kind in ("cells", "checks"):
            con.execute(f"INSERT INTO {kind} BY NAME SELECT {cols[kind]} FROM stage_{kind} s "
                        "JOIN keep k ON k.id = s.report_id AND k._part = s._part")
        con.execute("COMMIT")
        n = con.execute("SELECT count(*) FROM reports").fetchone()[0]
        yoy = self.store.refresh_year_over_year()
        self.store.checkpoint()
        self.store.close()
        self._tmp.cleanup()
        os.replace(self.tmp_log, self.target / outputs.RESULTS_NAME)
        os.replace(self.tmp_db, self.target / outputs.DB_NAME)
        return {"parts": len(self.chunks), "reports": n, "year_over_year": yoy, "database": str(self.target / outputs.DB_NAME)}


    def discard(self) -> None:
        """A run that stops: the half-built database goes; the parts stay for the next run."""
        self.store.close()
        self._tmp.cleanup()
        for f in (self.tmp_db, self.tmp_log, self.target / f".{outputs.DB_NAME}.merge.wal"):
            if f.exists():
                f.unlink()


def merge(out: str, db_dir: Optional[Path] = None) -> dict:
    """``nianbao merge OUT``: the database and results.jsonl from every committed part."""
    m = Merger(out, db_dir)
    for cid in committed(out):
        m.add(cid)
    return m.finish()


def _chunks(items: list[str], n: int) -> list[list[str]]:
    return [items[i:i + n] for i in range(0, len(items), n)]


def run_engine(inputs, options, config: Optional[Config] = None, extract: ExtractRef = DEFAULT_EXTRACT,
               scheduler: Optional[str] = None, chunk_docs: int = CHUNK_DOCS, progress=None,
               db_dir: Optional[Path] = None) -> dict:
    """``nianbao batch --engine dask``: chunks of locators to the cluster's workers, parts back, merged
    (``db_dir``: where the database goes for a remote --out; see ``Merger``)."""
    try:
        from distributed import Client, LocalCluster, as_completed
        from distributed.scheduler import KilledWorker
    except ImportError:
        raise BatchError("--engine dask needs Dask: pip install 'nianbao[cluster]'") from None

    config = config or Config()
    out = str(options.out)
    version = version_mod.pipeline_version()
    resolve_extract(extract)
    t0 = time.monotonic()
    fs, root = _fs(out)
    fs.makedirs(root, exist_ok=True)
    skip = set() if options.reprocess else done_sources(out, version)
    sources = list(dict.fromkeys(list_sources(inputs, exclude=out)))
    todo = [s for s in sources if s not in skip]
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="10s")
        else:
            from .run import default_workers

            n = options.workers or default_workers()
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                                   silence_logs=40)
            client = Client(cluster)
    except (OSError, TimeoutError) as e:
        raise BatchError(f"cannot reach the Dask scheduler {scheduler}: {_one_line(e)}") from None
    state = {"done": 0, "rss_kb": 0, "status": Counter()}
    merger = Merger(out, db_dir)
    staged: set[str] = set()
    for cid in committed(out):  # parts of earlier runs
        merger.add(cid)
        staged.add(cid)
    t_ready = time.monotonic()
    killed: list[str] = []
    dashboard = client.dashboard_link
    if progress:
        progress(0, len(todo), state["status"], dashboard)

    def submit(locs, errors=None):
        key = f"nianbao-{chunk_id(locs)}" + ("-recorded" if errors else "")  # a failed key cannot run again
        return client.submit(run_chunk, locs, out, config, version, extract, options.max_bytes, errors,
                             key=key, retries=1, pure=False)

    def on_result(res: dict) -> None:
        if res["chunk"] not in staged:
            merger.add(res["chunk"])  # staged now, while the others still extract
            staged.add(res["chunk"])
        state["done"] += res["n"]
        state["rss_kb"] = max(state["rss_kb"], res.get("rss_kb") or 0)
        state["status"].update(res["status"])
        if progress:
            progress(state["done"], len(todo), state["status"], dashboard)

    try:
        chunks = _chunks(todo, chunk_docs)
        futs = [submit(c) for c in chunks]
        _gather(as_completed(futs), {f.key: c for f, c in zip(futs, chunks)}, submit, killed, on_result, KilledWorker)
    except BaseException:
        merger.discard()
        raise
    finally:
        try:
            client.close(timeout=5)
        except Exception:  # noqa: BLE001
            pass
        if cluster is not None:
            cluster.close(timeout=10)
    t_computed = time.monotonic()
    merged = merger.finish()
    done, elapsed = state["done"], time.monotonic() - t0
    return {
        "out": out, "engine": "dask", "scheduler": scheduler or "local", "dashboard": dashboard,
        "pipeline_version": version, "documents": {"listed": len(sources), "skipped_done": len(sources) - len(todo),
                                                   "processed": done, "killed_workers": len(killed)},
        "by_status": dict(state["status"].most_common()), "seconds": round(elapsed, 3),
        "docs_per_second": round(done / elapsed, 2) if elapsed > 0 else None, "merge": merged, "interrupted": False,
        "peak_rss_mb": {"worker_max": round(state["rss_kb"] / 1024, 1)},
        "phases_s": {"list_and_start": round(t_ready - t0, 2), "extract": round(t_computed - t_ready, 2),
                     "merge": round(time.monotonic() - t_computed, 2)},
    }


def _gather(pending, locs_of, submit, killed, on_result, KilledWorker) -> None:
    """Collect the chunks as they finish; split a chunk that killed workers, record a document
    that did alone; stop with one line when the scheduler is gone."""
    try:
        for fut in pending:
            try:
                res = fut.result()
            except KilledWorker:
                locs = locs_of[fut.key]
                fut.release()
                if len(locs) > 1:  # which document? each alone, on a worker of its own
                    for one in locs:
                        f = submit([one])
                        locs_of[f.key] = [one]
                        pending.add(f)
                else:
                    killed.append(locs[0])
                    f = submit(locs, {locs[0]: "worker died twice while extracting this document (killed by a signal or out of memory)"})
                    locs_of[f.key] = locs
                    pending.add(f)
                continue
            fut.release()  # its part is written: a worker lost later need not run it again
            on_result(res)
    except (OSError, TimeoutError) as e:
        raise BatchError(f"the Dask scheduler went away: {_one_line(e)}; the parts written are kept, run again to resume") from None
    except Exception as e:
        if type(e).__name__ in ("CommClosedError", "CancelledError", "FutureCancelledError"):
            raise BatchError(f"the Dask scheduler went away ({type(e).__name__}); the parts written are kept, "
                             "run again to resume") from None
        raise
