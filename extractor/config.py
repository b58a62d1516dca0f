"""Configuration in force: flags > environment > config file > defaults.

A ``Config`` is a plain value passed into ``extract``; nothing reads global
state, so a batch can ship it to worker processes or a cluster unchanged.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, Field, SecretStr

Backend = Literal["parser", "llm", "auto"]
Mode = Literal["tools", "json_schema", "md_json"]

DEFAULT_CONFIG_PATH = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "nianbao" / "config.toml"
DEFAULT_CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nianbao"


class Config(BaseModel):
    backend: Optional[Backend] = None  # None: auto when an endpoint is set, else parser
    base_url: Optional[str] = None
    model: Optional[str] = None
    api_key: Optional[SecretStr] = None
    mode: Mode = "tools"
    max_retries: int = 2  # re-asks after a validation or check failure
    timeout: float = 60.0  # seconds per HTTP request
    max_transport_seconds: float = 120.0  # bound on total time spent retrying transport errors
    concurrency: int = 4
    cache_dir: Optional[Path] = None
    no_cache: bool = False
    prices: dict[str, float] = Field(default_factory=dict)  # {"prompt": $/1M tokens, "completion": $/1M tokens}
    retry_base_seconds: float = 1.0  # first transport backoff wait; doubles per retry, with jitter
    retry_max_wait_seconds: float = 30.0  # cap on one backoff wait (Retry-After may ask for more)
    temperature: Optional[float] = 0.0  # None: do not send one (some reasoning models refuse it)
    agencies_file: Optional[Path] = None  # agencies.toml: printed name → agency_id, department short forms

    @property
    def effective_backend(self) -> Backend:
        if self.backend:
            return self.backend
        return "auto" if self.base_url and self.model else "parser"

    @property
    def llm_configured(self) -> bool:
        return bool(self.base_url and self.model)

    def cache_path(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else DEFAULT_CACHE_DIR


ENV_VARS = {
    "backend": "NIANBAO_BACKEND",
    "base_url": "NIANBAO_BASE_URL",
    "model": "NIANBAO_MODEL",
    "mode": "NIANBAO_MODE",
    "max_retries": "NIANBAO_MAX_RETRIES",
    "timeout": "NIANBAO_TIMEOUT",
    "concurrency": "NIANBAO_CONCURRENCY",
    "cache_dir": "NIANBAO_CACHE_DIR",
    "agencies_file": "NIANBAO_AGENCIES",
    "no_cache": "NIANBAO_NO_CACHE",
    "max_transport_seconds": "NIANBAO_MAX_TRANSPORT_SECONDS",
    "retry_base_seconds": "NIANBAO_RETRY_BASE_SECONDS",
}


def load_config(path: Optional[Path] = None, env: Optional[dict] = None, **overrides) -> Config:
    """Merge config file, environment and explicit overrides (None = unset)."""
    env = dict(os.environ if env is None else env)
    values: dict = {}
    cfg_path = Path(path) if path else Path(env.get("NIANBAO_CONFIG", DEFAULT_CONFIG_PATH))
    if cfg_path.is_file():
        with open(cfg_path, "rb") as fh:
            data = tomllib.load(fh)
        values.update(data.get("nianbao", data))
    for field, var in ENV_VARS.items():
        if env.get(var):
            values[field] = env[var]
    key = env.get("NIANBAO_API_KEY") or env.get("OPENAI_API_KEY")
    if key:
        values["api_key"] = key
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Config(**values)


def config_sources(path: Optional[Path] = None, env: Optional[dict] = None, **overrides) -> dict[str, str]:
    """Where each setting in force comes from: flag, env (variable), file (path) or default.

    Mirrors ``load_config``'s precedence, for ``nianbao config``.
    """
    env = dict(os.environ if env is None else env)
    sources = {name: "default" for name in Config.model_fields}
    cfg_path = Path(path) if path else Path(env.get("NIANBAO_CONFIG", DEFAULT_CONFIG_PATH))
    if cfg_path.is_file():
        with open(cfg_path, "rb") as fh:
            data = tomllib.load(fh)
        for name in data.get("nianbao", data):
            sources[name] = f"file {cfg_path}"
    for name, var in ENV_VARS.items():
        if env.get(var):
            sources[name] = f"env {var}"
    for var in ("NIANBAO_API_KEY", "OPENAI_API_KEY"):
        if env.get(var):
            sources["api_key"] = f"env {var}"
            break
    for name, v in overrides.items():
        if v is not None:
            sources[name] = "flag"
    return sources
