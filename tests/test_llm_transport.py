"""Transport: 429 waited out (Retry-After), 5xx past the budget, timeouts, dead endpoints, 4xx fast."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from extractor.errors import LLMError
from extractor.llm import transport
from extractor.llm.client import LLMClient
from extractor.llm.health import EndpointHealth
from extractor.llm.layout import layout_for
from tests.fake_openai import seed_section, slow, status, test_config

STEM = "002_d0194d03ec3ce05d"


def _ask(config, section="review_litigation", health=None):
    sec = seed_section(STEM, section)

    async def run():
        async with LLMClient(config, health=health) as client:
            return await client.ask(layout_for(section, "2019"), sec.text)

    return asyncio.run(run())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_429_is_waited_out_honouring_retry_after(fake_llm):
    fake_llm.script(status(429, retry_after=0.3))
    reply = _ask(test_config(fake_llm))
    assert reply.error is None and reply.answer is not None
    first, second = fake_llm.calls()
    assert first["step"] == "status 429" and second["step"] == "ok"
    assert second["t"] - first["t"] >= 0.29  # the server's Retry-After, not the 0.01 s backoff
    usage = reply.usage.snapshot()
    assert usage.calls == 2 and usage.retries == 1


def test_500s_past_the_budget_fail_in_one_line(fake_llm):
    fake_llm.default = status(500)
    t0 = time.monotonic()
    with pytest.raises(LLMError) as err:
        _ask(test_config(fake_llm, max_transport_seconds=0.5))
    elapsed = time.monotonic() - t0
    msg = str(err.value)
    assert "\n" not in msg and "500" in msg and "gave up after" in msg
    assert len(fake_llm.calls()) >= 3  # retried with backoff …
    assert elapsed < 2.5  # … within the bound on total time (0.5 s budget + the last request)


def test_a_retry_after_beyond_the_budget_gives_up_at_once(fake_llm):
    fake_llm.default = status(429, retry_after=3600)
    t0 = time.monotonic()
    with pytest.raises(LLMError, match="Retry-After 3600 s exceeds the 5 s transport budget"):
        _ask(test_config(fake_llm))
    assert time.monotonic() - t0 < 1.0 and len(fake_llm.calls()) == 1


def test_a_slow_endpoint_times_out(fake_llm):
    fake_llm.default = slow(2.0)
    with pytest.raises(LLMError, match="timed out"):
        _ask(test_config(fake_llm, timeout=0.2, max_transport_seconds=0.5))


def test_a_timeout_then_an_answer_recovers(fake_llm):
    fake_llm.script(slow(1.0))
    reply = _ask(test_config(fake_llm, timeout=0.3))
    assert reply.answer is not None and reply.usage.retries == 1 and reply.usage.calls == 2


def test_a_dead_endpoint_is_one_line_and_then_skipped_fast():
    url = f"http://127.0.0.1:{_free_port()}/v1"
    cfg = test_config(None, base_url=url, max_transport_seconds=0.3)
    health = EndpointHealth()  # the run's, shared by its requests
    with pytest.raises(LLMError) as err:
        _ask(cfg, health=health)
    assert "unreachable" in str(err.value) and "\n" not in str(err.value)
    assert health.dead(url) == str(err.value)
    t0 = time.monotonic()
    with pytest.raises(transport.EndpointUnreachable, match="unreachable"):
        _ask(cfg, health=health)
    assert time.monotonic() - t0 < 0.5


@pytest.mark.parametrize("code,hint", [(401, "NIANBAO_API_KEY"), (404, "--base-url"), (400, "")])
def test_client_errors_fail_fast(fake_llm, code, hint):
    fake_llm.default = status(code, body="nope")
    with pytest.raises(LLMError) as err:
        _ask(test_config(fake_llm))
    assert f"answered {code}" in str(err.value) and hint in str(err.value)
    assert len(fake_llm.calls()) == 1


def test_retry_after_forms():
    class Resp:
        def __init__(self, headers):
            self.headers = headers

    class Err(Exception):
        def __init__(self, headers):
            self.response = Resp(headers)

    assert transport.retry_after(Err({"retry-after": "2"})) == 2.0
    assert transport.retry_after(Err({"retry-after-ms": "250"})) == 0.25
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 60))
    assert 55 <= transport.retry_after(Err({"retry-after": date})) <= 61
    assert transport.retry_after(Err({})) is None
