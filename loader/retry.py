"""Exponential backoff with jitter for retrying rate-limited and failed requests."""

from __future__ import annotations

import random


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Return the seconds to wait before retry number ``attempt + 1``.

    The ceiling doubles per attempt from ``base`` up to ``cap``. The delay is half
    the ceiling plus a random part of up to the other half ("equal jitter"), so
    tickers rejected together do not retry together, yet each waits at least
    half the ceiling.
    """
    ceiling = min(cap, base * 2**attempt)
    return ceiling / 2 + rng.uniform(0, ceiling / 2)
