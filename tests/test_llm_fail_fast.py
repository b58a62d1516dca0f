"""Failing fast: an endpoint that cannot be reached costs no retries, no calls, no minutes.

Connection refused (a free localhost port), DNS failure (a ``.invalid`` name,
which fails locally) and a TLS error (https to the plain-HTTP fake server)
give up at once and keep the parser's result with one line saying why. The
endpoint's health belongs to the caller: one per ``extract`` call unless one
is passed, one per ``batch`` run. Transient errors (429, 5xx, timeouts) keep
their bounded backoff (``test_llm_transport``).
"""

from __future__ import annotations

import json
import shutil
import socket
import time
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from extractor import Config, extract_path
from extractor.batch import BatchOptions, batch_command, run_batch
from extractor.llm.health import EndpointHealth
from tests.fake_openai import GOLDENS, test_config

STEM = "003_fbcc47a07046e9b4"  # OCR damage: the parser leaves sections unverified, so auto asks the LLM
KEPT = "kept the parser's result"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dead_url() -> str:
    return f"http://127.0.0.1:{_free_port()}/v1"


def _config(url: str, **kw) -> Config:
    """Production defaults (120 s transport budget, 1 s first backoff): nothing is tuned down."""
    return Config(base_url=url, model="m", no_cache=True, **kw)


def _parser_only():
    return extract_path(GOLDENS / f"{STEM}.txt", Config(backend="parser"))


@pytest.mark.parametrize(
    "kind",
    ["refused", "dns", "tls"],
)
def test_an_unreachable_endpoint_keeps_the_parser_result_at_once(kind, fake_llm):
    url = {
        "refused": _dead_url(),
        "dns": "http://nianbao-dead.invalid/v1",
        "tls": fake_llm.base_url.replace("http://", "https://"),
    }[kind]
    why = {"refused": "(connection refused)", "dns": "(DNS lookup failed", "tls": "(TLS error"}[kind]
    t0 = time.monotonic()
    r = extract_path(GOLDENS / f"{STEM}.txt", _config(url))
    elapsed = time.monotonic() - t0
    assert elapsed < 10, f"{elapsed:.1f} s"
    parser = _parser_only()
    assert r.tables == parser.tables and r.status == parser.status
    assert r.llm.calls == 0 and r.llm.retries == 0
    assert len(r.llm.errors) == 1
    reason = r.llm.errors[0]
    assert reason.startswith(f"LLM endpoint {url} unreachable {why}") and "\n" not in reason
    assert [w for w in r.warnings if "unreachable" in w] == [f"{reason}; {KEPT}"]
    if kind == "tls":  # the fake server saw a TLS handshake, not a chat request
        assert fake_llm.calls() == []


def test_the_health_is_the_callers_not_the_modules():
    url = _dead_url()
    first = extract_path(GOLDENS / f"{STEM}.txt", _config(url))
    again = extract_path(GOLDENS / f"{STEM}.txt", _config(url))  # a new call tries again: no hidden state
    assert first.model_dump(exclude={"timings", "ingest"}) == again.model_dump(exclude={"timings", "ingest"})

    health = EndpointHealth()
    extract_path(GOLDENS / f"{STEM}.txt", _config(url), health)
    assert "connection refused" in (health.dead(url) or "")
    t0 = time.monotonic()
    later = extract_path(GOLDENS / f"{STEM}.txt", _config(url), health)  # the same run: not tried again
    assert time.monotonic() - t0 < 2
    assert later.llm.calls == 0 and later.llm.errors == first.llm.errors
    assert health.dead(url.rstrip("/") + "/") == health.dead(url)


def test_nianbao_extract_says_why_in_one_line_per_file(tmp_path):
    url = _dead_url()
    files = []
    for i in range(3):
        p = tmp_path / f"r{i}.txt"
        shutil.copy(GOLDENS / f"{STEM}.txt", p)
        files.append(str(p))
    from extractor.cli import main

    t0 = time.monotonic()
    r = CliRunner().invoke(main, ["extract", *files, "--base-url", url, "--model", "m", "--no-cache"])
    assert time.monotonic() - t0 < 10
    lines = [l for l in r.stderr.splitlines() if "unreachable" in l]
    assert len(lines) == 3 and all(l.endswith(f"unreachable (connection refused); {KEPT}") for l in lines)
    assert "LLM: 0 calls" in r.stderr


def _corpus(tmp_path: Path, n: int) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    base = (GOLDENS / f"{STEM}.txt").read_text(encoding="utf-8")
    for i in range(n):
        (d / f"d{i}.txt").write_text(base + f"\n附{i}\n", encoding="utf-8")
    return d


@pytest.mark.parametrize("workers", [2, 0])
def test_a_batch_with_a_dead_endpoint_says_so_once_and_goes_parser_only(tmp_path, workers):
    n = 6
    d, out, url = _corpus(tmp_path, n), tmp_path / "out", _dead_url()
    t0 = time.monotonic()
    r = CliRunner().invoke(batch_command, [str(d), "--out", str(out), "--workers", str(workers), "--no-progress",
                                           "--base-url", url, "--model", "m", "--no-cache"])
    elapsed = time.monotonic() - t0
    assert r.exit_code == 0, r.output
    assert elapsed < 30, f"{elapsed:.1f} s"  # workers start in a few seconds; the endpoint costs ~nothing
    assert r.output.count("unreachable") == 1, r.output  # reported once
    summary = json.loads((out / "summary.json").read_text())
    assert summary["documents"]["processed"] == n and summary["llm"]["calls"] == 0
    assert [n_ for n_ in summary["notes"] if "unreachable" in n_] == [
        f"LLM endpoint {url} unreachable (connection refused): the rest of the run went parser-only"]
    results = [json.loads(l) for l in (out / "results.jsonl").read_bytes().splitlines()]
    parser = _parser_only()
    for res in results:
        assert res["llm"]["calls"] == 0 and res["status"] == parser.status.value
        assert res["tables"] == parser.tables
        assert f"LLM endpoint {url} unreachable (connection refused); {KEPT}" in res["warnings"]
    con = duckdb.connect(str(out / "nianbao.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT sum(llm_calls) FROM reports").fetchone() == (0,)
    finally:
        con.close()


def test_the_parent_passes_the_dead_endpoint_on_to_later_documents(tmp_path, monkeypatch):
    """After the first report of a dead endpoint, later tasks go out marked: no worker tries again."""
    from extractor.batch import run as run_mod

    seen: list = []
    real = run_mod.BatchRunner._next_task

    def spy(self, items):
        task = real(self, items)
        if task is not None:
            seen.append(task.endpoint_down)
        return task

    monkeypatch.setattr(run_mod.BatchRunner, "_next_task", spy)
    d, out, url = _corpus(tmp_path, 8), tmp_path / "out", _dead_url()
    run_batch([str(d)], BatchOptions(out=out, workers=0, progress=False), _config(url))
    assert len(seen) == 8 and seen[0] is None and all(s and "unreachable" in s for s in seen[1:])
