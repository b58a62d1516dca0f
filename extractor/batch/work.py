"""The work for one document: ``Task`` → ``Prepared`` (its JSON line and table rows).

Kept apart from the pool because the same code runs in a worker process and,
with ``--workers 0`` or for a document that failed before extraction, in the
main process.

A dead LLM endpoint is found once per run, like this: each worker process
(or the main process, with ``--workers 0``) keeps one ``EndpointHealth`` for
all its documents and passes it to ``extract`` (if the function takes a
``health`` argument, as ``extractor.pipeline.extract`` does). When a document
finds the endpoint unreachable, its ``Prepared.endpoint_down`` carries the
reason back to the main process, which notes it once and from then on sets
``Task.endpoint_down`` on every task it hands out; a worker receiving such a
task marks its own health dead before extracting, so the document goes
parser-only at once with the reason among its warnings (an ``extract``
without a ``health`` argument gets a ``backend="parser"`` config instead).
At most the documents already in flight when the first one failed try the
endpoint themselves, and each of those fails in milliseconds.
"""

from __future__ import annotations

import importlib
import inspect
import time
from dataclasses import dataclass
from typing import Callable, Optional, Union

from .. import version as version_mod
from ..config import Config
from ..llm.health import EndpointHealth
from ..models import Result, Status
from .outputs import DocRows, doc_rows
from .errors import BatchError, _one_line
from .inputs import Task

ExtractFn = Callable[[bytes, str, Config], Result]
ExtractRef = Union[str, ExtractFn]

DEFAULT_EXTRACT = "extractor.pipeline:extract"


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
    endpoint_down: Optional[str] = None  # the LLM endpoint was found unreachable (one-line reason)


def error_result(task: Task, reason: str, status: Status = Status.error) -> Result:
    return Result(id=task.doc_id, source=task.source, content_hash=task.content_hash, status=status, reason=reason)


def finish(result: Result, task: Task, seconds: Optional[float] = None, version: Optional[str] = None) -> Prepared:
    """Stamp the batch's identity on a result and turn it into rows.

    ``version`` is the run's ``pipeline_version()`` (computed once by the main
    process and handed to the workers): what "done" is compared with on resume.
    """
    result.id = task.doc_id
    result.content_hash = task.content_hash
    result.source = task.source
    result.pipeline_version = version or version_mod.pipeline_version()
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


def process(extract: ExtractFn, config: Config, task: Task, version: Optional[str] = None,
            health: Optional[EndpointHealth] = None) -> Prepared:
    """Run ``extract`` on one task; an exception becomes an ``error`` result.

    ``health`` is the process's record of the LLM endpoint for this run (see
    the module docstring); ``task.endpoint_down`` marks it dead first.
    """
    t0 = time.perf_counter()
    takes_health = health is not None and accepts_health(extract)
    if task.endpoint_down and config.effective_backend != "parser":
        if takes_health:
            health.mark_dead(config.base_url, task.endpoint_down)
        else:
            config = config.model_copy(update={"backend": "parser"})
    try:
        if takes_health:
            result = extract(task.data or b"", task.name, config, health=health)
        else:
            result = extract(task.data or b"", task.name, config)
        if not isinstance(result, Result):
            raise TypeError(f"extract returned {type(result).__name__}, not Result")
    except Exception as e:
        result = error_result(task, f"extract raised {type(e).__name__}: {_one_line(e)}")
    p = finish(result, task, time.perf_counter() - t0, version)
    if health is not None:
        p.endpoint_down = health.dead(config.base_url)
    return p


def settle_process() -> None:
    """Once per worker process, before its first document: load what lives as long as the
    worker (the division registry) and move it, with the modules imported so far, out of the
    collector's generations, so full collections stop walking them (they ran every ~70
    documents). The local pool and the cluster engine's workers both do this."""
    import gc

    from ..agency import registry

    registry()
    gc.freeze()


def accepts_health(fn: ExtractFn) -> bool:
    """Does ``fn`` take a ``health`` argument (the run's ``EndpointHealth``)?"""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "health" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


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
