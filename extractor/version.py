"""The version recorded on every result: the release plus a hash of what produced it.

``pipeline_version()`` is ``"<release>+<12 hex digits>"``, the digits being a
sha256 over

* the release number (``RELEASE``, the package version),
* the bytes of every ``.py`` file of the ``extractor`` package (parser,
  template, checks, repair, ingest, LLM layer, batch …), sorted by their path
  relative to the package, each preceded by that path,
* the bytes of every file in the prompts directory in use
  (``NIANBAO_PROMPTS_DIR``, else ``prompts/`` beside the package), likewise.

So any edit to the code, the template or a prompt gives a new version, and
``nianbao batch`` re-extracts what an older version did (it compares this
string with the one stored per report). Nobody has to remember to bump it.
Settings (backend, model, endpoint) are not part of it: re-run with
``--reprocess`` after changing those.

Computed once per process (reading ~70 small files takes a few ms).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

RELEASE = "0.1.0"  # the package version (pyproject.toml)

PACKAGE_DIR = Path(__file__).resolve().parent


def _prompts_dir() -> Path:
    from .llm.prompts import prompts_dir  # lazily: models imports this module

    return prompts_dir()


def _hash_tree(h, root: Path, pattern: str, label: str) -> int:
    """Feed every file under ``root`` matching ``pattern`` (sorted by relative path) into ``h``."""
    if not root.is_dir():
        h.update(f"{label}:missing\0".encode())
        return 0
    files = sorted(
        (p.relative_to(root).as_posix(), p)
        for p in root.rglob(pattern)
        if p.is_file() and "__pycache__" not in p.parts
    )
    for rel, path in files:
        h.update(f"{label}:{rel}\0".encode("utf-8"))
        h.update(path.read_bytes())
        h.update(b"\0")
    return len(files)


def code_hash(package_dir: Path = PACKAGE_DIR, prompts_dir: Path | None = None) -> str:
    """12 hex digits over the package's ``.py`` files and the prompt files (not cached)."""
    h = hashlib.sha256(f"nianbao {RELEASE}\0".encode())
    _hash_tree(h, Path(package_dir), "*.py", "extractor")
    _hash_tree(h, Path(prompts_dir) if prompts_dir is not None else _prompts_dir(), "*", "prompts")
    return h.hexdigest()[:12]


@cache
def pipeline_version() -> str:
    """``"0.1.0+1a2b3c4d5e6f"``: what ``Result.pipeline_version`` and ``nianbao batch`` record."""
    return f"{RELEASE}+{code_hash()}"
