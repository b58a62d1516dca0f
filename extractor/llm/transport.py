"""Transport retries: one tenacity policy for 429, 5xx, timeouts, dropped connections.

The openai client's own retries are off (``max_retries=0``) so this is the only
policy and its time bound holds: exponential backoff with full jitter, a
``Retry-After`` header honoured when the server sends one, and the whole
thing bounded by ``Config.max_transport_seconds``. Anything else (401, 404,
400 …) fails at once with a one-line ``LLMError``.

An endpoint that cannot be reached at all (connection refused, DNS failure,
TLS error, no route to it) is not retried: ``EndpointUnreachable`` is raised
at once and the caller's ``EndpointHealth`` marks it dead, so every later
request of the run fails at once too. An endpoint that exhausted the budget
on 5xx or timeouts is marked resting for a cool-down, so a batch does not
wait out the full budget again for every report. Only requests that reached
the server are reported to ``on_attempt`` (a refused connection is no call).
"""

from __future__ import annotations

import asyncio
import email.utils
import errno
import socket
import ssl
import time
from typing import Awaitable, Callable, Optional, TypeVar

import openai
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_before_delay
from tenacity.wait import wait_random_exponential

from ..errors import LLMError
from .health import EndpointHealth

T = TypeVar("T")


class EndpointUnreachable(LLMError):
    """No connection to the endpoint could be made (refused, DNS, TLS, no route)."""


def _chain(exc: BaseException):
    seen: set[int] = set()
    cur: Optional[BaseException] = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        yield cur
        cur = cur.__cause__ or cur.__context__


def unreachable(exc: BaseException) -> Optional[str]:
    """Why no connection could be made (``"connection refused"`` …), or None.

    Only for connection failures (not timeouts): the request never left, and
    retrying will not help within a run.
    """
    if not isinstance(exc, openai.APIConnectionError) or isinstance(exc, openai.APITimeoutError):
        return None
    for e in _chain(exc):
        if isinstance(e, ConnectionRefusedError):
            return "connection refused"
        if isinstance(e, socket.gaierror):
            return f"DNS lookup failed: {_first_line(e.strerror or str(e), 80)}"
        if isinstance(e, ssl.SSLError):
            return f"TLS error: {_first_line(getattr(e, 'reason', None) or str(e), 80)}"
        if isinstance(e, OSError) and e.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return "no route to host"
    return None


def reached_server(exc: Optional[BaseException]) -> bool:
    """Did a failed attempt get a request to the server? (A failed connect did not.)"""
    if exc is None:
        return True
    return not any(type(e).__name__ in ("ConnectError", "ConnectTimeout") for e in _chain(exc))


def status_of(exc: BaseException) -> Optional[int]:
    return getattr(exc, "status_code", None) if isinstance(exc, openai.APIStatusError) else None


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
        return unreachable(exc) is None
    status = status_of(exc)
    return status is not None and (status in (408, 409, 429) or status >= 500)


def retry_after(exc: BaseException) -> Optional[float]:
    """Seconds the server asked us to wait (``retry-after-ms``, ``Retry-After`` seconds or date)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def describe(exc: BaseException, base_url: str) -> str:
    """A one-line reason a user can act on."""
    if isinstance(exc, openai.APITimeoutError):
        return f"LLM endpoint {base_url} timed out"
    why = unreachable(exc)
    if why is not None:
        return f"LLM endpoint {base_url} unreachable ({why})"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        detail = f": {_first_line(str(cause))}" if cause and str(cause) else ""
        return f"LLM endpoint {base_url} unreachable{detail}"
    status = status_of(exc)
    if status is not None:
        body = _first_line(getattr(exc, "message", "") or str(exc))
        hint = {
            401: " (check NIANBAO_API_KEY / OPENAI_API_KEY)",
            403: " (the key may lack access to this model)",
            404: " (check --base-url and --model)",
        }.get(status, "")
        return f"LLM endpoint {base_url} answered {status}{hint}: {body}"
    return f"LLM request to {base_url} failed: {type(exc).__name__}: {_first_line(str(exc))}"


def _first_line(s: str, limit: int = 200) -> str:
    line = s.strip().splitlines()[0] if s.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


class _Wait:
    """Retry-After when given, else exponential backoff with full jitter."""

    def __init__(self, base: float, cap: float):
        self.backoff = wait_random_exponential(multiplier=base, max=cap)

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = retry_after(exc) if exc is not None else None
        return asked if asked is not None else self.backoff(state)


async def send(
    call: Callable[[], Awaitable[T]],
    *,
    base_url: str,
    budget_s: float,
    health: EndpointHealth,
    base_wait_s: float = 1.0,
    max_wait_s: float = 30.0,
    on_attempt: Optional[Callable[[float, Optional[T], Optional[BaseException]], None]] = None,
    on_retry: Optional[Callable[[BaseException, float], None]] = None,
) -> T:
    """Run ``call`` under the transport policy; raise ``LLMError`` (one line) when it gives up.

    ``health`` is the run's: a dead or resting endpoint is not called, and
    what this call learns is recorded there. ``on_attempt(seconds, result,
    error)`` is told about every request that reached the server;
    ``on_retry(error, wait)`` before every wait.
    """
    dead = health.dead(base_url)
    if dead is not None:
        raise EndpointUnreachable(dead)
    skip = health.skip_reason(base_url)
    if skip is not None:
        raise LLMError(skip)

    attempts = 0
    started = time.monotonic()

    async def attempt() -> T:
        nonlocal attempts
        attempts += 1
        t0 = time.perf_counter()
        try:
            result = await call()
        except Exception as exc:
            if on_attempt and reached_server(exc):
                on_attempt(time.perf_counter() - t0, None, exc)
            raise
        if on_attempt:
            on_attempt(time.perf_counter() - t0, result, None)
        return result

    def before_sleep(state: RetryCallState) -> None:
        if on_retry and state.outcome is not None:
            on_retry(state.outcome.exception(), state.upcoming_sleep)

    retrying = AsyncRetrying(
        retry=retry_if_exception(is_transient),
        wait=_Wait(base_wait_s, max_wait_s),
        stop=stop_before_delay(budget_s),
        before_sleep=before_sleep,
        sleep=asyncio.sleep,
        reraise=True,
    )
    try:
        return await retrying(attempt)
    except Exception as exc:
        if isinstance(exc, LLMError):
            raise
        reason = describe(exc, base_url)
        if unreachable(exc) is not None:
            health.mark_dead(base_url, reason)
            raise EndpointUnreachable(reason) from exc
        if is_transient(exc):
            spent = time.monotonic() - started
            asked = retry_after(exc)
            if asked is not None and spent + asked >= budget_s:
                reason += f"; Retry-After {asked:g} s exceeds the {budget_s:g} s transport budget"
            reason += f" (gave up after {attempts} attempt{'s' if attempts != 1 else ''} in {spent:.1f} s)"
            if status_of(exc) != 429:
                health.mark_resting(base_url, reason, budget_s)
        raise LLMError(reason) from exc
