"""Worker processes: one single-process ``ProcessPoolExecutor`` per worker slot.

Each slot is fed at most ``DEPTH`` documents and runs them in order, so the
main process knows which document each worker is on: a timeout kills just
that worker, a crash is blamed on just that document, and the other slots
keep going. (A shared pool cannot do either: a dead worker breaks every
in-flight future and running tasks cannot be cancelled.) Workers get the
functions below by module path, so they must stay importable from here.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Iterator, Optional

from ..config import Config
from ..ingest import ocr
from ..llm.health import EndpointHealth
from .errors import BatchError
from .inputs import Task
from .work import ExtractRef, Prepared, process, resolve_extract, settle_process

try:  # Unix only; peak memory is reported as unknown elsewhere
    import resource
except ImportError:  # pragma: no cover
    resource = None  # type: ignore[assignment]

DEPTH = 2  # documents queued per worker: one running, one waiting, so workers never idle
STARTUP_TIMEOUT = 120.0


# --- in the worker process ---------------------------------------------------


_WORKER: dict[str, Any] = {}


def _worker_init(extract_ref: ExtractRef, config: Config, main_pid: int, version: str, threads: int = 1) -> None:
    """Worker start: ignore Ctrl-C (the main process decides), die with the main process.

    ``threads``: the worker's share of the cores for OCR; workers that each used every
    core would fight over them on scanned pages.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ocr.set_threads(threads)
    _WORKER["extract"] = resolve_extract(extract_ref)
    _WORKER["config"] = config
    _WORKER["version"] = version  # the main process's pipeline_version(), stamped on every result
    _WORKER["health"] = EndpointHealth()  # this worker's view of the LLM endpoint, for the whole run
    settle_process()
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
    p = process(_WORKER["extract"], _WORKER["config"], task, _WORKER["version"], _WORKER["health"])
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


# --- in the main process -----------------------------------------------------


def _mp_context(llm: bool = False):
    """forkserver where available: fast restarts, no fork of a threaded process holding DuckDB.

    ``llm``: the run may call an LLM, so the openai/instructor stack (seconds to
    import) is preloaded too instead of being imported by every worker.
    """
    methods = mp.get_all_start_methods()
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        # loaded once, shared copy-on-write by every worker and every restart
        preload = ["extractor.pipeline", "extractor.ingest", "extractor.batch.outputs", "pyarrow"]
        ctx.set_forkserver_preload(preload + (["extractor.llm.cascade"] if llm else []))
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
        try:
            fut = self.pool.submit(_worker_run, task)
        except BrokenProcessPool as e:
            # the worker died since the last look: this task waits behind the one it died
            # on, and is handed on with the rest of the queue when the crash is collected
            fut = Future()
            fut.set_exception(e)
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
