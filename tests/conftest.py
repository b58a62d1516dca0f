"""Fixtures shared by every test module.

* The environment is isolated: no ``NIANBAO_*`` or ``OPENAI_API_KEY`` from the
  shell running the tests, and HOME / XDG folders point into a temporary
  directory, so the user's ``~/.config/nianbao/config.toml`` and
  ``~/.cache/nianbao`` are never read or written.
* ``fake_llm``: a fake OpenAI-compatible endpoint answering from goldens/
  (see ``tests/fake_openai.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fake_openai import GOLDENS, FakeOpenAI, _warm_up

ISOLATED_VARS = ("OPENAI_API_KEY", "OPENAI_BASE_URL")


def _leaking_vars() -> list[str]:
    return [v for v in os.environ if v.startswith("NIANBAO_") or v in ISOLATED_VARS]


def _isolate(mp: pytest.MonkeyPatch, home: Path) -> None:
    for var in _leaking_vars():
        mp.delenv(var)
    config, cache = home / ".config", home / ".cache"
    config.mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
    mp.setenv("HOME", str(home))
    mp.setenv("XDG_CONFIG_HOME", str(config))
    mp.setenv("XDG_CACHE_HOME", str(cache))
    # extractor.config computes its defaults from HOME/XDG_* at import time.
    import extractor.config

    mp.setattr(extractor.config, "DEFAULT_CONFIG_PATH", config / "nianbao" / "config.toml")
    mp.setattr(extractor.config, "DEFAULT_CACHE_DIR", cache / "nianbao")


@pytest.fixture(scope="session", autouse=True)
def _isolated_session(tmp_path_factory):
    """Session-wide isolation, in force before module-scoped fixtures run."""
    with pytest.MonkeyPatch.context() as mp:
        _isolate(mp, tmp_path_factory.mktemp("home"))
        yield


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch):
    """Per test: whatever a previous test or fixture left, no NIANBAO_*/OPENAI_* variable."""
    for var in _leaking_vars():
        monkeypatch.delenv(var)
    assert Path(os.environ["HOME"]).name.startswith("home")  # the session's temporary HOME


@pytest.fixture
def fake_llm():
    """A fresh fake endpoint answering from goldens/ (endpoint health is per client or call)."""
    with FakeOpenAI(goldens=GOLDENS) as fake:
        _warm_up(fake)
        yield fake
