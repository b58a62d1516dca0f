"""Cost accounting: calls, tokens (retries included), cache hits, latency, price.

Every HTTP request sent counts as a call, whether it failed, was re-asked or
succeeded, because every one of them is paid for in time and often in tokens.
``latency_s`` is the time spent waiting on the endpoint, summed over requests
(with concurrency it exceeds the wall-clock time, which ``Result.timings``
holds).
"""

from __future__ import annotations

from typing import Iterable, Mapping, Optional

from ..models import LLMUsage


class UsageMeter:
    """Mutable counters for one report (or one section); ``snapshot`` prices them."""

    def __init__(self, prices: Optional[Mapping[str, float]] = None):
        self.prices = dict(prices or {})
        self.calls = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.cache_hits = 0
        self.retries = 0
        self.latency_s = 0.0
        self.errors: list[str] = []

    def request(self, seconds: float, prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
        self.calls += 1
        self.latency_s += seconds
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens

    def retry(self) -> None:
        self.retries += 1

    def cache_hit(self) -> None:
        self.cache_hits += 1

    def error(self, message: str) -> None:
        if message not in self.errors:
            self.errors.append(message)

    def merge(self, other: "UsageMeter") -> None:
        self.calls += other.calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cache_hits += other.cache_hits
        self.retries += other.retries
        self.latency_s += other.latency_s
        for e in other.errors:
            self.error(e)

    def snapshot(self) -> LLMUsage:
        usage = LLMUsage(
            calls=self.calls,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cache_hits=self.cache_hits,
            retries=self.retries,
            latency_s=round(self.latency_s, 4),
            errors=list(self.errors),
        )
        usage.cost_usd = estimate_cost(usage, self.prices)
        return usage


def estimate_cost(usage: LLMUsage, prices: Optional[Mapping[str, float]]) -> Optional[float]:
    """Dollars from a price table in $ per 1M tokens (``prompt``, ``completion``); None without one."""
    if not prices or not any(k in prices for k in ("prompt", "completion")):
        return None
    cost = usage.prompt_tokens * float(prices.get("prompt", 0.0)) + usage.completion_tokens * float(
        prices.get("completion", 0.0)
    )
    return round(cost / 1_000_000, 6)


def run_usage(usages: Iterable[LLMUsage]) -> LLMUsage:
    """Per-run totals: the sum of the reports' usage."""
    total = LLMUsage()
    for u in usages:
        total = total.add(u)
    return total


def format_usage(usage: LLMUsage, reports: Optional[int] = None) -> str:
    """One line for a terminal: ``LLM: 12 calls (3 retries) …``."""
    parts = [f"{usage.calls} call{'s' if usage.calls != 1 else ''}"]
    if usage.retries:
        parts[-1] += f" ({usage.retries} retr{'ies' if usage.retries != 1 else 'y'})"
    if reports:
        parts.append(f"{usage.calls / reports:.1f} per report")
    parts.append(f"{usage.prompt_tokens:,} prompt + {usage.completion_tokens:,} completion tokens")
    parts.append(f"{usage.cache_hits} cache hit{'s' if usage.cache_hits != 1 else ''}")
    parts.append(f"{usage.latency_s:.1f} s waiting")
    if usage.cost_usd is not None:
        parts.append(f"≈ ${usage.cost_usd:.4f}")
    if usage.errors:
        parts.append(f"{len(usage.errors)} error{'s' if len(usage.errors) != 1 else ''}")
    return "LLM: " + ", ".join(parts)
