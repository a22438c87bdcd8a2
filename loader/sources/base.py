"""The contract between the load pipeline and a price source.

A source turns a ``FetchRequest`` into a price frame: one row per trading day,
a ``date`` column holding the exchange-local trading date as
``datetime.date``, then the columns in ``PRICE_COLUMNS``. ``fetch`` is a
blocking call, and the pipeline runs it in a worker thread.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pandas as pd

# Value columns of a price frame and of the ``prices`` table, in this order.
PRICE_COLUMNS = (
    "open",
    "high",
    "low",
    "close",
    "adj_close",
    "volume",
    "dividends",
    "stock_splits",
)


# A source that could not return final bars up to the request's end (today's
# bar is unfinished) sets frame.attrs[COMPLETE_UNTIL] to the exclusive date up
# to which the frame is complete, so the stored progress does not claim more.
COMPLETE_UNTIL = "complete_until"


@dataclass(frozen=True)
class FetchRequest:
    """Daily bars of one ticker from ``start`` (inclusive) to ``end`` (exclusive)."""

    ticker: str
    start: dt.date
    end: dt.date


class FetchError(Exception):
    """Failed fetch of one ticker. ``reason`` is the text stored in the database."""

    retryable = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TickerNotFoundError(FetchError):
    """The source has no such ticker, or it is delisted."""


class RateLimitedError(FetchError):
    """The source rejected the request because of its rate limit (HTTP 429)."""

    retryable = True


class NetworkError(FetchError):
    """The request failed in transit: connection, timeout or server error."""

    retryable = True


class PriceSource(Protocol):
    """Interface of a source of daily bars, as the pipeline uses it."""

    name: str

    def default_range(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """Return the ``(start, end)`` used when the user gives no dates."""
        ...

    def fetch(self, request: FetchRequest) -> pd.DataFrame:
        """Return the price frame for ``request``. The call blocks and raises ``FetchError`` on failure."""
        ...


def empty_price_frame() -> pd.DataFrame:
    """Return a price frame with the standard columns and no rows."""
    import pandas as pd

    return pd.DataFrame({"date": pd.Series([], dtype=object), **{name: pd.Series([], dtype=float) for name in PRICE_COLUMNS}})
