"""The answer cache (zero calls on a re-run), ``nianbao config`` and ``nianbao cache``."""

from __future__ import annotations

import json

import click
from click.testing import CliRunner

from extractor.config import load_config
from extractor.llm.cache import AnswerCache, cache_directory
from extractor.llm.cli import cache_command, config_command, config_from_options, llm_options, overrides
from extractor.pipeline import extract_path
from tests.fake_openai import GOLDENS, test_config

STEM = "000_5f327aea0ae552b3"


def run(config):
    return extract_path(GOLDENS / f"{STEM}.txt", config)


def test_a_second_run_costs_zero_calls(fake_llm, tmp_path):
    cfg = test_config(fake_llm, backend="llm", no_cache=False, cache_dir=tmp_path)
    first = run(cfg)
    assert first.llm.calls >= 3 and first.llm.cache_hits == 0
    served = len(fake_llm.calls())
    second = run(cfg)
    assert second.llm.calls == 0 and second.llm.prompt_tokens == 0 and second.llm.cache_hits == 3
    assert len(fake_llm.calls()) == served
    assert second.tables == first.tables and second.status == first.status


def test_the_key_covers_model_and_no_cache_bypasses(fake_llm, tmp_path):
    cfg = test_config(fake_llm, backend="llm", no_cache=False, cache_dir=tmp_path)
    run(cfg)
    other_model = run(cfg.model_copy(update={"model": "another-model"}))
    assert other_model.llm.calls >= 3 and other_model.llm.cache_hits == 0
    bypass = run(cfg.model_copy(update={"no_cache": True}))
    assert bypass.llm.calls >= 3 and bypass.llm.cache_hits == 0
    with AnswerCache(cache_directory(cfg)) as cache:
        assert cache.stats()["entries"] == 6  # two models × three sections; --no-cache stored nothing


def test_cache_command_shows_stats_and_clears(fake_llm, tmp_path):
    run(test_config(fake_llm, backend="llm", no_cache=False, cache_dir=tmp_path))
    runner = CliRunner()
    out = runner.invoke(cache_command, ["--cache-dir", str(tmp_path), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["entries"] == 3
    out = runner.invoke(cache_command, ["--cache-dir", str(tmp_path), "--clear"])
    assert out.exit_code == 0 and "cleared  3 entries" in out.output
    out = runner.invoke(cache_command, ["--cache-dir", str(tmp_path), "--json"])
    assert json.loads(out.output)["entries"] == 0


def test_config_command_masks_the_key_and_names_the_sources(tmp_path, monkeypatch):
    cfg_file = tmp_path / "config.toml"
    cfg_file.write_text('[nianbao]\nmodel = "from-file"\nmode = "md_json"\nprices = {prompt = 0.5}\n',
                        encoding="utf-8")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-abcdef123456")
    monkeypatch.setenv("NIANBAO_BASE_URL", "http://env.example/v1")
    out = CliRunner().invoke(config_command, ["--config", str(cfg_file), "--concurrency", "9", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert "sk-secret-abcdef123456" not in out.output and data["api_key"]["value"] == "sk-…3456"
    assert data["api_key"]["source"] == "env OPENAI_API_KEY"
    assert data["base_url"] == {"value": "http://env.example/v1", "source": "env NIANBAO_BASE_URL"}
    assert data["model"]["value"] == "from-file" and data["model"]["source"].startswith("file ")
    assert data["concurrency"] == {"value": 9, "source": "flag"}
    assert data["backend"]["effective"] == "auto"
    assert data["prompts"]["versions"]["applications"] == "1"
    text = CliRunner().invoke(config_command, ["--config", str(cfg_file)]).output
    assert "sk-…3456" in text and "secret" not in text


def test_llm_options_give_overrides_for_load_config():
    seen = {}

    @click.command()
    @llm_options
    def cmd(config_path, **kw):
        seen["overrides"] = overrides(**kw)
        seen["config"] = config_from_options(config_path, **kw)

    res = CliRunner().invoke(cmd, ["--model", "m", "--mode", "json_schema", "--no-cache", "--max-retries", "1",
                                   "--config", "/nonexistent.toml"])
    assert res.exit_code == 0, res.output
    assert seen["overrides"] == {"model": "m", "mode": "json_schema", "no_cache": True, "max_retries": 1}
    cfg = seen["config"]
    assert (cfg.model, cfg.mode, cfg.no_cache, cfg.max_retries) == ("m", "json_schema", True, 1)
    CliRunner().invoke(cmd, [])
    assert seen["overrides"] == {}  # unset flags never override the environment or the file
    assert load_config(env={"NIANBAO_NO_CACHE": "1", "NIANBAO_MAX_TRANSPORT_SECONDS": "7"}).no_cache
