"""Extract functions for the cluster tests, importable by Dask workers (tests/ is on their path)."""

from __future__ import annotations

import os
import signal
import time

from extractor.pipeline import extract


def slow_extract(data: bytes, name: str, config):
    """The real extract, slowed so a worker can be killed while it works."""
    time.sleep(0.15)
    return extract(data, name, config)


def killer_extract(data: bytes, name: str, config):
    """Kills its own worker process on a document that asks for it."""
    if b"KILL-THE-WORKER" in data:
        os.kill(os.getpid(), signal.SIGKILL)
    return extract(data, name, config)
