"""Answer cache: a re-run of the same section against the same setup costs nothing.

diskcache (SQLite on disk, safe across processes) keyed by everything that
can change an answer: endpoint, model, instructor mode, prompt version,
``SCHEMA_VERSION`` and the answer schema's hash, the layout, and the hash of
the section's text. Only accepted answers are stored; failures are retried
next time.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any, Optional

import diskcache

from ..config import Config
from ..models import SCHEMA_VERSION

_SUBDIR = "llm"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_key(config: Config, *, layout_name: str, prompt_version: str, schema_hash: str, text: str) -> str:
    parts = {
        "endpoint": (config.base_url or "").rstrip("/"),
        "model": config.model,
        "mode": config.mode,
        "prompt": prompt_version,
        "schema_version": SCHEMA_VERSION,
        "answer_schema": schema_hash,
        "layout": layout_name,
        "text": text_hash(text),
    }
    blob = json.dumps(parts, sort_keys=True)
    return "answer:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()


def cache_directory(config: Config) -> Path:
    return config.cache_path() / _SUBDIR


class AnswerCache:
    """A thin wrapper over ``diskcache.Cache`` with stats for ``nianbao cache``."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._cache = diskcache.Cache(str(self.directory))
        self._cache.stats(enable=True)

    @classmethod
    def for_config(cls, config: Config) -> Optional["AnswerCache"]:
        return None if config.no_cache else cls(cache_directory(config))

    def get(self, key: str) -> Optional[dict[str, Any]]:
        return self._cache.get(key)

    def put(self, key: str, answer: dict[str, Any], **meta: Any) -> None:
        self._cache.set(key, {"answer": answer, "stored": time.time(), **meta})

    def stats(self) -> dict[str, Any]:
        hits, misses = self._cache.stats()
        return {
            "directory": str(self.directory),
            "entries": len(self._cache),
            "size_bytes": self._cache.volume(),
            "hits": hits,
            "misses": misses,
        }

    def clear(self) -> int:
        n = self._cache.clear()
        self._cache.stats(reset=True)
        return n

    def close(self) -> None:
        self._cache.close()

    def __enter__(self) -> "AnswerCache":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
