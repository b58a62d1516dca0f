"""Transport retries: one tenacity policy for 429, 5xx, timeouts, dropped connections.

The openai client's own retries are off (``max_retries=0``) so this is the only
policy and its time bound holds: exponential backoff with full jitter, a
``Retry-After`` header honoured when the server sends one, and the whole
thing bounded by ``Config.max_transport_seconds``. Anything else (401, 404,
400 …) fails at once with a one-line ``LLMError``.

An endpoint that exhausted the budget for connection errors, timeouts or
5xx is remembered as down for a cool-down period, so a batch does not wait
out the full budget again for every report.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from typing import Awaitable, Callable, Optional, TypeVar

import openai
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_before_delay
from tenacity.wait import wait_random_exponential

from ..errors import LLMError

T = TypeVar("T")

_DOWN: dict[str, tuple[float, str]] = {}  # base_url -> (monotonic deadline, reason)


def reset_breakers() -> None:
    """Forget endpoints marked down (tests, or a long-running service)."""
    _DOWN.clear()


def status_of(exc: BaseException) -> Optional[int]:
    return getattr(exc, "status_code", None) if isinstance(exc, openai.APIStatusError) else None


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
        return True
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
    base_wait_s: float = 1.0,
    max_wait_s: float = 30.0,
    on_attempt: Optional[Callable[[float, Optional[T], Optional[BaseException]], None]] = None,
    on_retry: Optional[Callable[[BaseException, float], None]] = None,
) -> T:
    """Run ``call`` under the transport policy; raise ``LLMError`` (one line) when it gives up.

    ``on_attempt(seconds, result, error)`` is told about every request sent;
    ``on_retry(error, wait)`` before every wait.
    """
    down = _DOWN.get(base_url)
    if down and down[0] > time.monotonic():
        raise LLMError(f"{down[1]} (skipped: marked down {down[0] - time.monotonic():.0f} s more)")

    attempts = 0
    started = time.monotonic()

    async def attempt() -> T:
        nonlocal attempts
        attempts += 1
        t0 = time.perf_counter()
        try:
            result = await call()
        except Exception as exc:
            if on_attempt:
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
        if is_transient(exc):
            spent = time.monotonic() - started
            asked = retry_after(exc)
            if asked is not None and spent + asked >= budget_s:
                reason += f"; Retry-After {asked:g} s exceeds the {budget_s:g} s transport budget"
            reason += f" (gave up after {attempts} attempt{'s' if attempts != 1 else ''} in {spent:.1f} s)"
            if status_of(exc) != 429:
                _DOWN[base_url] = (time.monotonic() + max(budget_s, 1.0), reason)
        raise LLMError(reason) from exc
