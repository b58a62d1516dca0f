"""One batch run: feed tasks to the workers, write results as they arrive, commit in groups.

The database is the source of truth for "done", so re-running the same
command resumes; ``results.jsonl`` is synced before the rows that point at it.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Optional

from .. import version as version_mod
from . import outputs
from ..config import Config
from ..llm.health import EndpointHealth
from .outputs import Group
from .errors import BatchError, _one_line
from .inputs import Discovery, Item, Task, load
from .pool import DEPTH, Slot, _maxrss_kb, _mp_context
from .progress import ProgressMixin
from .work import DEFAULT_EXTRACT, ExtractRef, Prepared, error_result, finish, process, resolve_extract

try:  # Unix only; peak memory is reported as unknown elsewhere
    import resource
except ImportError:  # pragma: no cover
    resource = None  # type: ignore[assignment]

DEFAULT_TIMEOUT = 300.0
DEFAULT_MAX_BYTES = 100 * 1024 * 1024
# seconds a finished document may wait for its commit group: DuckDB's commit costs
# per group as much as ~40 documents' rows, so groups of ~100 halve the main
# process's CPU per document against groups of ~25 (measured)
COMMIT_INTERVAL = 2.0
COMMIT_MAX = 500  # documents per commit group at most


@dataclass
class BatchOptions:
    out: Path
    workers: Optional[int] = None  # None: one per core; 0: in this process
    timeout: float = DEFAULT_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES
    parquet: bool = False
    retry_errors: bool = False
    reprocess: bool = False  # extract every document again, whatever the database holds
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


class BatchRunner(ProgressMixin):
    """Runs one batch: discovery → load/skip → workers → writers → summary."""

    def __init__(self, options: BatchOptions, config: Optional[Config] = None, extract: ExtractRef = DEFAULT_EXTRACT):
        self.opt = options
        self.config = config or Config()
        self.version = version_mod.pipeline_version()  # read once per run; results carry it
        self.health = EndpointHealth()  # --workers 0; workers keep their own (see work.py)
        self.endpoint_down: Optional[str] = None  # a worker found the LLM endpoint unreachable
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
        for note in (self.store.recover_compaction(self.log.path), self.log.repair(self.store.committed_end())):
            if note:
                self.notes.append(note)
        self.log.open()
        # "done" = a report row with this exact pipeline version (code + prompts hash)
        self.done = set() if self.opt.reprocess else self.store.done_ids(self.version, self.opt.retry_errors)
        self.stale = self.store.all_ids() - self.done  # in the DB, but to be redone
        self.seen: set[str] = set()

    # -- writing ----------------------------------------------------------

    def _record(self, p: Prepared) -> None:
        if p.endpoint_down and self.endpoint_down is None:
            self.endpoint_down = p.endpoint_down  # from now on every task carries it (see work.py)
            self.notes.append(f"{p.endpoint_down}: the rest of the run went parser-only")
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
        if len(self._group) >= self.opt.commit_max:
            self._maybe_commit()  # the run loops commit on time, after refilling the workers

    def _maybe_commit(self, force: bool = False) -> None:
        n = len(self._group)
        if not n:
            return
        if force or n >= self.opt.commit_max or time.monotonic() - self._group_since >= self.opt.commit_interval:
            self.log.sync()  # the lines are durable before the rows that point at them
            self.store.write(self._group, self._group_replace)
            self._group, self._group_replace = Group(), []

    def _record_error(self, task: Task, reason: str) -> None:
        self._record(finish(error_result(task, reason), task, version=self.version))

    # -- feeding ----------------------------------------------------------

    def _next_task(self, items: Iterator[Item]) -> Optional[Task]:
        """The next document a worker should get; skips, dedupes and records failures on the way."""
        if self._retry:
            task = self._retry.popleft()
            task.endpoint_down = self.endpoint_down
            return task
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
            task.endpoint_down = self.endpoint_down
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
            if self.store.superseded():
                note = self.store.compact_log(self.log.path)
                if note:
                    self.notes.append(note)
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
                p = process(extract, self.config, task, self.version, self.health)
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
        ctx = _mp_context(llm=self.config.effective_backend != "parser")
        initargs = (extract_ref, self.config, os.getpid(), self.version, max(1, default_workers() // workers))
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
                self._maybe_commit()  # with every queue full, so no worker idles while DuckDB commits
                in_flight = [f for s in slots for f in s.futures()]
                if not in_flight:
                    if self._retry:
                        continue
                    break  # inputs exhausted, nothing running
                wait(in_flight, timeout=0.25, return_when=FIRST_COMPLETED)
                for i, s in enumerate(slots):
                    slots[i] = self._collect(s, ctx, initargs)
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

    # -- summary ----------------------------------------------------------

    def _summary(self, elapsed: float, yoy: dict, interrupted: bool, discovery: Discovery, workers: int) -> dict:
        st = self.stats
        return {
            "out": str(self.out),
            "pipeline_version": self.version,
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
