"""Daily bars from Yahoo Finance through yfinance (pinned to 1.7.0 in pyproject.toml).

yfinance is synchronous, so ``fetch`` blocks and the pipeline calls it in a
worker thread. This module turns yfinance's results and exceptions into the
source contract of ``sources.base``:

* The frame's index is tz-aware in the exchange's timezone. The stored date is
  the exchange-local calendar date of each bar, read without converting to UTC,
  because converting a Tokyo midnight to UTC moves it to the previous day.
* ``auto_adjust=False`` keeps ``Close`` as traded and ``Adj Close`` separate.
* The bar of the current exchange-local day is dropped: while the market is
  open it is unfinished, and the next run fetches it once it is final.
* yfinance's default (``config.debug.hide_exceptions = True``) logs a network
  error and returns an empty frame, which looks like an unknown ticker. The
  source turns that off so errors raise and can be retried.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable
from zoneinfo import ZoneInfo

import pandas as pd
import yfinance as yf
from yfinance.exceptions import YFPricesMissingError, YFRateLimitError, YFTickerMissingError

from .base import COMPLETE_UNTIL, PRICE_COLUMNS, FetchError, FetchRequest, NetworkError, RateLimitedError, TickerNotFoundError, empty_price_frame

# yfinance's column names for the price frame columns.
_YF_COLUMNS = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Adj Close": "adj_close",
    "Volume": "volume",
    "Dividends": "dividends",
    "Stock Splits": "stock_splits",
}

# yfinance requests Yahoo's earliest data from this date when no --start is given.
DEFAULT_START = dt.date(1900, 1, 1)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class YahooSource:
    """Fetch daily bars with ``yf.Ticker(ticker, session=...).history(...)``.

    ``session`` is passed to yfinance as is: None lets yfinance build its own
    curl_cffi session, and a ``requests.Session`` (which yfinance 1.7 accepts)
    lets tests serve Yahoo's API offline. ``clock`` returns the current time
    as an aware datetime and decides which bar belongs to the current day.
    """

    name = "yahoo"

    def __init__(self, session: Any = None, clock: Callable[[], dt.datetime] = _utc_now) -> None:
        self._session = session
        self._clock = clock
        # A process-wide yfinance setting, turned off for the reason the module docstring gives.
        yf.config.debug.hide_exceptions = False

    def default_range(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """Return all of Yahoo's history up to, not including, ``today``."""
        return DEFAULT_START, today

    def fetch(self, request: FetchRequest) -> pd.DataFrame:
        """Return the bars of ``request``, or raise a ``FetchError`` subclass when Yahoo fails."""
        try:
            ticker = yf.Ticker(request.ticker, session=self._session)
            history = ticker.history(
                start=request.start.isoformat(),
                end=request.end.isoformat(),
                interval="1d",
                auto_adjust=False,
                actions=True,
                repair=False,
            )
        except YFRateLimitError as error:
            raise RateLimitedError("rate limited by Yahoo (HTTP 429)") from error
        except YFPricesMissingError:
            # Yahoo has the ticker but no bars in the range, e.g. a weekend.
            # The pipeline decides whether that means "up to date" or "no data".
            return empty_price_frame()
        except YFTickerMissingError as error:
            raise TickerNotFoundError(f"no data: {error.rationale} (unknown or delisted ticker)") from error
        except (OSError, TimeoutError) as error:
            raise classify_network_error(error) from error

        return self.normalize(history, request)

    def normalize(self, history: pd.DataFrame, request: FetchRequest) -> pd.DataFrame:
        """Convert a ``Ticker.history`` frame into a price frame limited to ``request``."""
        if history.empty:
            return empty_price_frame()

        missing = [name for name in _YF_COLUMNS if name not in history.columns]
        if missing:
            raise FetchError(f"unexpected yfinance frame: missing columns {', '.join(missing)}")

        index = history.index
        # Daily bars are stamped at midnight exchange time, so .date is the trading date.
        dates = pd.Series(index.date, index=history.index)
        today = self._clock().date() if index.tz is None else self._clock().astimezone(ZoneInfo(str(index.tz))).date()
        keep = (dates >= request.start) & (dates < request.end) & (dates < today)

        frame = history.loc[keep.to_numpy(), list(_YF_COLUMNS)].rename(columns=_YF_COLUMNS)
        frame.insert(0, "date", dates[keep].to_numpy())
        frame = frame.sort_values("date").reset_index(drop=True)[["date", *PRICE_COLUMNS]]
        if today < request.end:
            # Today's bar was left out, so the fetch covers the range only up to today.
            frame.attrs[COMPLETE_UNTIL] = today
        return frame


def classify_network_error(error: OSError | TimeoutError) -> FetchError:
    """Map a transport exception of requests or curl_cffi to a retryable or final ``FetchError``."""
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    if status is None:
        return NetworkError(f"network error: {type(error).__name__}: {error}")
    if status == 404:
        return TickerNotFoundError("no data: Yahoo returned HTTP 404 (unknown or delisted ticker)")
    if status == 429:
        return RateLimitedError("rate limited by Yahoo (HTTP 429)")
    if status >= 500:
        return NetworkError(f"Yahoo server error (HTTP {status})")
    return FetchError(f"Yahoo request failed with HTTP {status}: {error}")
