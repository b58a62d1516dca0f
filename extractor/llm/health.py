"""What one run has learnt about its LLM endpoint: dead, resting, or fine.

An ``EndpointHealth`` belongs to the caller, not to the module: ``extract``
makes a fresh one per call unless it is given one, and ``nianbao batch`` keeps
one per run (one per worker process, the main process passing on what any
worker found; see ``extractor.batch.work``). Nothing here is global, so
``extract`` stays a pure function of its inputs.

Two states, both per endpoint URL:

* **dead** — the endpoint cannot be reached at all (connection refused, DNS
  failure, TLS error, no route): no request can succeed this run, so every
  later request fails at once with the same one-line reason.
* **resting** — transient errors (5xx, timeouts) used up a request's whole
  transport budget: later requests are skipped for a cool-down (as long as
  the budget), so a batch does not wait out the budget for every document.
"""

from __future__ import annotations

import threading
import time
from typing import Optional


class EndpointHealth:
    """Dead and resting endpoints of one run (thread-safe; cheap to create)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._dead: dict[str, str] = {}  # base_url -> reason
        self._resting: dict[str, tuple[float, str]] = {}  # base_url -> (monotonic deadline, reason)

    @staticmethod
    def _key(base_url: Optional[str]) -> str:
        return (base_url or "").rstrip("/")

    def mark_dead(self, base_url: Optional[str], reason: str) -> None:
        with self._lock:
            self._dead.setdefault(self._key(base_url), reason)

    def mark_resting(self, base_url: Optional[str], reason: str, seconds: float) -> None:
        with self._lock:
            self._resting[self._key(base_url)] = (time.monotonic() + max(seconds, 1.0), reason)

    def dead(self, base_url: Optional[str]) -> Optional[str]:
        """The reason the endpoint is unreachable this run, or None."""
        return self._dead.get(self._key(base_url))

    def skip_reason(self, base_url: Optional[str]) -> Optional[str]:
        """Why a request to ``base_url`` should not be sent now (None: send it)."""
        key = self._key(base_url)
        reason = self._dead.get(key)
        if reason is not None:
            return reason
        resting = self._resting.get(key)
        if resting is not None:
            left = resting[0] - time.monotonic()
            if left > 0:
                return f"{resting[1]} (skipped: resting {left:.0f} s more)"
        return None
