"""CLI pieces for the LLM backend: ``nianbao config``, ``nianbao cache``, shared options.

``llm_options`` adds the LLM flags to any command (extract, eval, batch) and
hands them to the command as keyword arguments, unchanged;
``config_from_options(config_path, **kw)`` (or ``overrides(**kw)`` for
``load_config``) turns them into the ``Config`` in force. An unset flag is
``None`` and never overrides the environment or the config file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import click

from ..config import Config, config_sources, load_config

OPTION_NAMES = ("backend", "base_url", "model", "mode", "max_retries", "concurrency", "cache_dir", "no_cache",
                "timeout")


def llm_options(f):
    """Decorator: ``--backend --base-url --model --mode --max-retries --concurrency
    --cache-dir --no-cache --timeout --config`` as keyword arguments of the command."""
    opts = [
        click.option("--backend", type=click.Choice(["parser", "llm", "auto"]), default=None,
                     help="parser: never call out; llm: send every table section; "
                          "auto (default with an endpoint): parser first, the LLM for what it cannot verify."),
        click.option("--base-url", default=None, help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1."),
        click.option("--model", default=None, help="Model name at that endpoint."),
        click.option("--mode", type=click.Choice(["tools", "json_schema", "md_json"]), default=None,
                     help="How the LLM returns structured output (instructor mode)."),
        click.option("--max-retries", type=int, default=None,
                     help="Re-asks after an invalid answer or a failing check."),
        click.option("--concurrency", type=int, default=None, help="LLM requests in flight at once."),
        click.option("--cache-dir", type=click.Path(path_type=Path), default=None, help="LLM answer cache directory."),
        click.option("--no-cache", is_flag=True, default=None, help="Neither read nor write the LLM cache."),
        click.option("--timeout", type=float, default=None, help="Seconds per LLM request."),
        click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
                     help="Config file (TOML, [nianbao] table)."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def overrides(**kw: Any) -> dict[str, Any]:
    """The flags that were given, as ``load_config`` overrides."""
    return {k: v for k, v in kw.items() if k in OPTION_NAMES and v is not None}


def config_from_options(config_path: Optional[Path] = None, **kw: Any) -> Config:
    return load_config(config_path, **overrides(**kw))


def mask(secret: Optional[str]) -> str:
    if not secret:
        return "(not set)"
    if len(secret) <= 8:
        return "****"
    return f"{secret[:3]}…{secret[-4:]}"


def describe_config(config: Config, sources: dict[str, str]) -> dict[str, Any]:
    """What is in force, key masked, for humans and ``--json``."""
    from .prompts import prompt_versions, prompts_dir

    data: dict[str, Any] = {}
    for name in Config.model_fields:
        value = getattr(config, name)
        if name == "api_key":
            value = mask(value.get_secret_value() if value else None)
        elif isinstance(value, Path):
            value = str(value)
        data[name] = {"value": value, "source": sources.get(name, "default")}
    data["backend"]["effective"] = config.effective_backend
    data["cache_dir"]["effective"] = str(config.cache_path() / "llm")
    data["prompts"] = {"value": str(prompts_dir()), "versions": prompt_versions()}
    return data


@click.command("config")
@llm_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def config_command(config_path, as_json, **kw):
    """Show the configuration in force (flags > environment > config file > defaults)."""
    config = config_from_options(config_path, **kw)
    sources = config_sources(config_path, **overrides(**kw))
    data = describe_config(config, sources)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    click.echo("nianbao configuration (flags > environment > config file > defaults)")
    for name, entry in data.items():
        if name == "prompts":
            continue
        value = entry["value"]
        shown = "(not set)" if value is None else (json.dumps(value) if isinstance(value, (dict, list)) else value)
        extra = ""
        if name == "backend":
            extra = f"  → {entry['effective']}"
        elif name == "cache_dir":
            extra = f"  → {entry['effective']}" + (" (disabled)" if config.no_cache else "")
        click.echo(f"  {name:24} {str(shown) + extra:44} [{entry['source']}]")
    versions = ", ".join(f"{k} v{v}" for k, v in data["prompts"]["versions"].items())
    click.echo(f"  {'prompts':24} {data['prompts']['value']} ({versions})")


@click.command("cache")
@click.option("--clear", is_flag=True, help="Delete every cached LLM answer.")
@click.option("--cache-dir", type=click.Path(path_type=Path), default=None, help="Cache directory.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None, help="Config file (TOML).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def cache_command(clear, cache_dir, config_path, as_json):
    """Show LLM answer-cache statistics, or clear it."""
    from .cache import AnswerCache, cache_directory

    config = load_config(config_path, cache_dir=cache_dir)
    with AnswerCache(cache_directory(config)) as cache:
        stats = cache.stats()
        if clear:
            stats["cleared"] = cache.clear()
    if as_json:
        click.echo(json.dumps(stats, indent=2))
        return
    click.echo(f"LLM answer cache: {stats['directory']}")
    click.echo(f"  entries  {stats['entries']}")
    click.echo(f"  size     {stats['size_bytes'] / 1024:.1f} KiB")
    click.echo(f"  hits     {stats['hits']}   misses {stats['misses']}  (since the last clear)")
    if clear:
        click.echo(f"  cleared  {stats['cleared']} entr{'y' if stats['cleared'] == 1 else 'ies'}")
