"""Batch-process crawled archives into results.jsonl + DuckDB (``nianbao batch``).

Three parts, in the order a document meets them:

* discovery: files, directories (recursive), globs, zip/tar archives (members
  streamed one at a time) and ``.jsonl`` manifests become ``Item``s, lazily;
* loading: the main process reads an item (bounded by ``--max-bytes``),
  hashes it (the id is the sha256), and skips it when the database already
  holds it for this pipeline version;
* the pool: one single-process ``ProcessPoolExecutor`` per worker slot, each
  fed at most ``DEPTH`` documents. Because a slot runs its documents in
  order, the main process knows which document each worker is on: a timeout
  kills just that worker, a crash is blamed on just that document, and the
  other slots keep going. (A shared pool cannot do either: a dead worker
  breaks every in-flight future and running tasks cannot be cancelled.)

Results are written by ``outputs`` as they arrive; the database is the
source of truth for "done", so re-running the same command resumes.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import importlib
import json
import multiprocessing as mp
import os
import pickle
import signal
import sys
import tarfile
import threading
import time
import zipfile
import zlib
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Callable, Iterator, Optional, Union
from urllib.parse import urlparse

import click

from . import outputs
from .config import Config, load_config
from .errors import NianbaoError
from .models import PIPELINE_VERSION, Result, Status
from .outputs import DocRows, Group, doc_rows

try:  # Unix only; peak memory is reported as unknown elsewhere
    import resource
except ImportError:  # pragma: no cover
    resource = None  # type: ignore[assignment]

ExtractFn = Callable[[bytes, str, Config], Result]
ExtractRef = Union[str, ExtractFn]

DEFAULT_EXTRACT = "extractor.pipeline:extract"
DEFAULT_TIMEOUT = 300.0
DEFAULT_MAX_BYTES = 100 * 1024 * 1024
DEPTH = 2  # documents queued per worker: one running, one waiting, so workers never idle
COMMIT_INTERVAL = 0.5  # seconds a finished document may wait for its commit group
COMMIT_MAX = 500  # documents per commit group at most
ID_LENGTH = 16  # hex chars of the sha256 used as the report id
CHUNK = 1 << 20
STARTUP_TIMEOUT = 120.0

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz")
MANIFEST_SUFFIX = ".jsonl"
IGNORED_SUFFIXES = (".json",)  # goldens and metadata beside the sources


class BatchError(NianbaoError):
    """The batch cannot start or go on (bad input path, workers failing to start)."""


# --- discovery ----------------------------------------------------------------


@dataclass
class Item:
    """One document to process, not yet read.

    ``source`` locates it for people (``path``, ``archive.zip::member``, a
    URL); ``name`` is the file-like name handed to ``extract``, whose suffix
    tells the format. Exactly one of ``opener``/``data`` gives the bytes;
    ``error`` marks an input that failed before reading (corrupt archive…).
    """

    source: str
    name: str
    size: Optional[int] = None
    opener: Optional[Callable[[], BinaryIO]] = None
    data: Optional[bytes] = None
    error: Optional[str] = None


def _lower_name(p: Union[Path, PurePosixPath, str]) -> str:
    return str(p).rsplit("/", 1)[-1].lower()


def is_archive(name: str) -> bool:
    return _lower_name(name).endswith(ARCHIVE_SUFFIXES)


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(p.startswith(".") or p == "__MACOSX" for p in parts if p not in (".", ".."))


def has_glob(s: str) -> bool:
    return any(ch in s for ch in "*?[")


def check_inputs(inputs: tuple[str, ...] | list[str]) -> None:
    """Fail fast, in one line, on an input that is neither a path nor a matching glob."""
    for inp in inputs:
        if Path(inp).exists():
            continue
        if has_glob(inp) and glob.glob(inp, recursive=True):
            continue
        raise BatchError(f"no such file or directory, and no glob match: {inp}")


class Discovery:
    """Lazily expands inputs into ``Item``s, in a stable (sorted) order.

    Manifests must be named ``*.jsonl`` and given as inputs (directly or by a
    glob); inside directories and archives, ``*.json``/``*.jsonl`` files are
    skipped (goldens, metadata, a previous run's results.jsonl), as are hidden
    files and anything under ``exclude`` (the output directory).
    """

    def __init__(self, inputs, exclude: tuple[Path, ...] = ()):
        self.inputs = list(inputs)
        self.exclude = tuple(Path(e).resolve() for e in exclude)
        self.ignored: Counter[str] = Counter()

    def __iter__(self) -> Iterator[Item]:
        for inp in self.inputs:
            p = Path(inp)
            if p.exists():
                yield from self._path(p, explicit=True)
            elif has_glob(inp):
                recursive = "**" in inp
                for m in sorted(glob.glob(inp, recursive=True)):
                    mp_ = Path(m)
                    if recursive and mp_.is_dir():
                        continue  # '**' also matches every file below it
                    yield from self._path(mp_, explicit=True)
            else:
                raise BatchError(f"no such file or directory, and no glob match: {inp}")

    def _excluded(self, p: Path) -> bool:
        if not self.exclude:
            return False
        rp = p.resolve()
        return any(rp == e or e in rp.parents for e in self.exclude)

    def _path(self, p: Path, explicit: bool) -> Iterator[Item]:
        if self._excluded(p):
            self.ignored["output directory"] += 1
            return
        if p.is_dir():
            yield from self._walk(p)
        else:
            yield from self._file(p, explicit)

    def _walk(self, root: Path) -> Iterator[Item]:
        for dirpath, dirnames, filenames in os.walk(root):
            d = Path(dirpath)
            keep = []
            for name in sorted(dirnames):
                if name.startswith("."):
                    continue
                if self.exclude and self._excluded(d / name):
                    self.ignored["output directory"] += 1
                    continue
                keep.append(name)
            dirnames[:] = keep
            for name in sorted(filenames):
                if name.startswith("."):
                    self.ignored["hidden"] += 1
                    continue
                yield from self._file(d / name, explicit=False)

    def _file(self, p: Path, explicit: bool) -> Iterator[Item]:
        low = p.name.lower()
        if low.endswith(MANIFEST_SUFFIX):
            if explicit:
                yield from self._manifest(p)
            else:
                self.ignored["jsonl (not given as a manifest)"] += 1
            return
        if low.endswith(IGNORED_SUFFIXES):
            self.ignored["json"] += 1
            return
        if low.endswith(".zip"):
            yield from self._zip(p)
        elif is_archive(low):
            yield from self._tar(p)
        else:
            yield _file_item(p)

    def _zip(self, p: Path) -> Iterator[Item]:
        try:
            zf = zipfile.ZipFile(p)
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            yield _file_item(p, error=f"corrupt zip archive: {_one_line(e)}")
            return
        with zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                member = _zip_member_name(info)
                yield from self._member(p, member, info.file_size, lambda info=info: zf.open(info))

    def _tar(self, p: Path) -> Iterator[Item]:
        n = 0
        try:
            tf = tarfile.open(p, mode="r|*")  # stream mode: no seeking, no member list in memory
        except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
            yield _file_item(p, error=f"corrupt tar archive: {_one_line(e)}")
            return
        try:
            with tf:
                for m in tf:
                    if not m.isfile():
                        continue
                    n += 1
                    yield from self._member(p, m.name, m.size, lambda m=m: tf.extractfile(m))
        except (tarfile.TarError, OSError, EOFError, zlib.error) as e:
            yield _file_item(p, error=f"corrupt or truncated tar archive after {n} member(s): {_one_line(e)}")

    def _member(self, archive: Path, member: str, size: int, opener) -> Iterator[Item]:
        pp = PurePosixPath(member)
        if _hidden(pp.parts):
            self.ignored["hidden"] += 1
            return
        low = pp.name.lower()
        if low.endswith(IGNORED_SUFFIXES) or low.endswith(MANIFEST_SUFFIX):
            self.ignored["json"] += 1
            return
        yield Item(source=f"{archive}::{member}", name=pp.name, size=size, opener=opener)

    def _manifest(self, p: Path) -> Iterator[Item]:
        try:
            fh = open(p, "rb")
        except OSError as e:
            yield Item(source=str(p), name=p.name, error=f"cannot read manifest: {_one_line(e)}")
            return
        with fh:
            for lineno, raw in enumerate(fh, 1):
                line = raw.strip()
                if not line:
                    continue
                yield from self._manifest_line(p, lineno, line)

    def _manifest_line(self, p: Path, lineno: int, line: bytes) -> Iterator[Item]:
        here = f"{p}:{lineno}"
        try:
            obj = json.loads(line)
        except ValueError as e:
            yield Item(source=here, name=p.name, data=line, error=f"manifest line is not JSON: {_one_line(e)}")
            return
        if not isinstance(obj, dict):
            yield Item(source=here, name=p.name, data=line, error="manifest line is not a JSON object")
            return
        url = obj.get("url")
        source = str(obj.get("source") or url or here)
        name = str(obj.get("name") or _name_from_url(url) or f"line{lineno}")
        if obj.get("content") is not None or obj.get("content_base64") is not None:
            try:
                if obj.get("content") is not None:
                    c = obj["content"]
                    data = c.encode("utf-8") if isinstance(c, str) else json.dumps(c, ensure_ascii=False).encode("utf-8")
                else:
                    import base64

                    data = base64.b64decode(obj["content_base64"], validate=True)
            except (ValueError, TypeError) as e:
                yield Item(source=source, name=name, data=line, error=f"manifest content unreadable: {_one_line(e)}")
                return
            yield Item(source=source, name=name, size=len(data), data=data)
        elif obj.get("path"):
            q = Path(str(obj["path"]))
            if not q.is_absolute():
                q = p.parent / q
            if not q.exists():
                yield Item(source=source if url else str(q), name=q.name, data=line, error=f"manifest path not found: {q}")
                return
            for item in self._path(q, explicit=False):
                if url and not q.is_dir() and not is_archive(q.name):
                    item.source = source
                yield item
        else:
            yield Item(source=here, name=p.name, data=line, error="manifest line has neither 'path' nor 'content'")


def _file_item(p: Path, error: Optional[str] = None) -> Item:
    try:
        size = p.stat().st_size
    except OSError:
        size = None
    return Item(source=str(p), name=p.name, size=size, opener=lambda: open(p, "rb"), error=error)


def _zip_member_name(info: zipfile.ZipInfo) -> str:
    """Member name, fixing GBK names that zip tools stored without the UTF-8 flag."""
    name = info.filename
    if info.flag_bits & 0x800:
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return name


def _name_from_url(url: Any) -> Optional[str]:
    if not url:
        return None
    name = PurePosixPath(urlparse(str(url)).path).name
    return name or None


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


# --- loading ------------------------------------------------------------------


@dataclass
class Task:
    """A document ready for a worker (or already failed: ``error`` set, no data)."""

    doc_id: str
    content_hash: str
    source: str
    name: str
    data: Optional[bytes] = None
    size: Optional[int] = None
    error: Optional[str] = None
    attempts: int = 0


def doc_id_of(content_hash: str) -> str:
    return content_hash[:ID_LENGTH]


def _hash_stream(fh: BinaryIO, h) -> int:
    n = 0
    while True:
        chunk = fh.read(CHUNK)
        if not chunk:
            return n
        h.update(chunk)
        n += len(chunk)


def load(item: Item, max_bytes: int) -> Task:
    """Read and hash one item. Never raises for a bad input: the Task says why.

    A document over ``max_bytes`` is hashed in chunks (its id stays its content
    hash, so a resume skips it) but never held in memory. An input that
    cannot be read at all gets an id from its locator.
    """
    h = hashlib.sha256()
    if item.error is not None:
        try:
            if item.data is not None:
                h.update(item.data)
                size = len(item.data)
            elif item.opener is not None:
                with item.opener() as fh:
                    size = _hash_stream(fh, h)
            else:
                raise OSError("no content")
        except Exception:
            h = hashlib.sha256(f"unreadable:{item.source}".encode())
            size = item.size
        return _task(item, h, None, size, item.error)

    if item.data is not None:
        h.update(item.data)
        n = len(item.data)
        if n > max_bytes:
            return _task(item, h, None, n, _too_big(n, max_bytes))
        return _task(item, h, item.data, n, None if n else "empty file (0 bytes)")

    chunks: list[bytes] = []
    n = 0
    too_big = item.size is not None and item.size > max_bytes
    try:
        assert item.opener is not None
        with item.opener() as fh:
            while True:
                chunk = fh.read(CHUNK)
                if not chunk:
                    break
                h.update(chunk)
                n += len(chunk)
                if not too_big:
                    if n > max_bytes:
                        too_big, chunks = True, []
                    else:
                        chunks.append(chunk)
    except Exception as e:  # OSError, BadZipFile, encrypted zip (RuntimeError), tar/zlib errors...
        h = hashlib.sha256(f"unreadable:{item.source}".encode())
        return _task(item, h, None, item.size, f"cannot read: {_one_line(e)}")
    if too_big:
        return _task(item, h, None, n, _too_big(n, max_bytes))
    if n == 0:
        return _task(item, h, None, 0, "empty file (0 bytes)")
    return _task(item, h, b"".join(chunks), n, None)


def _task(item: Item, h, data, size, error) -> Task:
    digest = h.hexdigest()
    return Task(doc_id=doc_id_of(digest), content_hash=digest, source=item.source, name=item.name, data=data, size=size, error=error)


def _too_big(n: int, limit: int) -> str:
    return f"too large: {n} bytes > --max-bytes {limit}"


# --- the work for one document -------------------------------------------------


@dataclass
class Prepared:
    """A finished document, ready to write: its JSON line and its table rows."""

    doc_id: str
    status: str
    template: Optional[str]
    failing_rules: list[str]
    llm_calls: int
    llm_tokens: int
    llm_cost: Optional[float]
    line: bytes
    rows: DocRows
    maxrss_kb: int = 0  # the worker's peak RSS so far
    cpu_s: float = 0.0  # the worker's CPU time so far
    pid: int = 0


def error_result(task: Task, reason: str, status: Status = Status.error) -> Result:
    return Result(id=task.doc_id, source=task.source, content_hash=task.content_hash, status=status, reason=reason)


def finish(result: Result, task: Task, seconds: Optional[float] = None) -> Prepared:
    """Stamp the batch's identity on a result and turn it into rows."""
    result.id = task.doc_id
    result.content_hash = task.content_hash
    result.source = task.source
    result.pipeline_version = PIPELINE_VERSION  # what "done" is compared with on resume
    rows = doc_rows(result, n_bytes=task.size, seconds=seconds)
    status = getattr(result.status, "value", result.status)
    return Prepared(
        doc_id=task.doc_id,
        status=status,
        template=result.template,
        failing_rules=result.failing_rules(),
        llm_calls=result.llm.calls,
        llm_tokens=result.llm.prompt_tokens + result.llm.completion_tokens,
        llm_cost=result.llm.cost_usd,
        line=result.model_dump_json().encode("utf-8"),
        rows=rows,
    )


def process(extract: ExtractFn, config: Config, task: Task) -> Prepared:
    """Run ``extract`` on one task; an exception becomes an ``error`` result."""
    t0 = time.perf_counter()
    try:
        result = extract(task.data or b"", task.name, config)
        if not isinstance(result, Result):
            raise TypeError(f"extract returned {type(result).__name__}, not Result")
    except Exception as e:
        result = error_result(task, f"extract raised {type(e).__name__}: {_one_line(e)}")
    return finish(result, task, time.perf_counter() - t0)


def resolve_extract(ref: ExtractRef) -> ExtractFn:
    """``"module:function"`` → the function (a callable passes through)."""
    if callable(ref):
        return ref
    module, _, attr = str(ref).partition(":")
    if not module or not attr:
        raise BatchError(f"extract function must be given as module:function, not {ref!r}")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
        raise BatchError(f"cannot import extract function {ref}: {_one_line(e)}") from None
    if not callable(fn):
        raise BatchError(f"{ref} is not callable")
    return fn


_WORKER: dict[str, Any] = {}


def _worker_init(extract_ref: ExtractRef, config: Config, main_pid: int) -> None:
    """Worker start: ignore Ctrl-C (the main process decides), die with the main process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER["extract"] = resolve_extract(extract_ref)
    _WORKER["config"] = config
    ppid = os.getppid()

    def watchdog() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(main_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass
            if os.getppid() != ppid:
                os._exit(1)

    threading.Thread(target=watchdog, name="nianbao-watchdog", daemon=True).start()


def _worker_run(task: Task) -> Prepared:
    p = process(_WORKER["extract"], _WORKER["config"], task)
    if resource is not None:
        ru = resource.getrusage(resource.RUSAGE_SELF)
        p.maxrss_kb, p.cpu_s = _maxrss_kb(resource.RUSAGE_SELF), ru.ru_utime + ru.ru_stime
    p.pid = os.getpid()
    return p


def _maxrss_kb(who) -> int:
    if resource is None:
        return 0
    rss = resource.getrusage(who).ru_maxrss
    return rss // 1024 if sys.platform == "darwin" else rss  # macOS reports bytes


# --- the worker pool ----------------------------------------------------------


def _mp_context():
    """forkserver where available: fast restarts, no fork of a threaded process holding DuckDB."""
    methods = mp.get_all_start_methods()
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        # loaded once, shared copy-on-write by every worker and every restart
        ctx.set_forkserver_preload(["extractor.pipeline", "extractor.ingest", "extractor.outputs", "pyarrow"])
        return ctx
    return mp.get_context("spawn")


class Slot:
    """One worker process with its own queue, so its documents run in order."""

    def __init__(self, ctx, initargs: tuple):
        self.pool = ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=_worker_init, initargs=initargs)
        self.tasks: deque[tuple[Task, Future]] = deque()
        self.head_since = time.monotonic()
        self._pid_future = self.pool.submit(os.getpid)
        self.pid: Optional[int] = None

    def ready(self) -> int:
        try:
            self.pid = self._pid_future.result(timeout=STARTUP_TIMEOUT)
        except BrokenProcessPool:
            raise BatchError("a worker process failed to start (see its error above)") from None
        return self.pid

    def submit(self, task: Task) -> None:
        fut = self.pool.submit(_worker_run, task)
        if not self.tasks:
            self.head_since = time.monotonic()
        self.tasks.append((task, fut))

    def futures(self) -> list[Future]:
        return [f for _, f in self.tasks]

    def pop_done(self) -> Iterator[tuple[Task, Future]]:
        while self.tasks and self.tasks[0][1].done():
            yield self.tasks.popleft()
            self.head_since = time.monotonic()

    def overdue(self, timeout: float) -> bool:
        return bool(self.tasks) and not self.tasks[0][1].done() and time.monotonic() - self.head_since > timeout

    def kill(self) -> list[Task]:
        """SIGKILL the worker; return the tasks still queued on it (to run elsewhere)."""
        left = [t for t, _ in self.tasks]
        self.tasks.clear()
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.pool.shutdown(wait=True, cancel_futures=True)
        return left

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


# --- the run ------------------------------------------------------------------


@dataclass
class BatchOptions:
    out: Path
    workers: Optional[int] = None  # None: one per core; 0: in this process
    timeout: float = DEFAULT_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES
    parquet: bool = False
    retry_errors: bool = False
    progress: bool = True
    commit_interval: float = COMMIT_INTERVAL
    commit_max: int = COMMIT_MAX


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        return os.cpu_count() or 1


@dataclass
class Stats:
    seen: int = 0
    processed: int = 0
    skipped: int = 0
    duplicates: int = 0
    timeouts: int = 0
    crashes: int = 0
    status: Counter = field(default_factory=Counter)
    template: Counter = field(default_factory=Counter)
    failing: Counter = field(default_factory=Counter)
    llm_calls: int = 0
    llm_tokens: int = 0
    llm_cost: float = 0.0
    llm_cost_known: bool = False
    worker_rss_kb: int = 0
    worker_cpu: dict[int, float] = field(default_factory=dict)  # pid -> CPU seconds so far

    def add(self, p: Prepared) -> None:
        self.processed += 1
        self.status[p.status] += 1
        self.template[p.template or "-"] += 1
        self.failing.update(p.failing_rules)
        self.llm_calls += p.llm_calls
        self.llm_tokens += p.llm_tokens
        if p.llm_cost is not None:
            self.llm_cost += p.llm_cost
            self.llm_cost_known = True
        self.worker_rss_kb = max(self.worker_rss_kb, p.maxrss_kb)
        if p.pid:
            self.worker_cpu[p.pid] = max(self.worker_cpu.get(p.pid, 0.0), p.cpu_s)


class _Timeout(BaseException):
    """Raised by SIGALRM in in-process mode; BaseException so extract can't swallow it."""


class BatchRunner:
    """Runs one batch: discovery → load/skip → workers → writers → summary."""

    def __init__(self, options: BatchOptions, config: Optional[Config] = None, extract: ExtractRef = DEFAULT_EXTRACT):
        self.opt = options
        self.config = config or Config()
        self.extract_ref = extract
        self.out = Path(options.out)
        self.stats = Stats()
        self.notes: list[str] = []
        self._stop = False
        self._group = Group()
        self._group_replace: list[str] = []
        self._group_since = 0.0
        self._retry: deque[Task] = deque()

    # -- setup ------------------------------------------------------------

    def _open_outputs(self) -> None:
        if self.out.exists() and not self.out.is_dir():
            raise BatchError(f"--out {self.out} exists and is not a directory")
        self.out.mkdir(parents=True, exist_ok=True)
        self.store = outputs.Store(self.out / outputs.DB_NAME)
        self.log = outputs.ResultsLog(self.out / outputs.RESULTS_NAME)
        note = self.log.repair(self.store.committed_end())
        if note:
            self.notes.append(note)
        self.log.open()
        self.done = self.store.done_ids(PIPELINE_VERSION, self.opt.retry_errors)
        self.stale = self.store.all_ids() - self.done  # in the DB, but to be redone
        self.seen: set[str] = set()

    # -- writing ----------------------------------------------------------

    def _record(self, p: Prepared) -> None:
        end = self.log.append(p.line)
        p.rows.report["results_end"] = end
        p.rows.report["processed_at"] = datetime.now(timezone.utc).replace(tzinfo=None)  # naive UTC: TIMESTAMPTZ needs pytz to read back
        if not len(self._group):
            self._group_since = time.monotonic()
        self._group.add(p.rows)
        if p.doc_id in self.stale:
            self._group_replace.append(p.doc_id)
            self.stale.discard(p.doc_id)
        self.stats.add(p)
        self._progress_advance()
        self._maybe_commit()

    def _maybe_commit(self, force: bool = False) -> None:
        n = len(self._group)
        if not n:
            return
        if force or n >= self.opt.commit_max or time.monotonic() - self._group_since >= self.opt.commit_interval:
            self.log.sync()  # the lines are durable before the rows that point at them
            self.store.write(self._group, self._group_replace)
            self._group, self._group_replace = Group(), []

    def _record_error(self, task: Task, reason: str) -> None:
        self._record(finish(error_result(task, reason), task))

    # -- feeding ----------------------------------------------------------

    def _next_task(self, items: Iterator[Item]) -> Optional[Task]:
        """The next document a worker should get; skips, dedupes and records failures on the way."""
        if self._retry:
            return self._retry.popleft()
        while not self._stop:
            try:
                item = next(items)
            except StopIteration:
                return None
            task = load(item, self.opt.max_bytes)
            self.stats.seen += 1
            if task.doc_id in self.done:
                self.stats.skipped += 1
                self._progress_advance()
                continue
            if task.doc_id in self.seen:
                self.stats.duplicates += 1
                self._progress_advance()
                continue
            self.seen.add(task.doc_id)
            if task.error is not None:
                self._record_error(task, task.error)
                continue
            return task
        return None

    # -- running ----------------------------------------------------------

    def run(self, inputs) -> dict:
        t_start = time.monotonic()
        self._open_outputs()
        discovery = Discovery(inputs, exclude=(self.out,))
        items = iter(discovery)
        workers = default_workers() if self.opt.workers is None else max(0, self.opt.workers)
        self._start_progress(inputs)
        old_handlers = self._install_signals()
        interrupted = False
        try:
            if workers == 0:
                self._run_inline(items)
            else:
                self._run_pool(items, workers)
        except KeyboardInterrupt:
            self._stop = True
        finally:
            interrupted = self._stop
            self._restore_signals(old_handlers)
            try:
                self._maybe_commit(force=True)
            finally:
                self.log.close()
                self._stop_progress()
        elapsed = time.monotonic() - t_start
        yoy: dict[str, int] = {}
        if not interrupted:
            yoy = self.store.refresh_year_over_year()
            if self.opt.parquet:
                self.store.export_parquet(self.out)
        summary = self._summary(elapsed, yoy, interrupted, discovery, workers)
        self.store.checkpoint()
        self.store.close()
        outputs.write_summary(self.out, summary)
        return summary

    def _run_inline(self, items: Iterator[Item]) -> None:
        """``--workers 0``: extract in this process (debugging; SIGALRM enforces the timeout)."""
        extract = resolve_extract(self.extract_ref)
        use_alarm = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()

        def on_alarm(signum, frame):
            raise _Timeout()

        while not self._stop:
            task = self._next_task(items)
            if task is None:
                break
            old = signal.signal(signal.SIGALRM, on_alarm) if use_alarm else None
            try:
                if use_alarm:
                    signal.setitimer(signal.ITIMER_REAL, self.opt.timeout)
                p = process(extract, self.config, task)
            except _Timeout:
                self.stats.timeouts += 1
                self._record_error(task, f"timeout: still running after {self.opt.timeout:g}s")
                continue
            finally:
                if use_alarm:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    signal.signal(signal.SIGALRM, old)
            self._record(p)
            self._maybe_commit()

    def _run_pool(self, items: Iterator[Item], workers: int) -> None:
        extract_ref = self.extract_ref
        resolve_extract(extract_ref)  # fail here, in one line, rather than in every worker
        try:
            pickle.dumps(extract_ref)
        except Exception:
            raise BatchError("the extract function must be importable (module level) to run in workers; use --workers 0") from None
        ctx = _mp_context()
        initargs = (extract_ref, self.config, os.getpid())
        slots = [Slot(ctx, initargs) for _ in range(workers)]
        try:
            for s in slots:
                s.ready()
            while not self._stop:
                for s in slots:
                    while len(s.tasks) < DEPTH:
                        task = self._next_task(items)
                        if task is None:
                            break
                        s.submit(task)
                in_flight = [f for s in slots for f in s.futures()]
                if not in_flight:
                    if self._retry:
                        continue
                    break  # inputs exhausted, nothing running
                wait(in_flight, timeout=0.25, return_when=FIRST_COMPLETED)
                for i, s in enumerate(slots):
                    slots[i] = self._collect(s, ctx, initargs)
                self._maybe_commit()
        finally:
            for s in slots:
                if self._stop:
                    s.kill()
                else:
                    s.close()

    def _collect(self, slot: Slot, ctx, initargs) -> Slot:
        """Write what a slot finished; replace its worker after a crash or timeout."""
        for task, fut in slot.pop_done():
            exc = fut.exception()
            if exc is None:
                self._record(fut.result())
                continue
            if isinstance(exc, BrokenProcessPool):
                # the head of an in-order queue is the document the worker died on
                requeue = slot.kill()
                self._retry.extend(requeue)
                if task.attempts == 0:
                    task.attempts = 1
                    self._retry.appendleft(task)  # once more, in case it was not its fault
                else:
                    self.stats.crashes += 1
                    self._record_error(task, "worker crashed while extracting (killed by a signal or out of memory)")
                return self._restart(ctx, initargs)
            self._record_error(task, f"worker error {type(exc).__name__}: {_one_line(exc)}")
        if slot.overdue(self.opt.timeout):
            task = slot.tasks[0][0]
            requeue = [t for t in slot.kill() if t is not task]
            self._retry.extend(requeue)
            self.stats.timeouts += 1
            self._record_error(task, f"timeout: still running after {self.opt.timeout:g}s")
            return self._restart(ctx, initargs)
        return slot

    def _restart(self, ctx, initargs) -> Slot:
        s = Slot(ctx, initargs)
        s.ready()
        return s

    # -- signals ----------------------------------------------------------

    def _install_signals(self) -> dict:
        """First Ctrl-C/SIGTERM: finish writing and stop; a second Ctrl-C: stop now."""
        if threading.current_thread() is not threading.main_thread():
            return {}

        def on_signal(signum, frame):
            if self._stop:
                raise KeyboardInterrupt
            self._stop = True

        old = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                old[sig] = signal.signal(sig, on_signal)
            except (ValueError, OSError):  # pragma: no cover
                pass
        return old

    def _restore_signals(self, old: dict) -> None:
        for sig, handler in old.items():
            signal.signal(sig, handler)

    # -- progress ---------------------------------------------------------

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

    # -- summary ----------------------------------------------------------

    def _summary(self, elapsed: float, yoy: dict, interrupted: bool, discovery: Discovery, workers: int) -> dict:
        st = self.stats
        return {
            "out": str(self.out),
            "pipeline_version": PIPELINE_VERSION,
            "interrupted": interrupted,
            "workers": workers,
            "documents": {
                "seen": st.seen,
                "processed": st.processed,
                "skipped_done": st.skipped,
                "duplicates": st.duplicates,
                "timeouts": st.timeouts,
                "worker_crashes": st.crashes,
                "ignored_files": dict(discovery.ignored),
            },
            "by_status": dict(st.status.most_common()),
            "by_template": dict(st.template.most_common()),
            "failing_rules": st.failing.most_common(10),
            "llm": {"calls": st.llm_calls, "tokens": st.llm_tokens, "cost_usd": round(st.llm_cost, 6) if st.llm_cost_known else None},
            "seconds": round(elapsed, 3),
            "docs_per_second": round(st.processed / elapsed, 2) if elapsed > 0 else None,
            "peak_rss_mb": {
                "main": round(_maxrss_kb(resource.RUSAGE_SELF) / 1024, 1) if resource else None,
                "worker_max": round(st.worker_rss_kb / 1024, 1),
                "children_max": round(_maxrss_kb(resource.RUSAGE_CHILDREN) / 1024, 1) if resource else None,
            },
            "cpu_seconds": self._cpu(),
            "year_over_year": yoy,
            "database": self.store.totals(),
            "notes": self.notes,
        }


    def _cpu(self) -> dict:
        """CPU time, which (unlike docs/s) does not depend on what else the machine runs."""
        workers = sum(self.stats.worker_cpu.values())
        main = None
        if resource is not None:
            ru = resource.getrusage(resource.RUSAGE_SELF)
            main = round(ru.ru_utime + ru.ru_stime, 2)
        n = max(self.stats.processed, 1)
        return {
            "main": main,
            "workers": round(workers, 2),
            "main_ms_per_doc": round(1000 * (main or 0) / n, 2),
            "workers_ms_per_doc": round(1000 * workers / n, 2),
        }


def run_batch(inputs, options: BatchOptions, config: Optional[Config] = None, extract: ExtractRef = DEFAULT_EXTRACT) -> dict:
    """Process ``inputs`` into ``options.out``; returns the summary (also in summary.json)."""
    return BatchRunner(options, config, extract).run(inputs)


# --- printing -----------------------------------------------------------------


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


# --- CLI ----------------------------------------------------------------------


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
@click.option("--out", "-o", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output directory (results.jsonl, nianbao.duckdb).")
@click.option("--workers", "-w", type=click.IntRange(min=0), default=None, help="Worker processes [default: number of cores; 0 = in this process].")
@click.option("--concurrency", type=click.IntRange(min=1), default=None, help="LLM requests in flight per worker.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TIMEOUT, show_default=True, help="Seconds per document before it is recorded as an error.")
@click.option("--max-bytes", type=ByteSize(), default="100MB", show_default=True, help="Larger documents are recorded as errors, unread.")
@click.option("--parquet", is_flag=True, help="Also export reports/cells/checks as parquet files.")
@click.option("--retry-errors", is_flag=True, help="Re-process documents recorded with status error.")
@click.option("--backend", type=click.Choice(["parser", "llm", "auto"]), default=None, help="Extraction backend.")
@click.option("--base-url", default=None, help="OpenAI-compatible endpoint for the LLM backend.")
@click.option("--model", default=None, help="Model name for the LLM backend.")
@click.option("--mode", type=click.Choice(["tools", "json_schema", "md_json"]), default=None, help="How the LLM returns structured output.")
@click.option("--max-retries", type=click.IntRange(min=0), default=None, help="LLM re-asks after a validation or check failure.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="LLM answer cache.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the LLM cache.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Config file (TOML).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--extract", "extract_ref", default=DEFAULT_EXTRACT, hidden=True, help="module:function used instead of extractor.pipeline:extract.")
@click.pass_context
def batch_command(ctx, inputs, out, workers, concurrency, timeout, max_bytes, parquet, retry_errors, backend, base_url, model, mode, max_retries, cache_dir, no_cache, config_path, no_progress, extract_ref):
    """Extract every report in INPUT... (files, directories, globs, zip/tar, .jsonl manifests) into --out.

    Re-running the same command resumes: documents already in the database for
    this pipeline version are skipped.
    """
    try:
        check_inputs(inputs)
        config = _config_from_ctx(
            ctx, config_path, backend=backend, base_url=base_url, model=model, concurrency=concurrency,
            mode=mode, max_retries=max_retries, cache_dir=cache_dir, no_cache=no_cache,
        )
        options = BatchOptions(out=out, workers=workers, timeout=timeout, max_bytes=max_bytes, parquet=parquet, retry_errors=retry_errors, progress=not no_progress)
        summary = run_batch(inputs, options, config, extract_ref)
    except NianbaoError as e:
        raise click.ClickException(str(e)) from None
    print_summary(summary)
    if summary["interrupted"]:
        ctx.exit(130)


def _db_path(db: Path) -> Path:
    return db / outputs.DB_NAME if db.is_dir() else db


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
            path = Path(db)
            if not path.exists():
                raise BatchError(f"no such database: {db}")
            con = outputs.open_db(_db_path(path), read_only=True)
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


if __name__ == "__main__":  # python -m extractor.batch: run the importable copy, so workers can unpickle it
    from extractor.batch import batch_command as _cmd

    _cmd()
