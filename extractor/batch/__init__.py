"""Batch-process crawled archives into results.jsonl + DuckDB (``nianbao batch``).

One job per module: ``inputs`` (discovery, reading, hashing), ``work`` (one
document), ``pool`` (worker processes), ``run`` (the loop: resume, commit
groups, stats), ``outputs`` (results.jsonl, DuckDB, parquet), ``progress``
(bar and summary) and ``cli``. Other code imports from here. What counts as
done is a report row whose ``pipeline_version`` equals
``extractor.version.pipeline_version()`` (release + hash of the code and
prompts), read once per run; ``PIPELINE_VERSION`` here is that value.
"""

from __future__ import annotations

from .cli import ByteSize, batch_command, merge_command, panel_command, query_command
from .errors import BatchError
from .inputs import (
    ARCHIVE_SUFFIXES,
    CHUNK,
    ID_LENGTH,
    IGNORED_SUFFIXES,
    MANIFEST_SUFFIX,
    Discovery,
    Item,
    Task,
    check_inputs,
    doc_id_of,
    has_glob,
    is_archive,
    load,
)
from .pool import DEPTH, STARTUP_TIMEOUT, Slot
from .progress import print_summary
from .run import (
    COMMIT_INTERVAL,
    COMMIT_MAX,
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    BatchOptions,
    BatchRunner,
    Stats,
    default_workers,
    run_batch,
)
from .work import DEFAULT_EXTRACT, ExtractFn, ExtractRef, Prepared, error_result, finish, process, resolve_extract



def __getattr__(name: str):
    if name == "PIPELINE_VERSION":  # computed, not a constant: read it at run time
        from ..version import pipeline_version

        return pipeline_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ARCHIVE_SUFFIXES",
    "CHUNK",
    "COMMIT_INTERVAL",
    "COMMIT_MAX",
    "DEFAULT_EXTRACT",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIMEOUT",
    "DEPTH",
    "ID_LENGTH",
    "IGNORED_SUFFIXES",
    "MANIFEST_SUFFIX",
    "PIPELINE_VERSION",
    "STARTUP_TIMEOUT",
    "BatchError",
    "BatchOptions",
    "BatchRunner",
    "ByteSize",
    "Discovery",
    "ExtractFn",
    "ExtractRef",
    "Item",
    "Prepared",
    "Slot",
    "Stats",
    "Task",
    "batch_command",
    "check_inputs",
    "default_workers",
    "doc_id_of",
    "error_result",
    "finish",
    "has_glob",
    "is_archive",
    "load",
    "print_summary",
    "process",
    "merge_command",
    "panel_command",
    "query_command",
    "resolve_extract",
    "run_batch",
]
