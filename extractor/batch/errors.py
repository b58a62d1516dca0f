"""The one exception the batch raises, and how any exception is worded in a result: one line."""

from __future__ import annotations

from ..errors import NianbaoError


class BatchError(NianbaoError):
    """The batch cannot start or go on (bad input path, workers failing to start)."""


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
