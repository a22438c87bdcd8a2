"""The recorded data set in fixtures/market and the bundled source that reads it."""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
import pytest
from loader_support import BUNDLED_ROWS, BUNDLED_TOTAL, MARKET_DIR

from stockloader.sources import FetchRequest, TickerNotFoundError
from stockloader.sources.bundled import BundledDataError, BundledSource, read_actions

# sha256 of bokeh_sampledata/_data/stocks.csv.gz in the wheel of bokeh-sampledata 2026.1.
BOKEH_SAMPLEDATA_SHA256 = "5abadf99b2d394f920120a27de6f0df129859d71d4cfb0bf661bcc99446ab1fd"


def test_prices_file_is_unmodified_copy() -> None:
    digest = hashlib.sha256((MARKET_DIR / "stocks.csv.gz").read_bytes()).hexdigest()

    assert digest == BOKEH_SAMPLEDATA_SHA256


def test_prices_file_contents(recorded_prices: pd.DataFrame) -> None:
    assert list(recorded_prices.columns) == ["Ticker", "Date", "Open", "High", "Low", "Close", "Volume", "Adj Close"]
    assert len(recorded_prices) == BUNDLED_TOTAL
    assert recorded_prices.groupby("Ticker").size().to_dict() == BUNDLED_ROWS
    assert not recorded_prices.duplicated(["Ticker", "Date"]).any()


def test_source_date_range(bundled_source: BundledSource) -> None:
    assert bundled_source.tickers() == ["AAPL", "FB", "GOOG", "IBM", "MSFT"]
    assert bundled_source.date_range() == (dt.date(2000, 3, 1), dt.date(2013, 3, 1))
    assert bundled_source.default_range(dt.date(2030, 1, 1)) == (dt.date(2000, 3, 1), dt.date(2013, 3, 2))


def test_fetch_end_is_exclusive(bundled_source: BundledSource) -> None:
    frame = bundled_source.fetch(FetchRequest("FB", dt.date(2012, 5, 18), dt.date(2012, 5, 23)))

    assert frame["date"].tolist() == [dt.date(2012, 5, 18), dt.date(2012, 5, 21), dt.date(2012, 5, 22)]


def test_fetch_carries_actions(bundled_source: BundledSource) -> None:
    frame = bundled_source.fetch(FetchRequest("AAPL", dt.date(2000, 3, 1), dt.date(2013, 3, 2))).set_index("date")

    assert frame["stock_splits"][frame["stock_splits"] != 0].to_dict() == {dt.date(2000, 6, 21): 2.0, dt.date(2005, 2, 28): 2.0}
    assert frame["dividends"][frame["dividends"] != 0].to_dict() == {dt.date(2012, 8, 9): 2.65, dt.date(2012, 11, 7): 2.65, dt.date(2013, 2, 7): 2.65}


def test_fetch_unknown_ticker(bundled_source: BundledSource) -> None:
    with pytest.raises(TickerNotFoundError, match="TSLA is not in the bundled data set"):
        bundled_source.fetch(FetchRequest("TSLA", dt.date(2010, 1, 1), dt.date(2011, 1, 1)))


def test_missing_folder_names_env_var(tmp_path) -> None:
    with pytest.raises(BundledDataError, match="STOCKLOADER_BUNDLED_DIR"):
        BundledSource(tmp_path).tickers()


def _adjustment_jumps(recorded_prices: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """Return the days on which Adj Close / Close changes: the ex-dates of splits and dividends."""
    bars = recorded_prices[recorded_prices["Ticker"] == ticker].sort_values("Date").reset_index(drop=True)
    factor = bars["Adj Close"] / bars["Close"]
    ratio = factor / factor.shift(1)
    jumps = bars.assign(ratio=ratio, previous_close=bars["Close"].shift(1))
    return jumps[(ratio - 1).abs() > 1e-4].set_index("Date")


@pytest.mark.parametrize("ticker", ["AAPL", "MSFT"])
def test_actions_match_adjusted_close(recorded_prices: pd.DataFrame, ticker: str) -> None:
    # Each split and dividend must sit on a day where the source's adjustment
    # factor jumps, and every jump must have its action.
    actions = [action for action in read_actions(MARKET_DIR) if action.ticker == ticker]
    jumps = _adjustment_jumps(recorded_prices, ticker)

    assert sorted(action.date.isoformat() for action in actions) == sorted(jumps.index)
    for action in actions:
        jump = jumps.loc[action.date.isoformat()]
        if action.action == "split":
            assert jump["ratio"] == pytest.approx(action.value, rel=1e-6), action
        else:
            implied = jump["previous_close"] * (1 - 1 / jump["ratio"])
            # The source's factors reproduce the declared cash amounts to within 5%.
            assert implied == pytest.approx(action.value, rel=0.05), action
