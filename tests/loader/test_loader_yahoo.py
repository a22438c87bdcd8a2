"""The Yahoo source through real yfinance 1.7, served offline by the replay adapter.

yfinance caches responses for date ranges in the past inside the process
(``YfData.cache_get``), and it caches each symbol's timezone on disk. A test
that needs its requests to reach the adapter (fault injection, request counts)
therefore requests a date range that no other test uses.
"""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
import pytest
import requests
import yfinance as yf
from loader_support import BUNDLED_ROWS, count_rows, load_in_process, recorded_days
from yahoo_replay import YahooReplayAdapter, replay_session

from stockloader.sources import FetchRequest, NetworkError, RateLimitedError, TickerNotFoundError
from stockloader.sources.yahoo import YahooSource

FULL_START = dt.date(2000, 3, 1)
FULL_END = dt.date(2013, 3, 2)


def test_adapter_cookie_and_crumb(replay_adapter: YahooReplayAdapter) -> None:
    session = replay_session(replay_adapter)

    cookie_response = session.get("https://fc.yahoo.com", allow_redirects=True)
    crumb_response = session.get("https://query1.finance.yahoo.com/v1/test/getcrumb")

    assert cookie_response.status_code == 404
    assert [(cookie.name, cookie.domain) for cookie in session.cookies] == [("A3", ".yahoo.com")]
    assert crumb_response.text == "offlineCrumb01"
    with pytest.raises(requests.ConnectionError, match="no response recorded"):
        session.get("https://example.org/")


def test_history_index_is_exchange_local(replay_adapter: YahooReplayAdapter) -> None:
    history = yf.Ticker("AAPL", session=replay_session(replay_adapter)).history(start="2012-08-01", end="2012-08-15", auto_adjust=False)

    assert str(history.index.tz) == "America/New_York"
    assert history.index[0] == pd.Timestamp("2012-08-01", tz="America/New_York")
    assert "Adj Close" in history.columns
    assert history.loc["2012-08-09", "Dividends"].item() == 2.65


def test_fetch_keeps_close_and_adj_close(yahoo_source: YahooSource, recorded_prices: pd.DataFrame) -> None:
    frame = yahoo_source.fetch(FetchRequest("MSFT", dt.date(2003, 2, 10), dt.date(2003, 2, 25)))
    recorded = recorded_prices[(recorded_prices["Ticker"] == "MSFT") & (recorded_prices["Date"] >= "2003-02-10") & (recorded_prices["Date"] < "2003-02-25")]

    assert [day.isoformat() for day in frame["date"]] == recorded["Date"].tolist()
    assert frame["close"].tolist() == recorded["Close"].tolist()
    assert frame["adj_close"].tolist() == recorded["Adj Close"].tolist()
    assert frame["volume"].tolist() == recorded["Volume"].tolist()


def test_fetch_reports_split_and_dividend(yahoo_source: YahooSource) -> None:
    frame = yahoo_source.fetch(FetchRequest("MSFT", dt.date(2003, 2, 12), dt.date(2003, 2, 21))).set_index("date")

    assert frame.loc[dt.date(2003, 2, 18), "stock_splits"] == 2.0
    assert frame.loc[dt.date(2003, 2, 19), "dividends"] == 0.08
    assert frame["stock_splits"].sum() == 2.0
    assert frame["dividends"].sum() == 0.08


def test_fetch_end_is_exclusive(yahoo_source: YahooSource) -> None:
    frame = yahoo_source.fetch(FetchRequest("IBM", dt.date(2004, 3, 1), dt.date(2004, 3, 5)))

    assert frame["date"].tolist() == [dt.date(2004, 3, 1), dt.date(2004, 3, 2), dt.date(2004, 3, 3), dt.date(2004, 3, 4)]


def test_fetch_drops_current_day_bar(replay_adapter: YahooReplayAdapter) -> None:
    # At 11:00 in New York on 2013-03-01 that day's bar is still forming.
    clock = lambda: dt.datetime(2013, 3, 1, 16, 0, tzinfo=dt.timezone.utc)  # noqa: E731
    source = YahooSource(session=replay_session(replay_adapter), clock=clock)

    frame = source.fetch(FetchRequest("GOOG", dt.date(2013, 2, 25), dt.date(2013, 3, 5)))

    assert frame["date"].iloc[-1] == dt.date(2013, 2, 28)
    assert dt.date(2013, 3, 1) not in set(frame["date"])


def test_current_day_fetched_next_day(tmp_path, replay_adapter: YahooReplayAdapter, recorded_prices) -> None:
    url = f"sqlite:///{tmp_path / 'today.db'}"
    start, end = dt.date(2013, 2, 19), dt.date(2013, 3, 2)
    during_session = YahooSource(session=replay_session(replay_adapter), clock=lambda: dt.datetime(2013, 3, 1, 16, 0, tzinfo=dt.timezone.utc))
    next_morning = YahooSource(session=replay_session(replay_adapter), clock=lambda: dt.datetime(2013, 3, 2, 14, 0, tzinfo=dt.timezone.utc))

    first = load_in_process(url, during_session, ["IBM"], start, end)
    second = load_in_process(url, next_morning, ["IBM"], start, end)

    assert first.loaded == {"IBM": recorded_days(recorded_prices, "IBM", start, dt.date(2013, 3, 1))}
    # The first run covered the range only up to 2013-03-01, so the rerun is not skipped.
    assert second.loaded == {"IBM": 1}
    assert count_rows(tmp_path / "today.db") == {"IBM": recorded_days(recorded_prices, "IBM", start, end)}


def test_default_config_hides_network_error(replay_adapter: YahooReplayAdapter) -> None:
    # With yfinance's default hide_exceptions=True a network failure comes back
    # as an empty frame, like an unknown symbol, which is why YahooSource turns
    # the setting off.
    session = replay_session(replay_adapter)
    replay_adapter.disconnect("MSFT", times=1)
    previous = yf.config.debug.hide_exceptions
    yf.config.debug.hide_exceptions = True
    try:
        disconnected = yf.Ticker("MSFT", session=session).history(start="2011-01-03", end="2011-01-08", auto_adjust=False)
    finally:
        yf.config.debug.hide_exceptions = previous

    assert disconnected.empty
    assert len(replay_adapter.chart_requests("MSFT")) == 1


def test_default_config_unknown_ticker_empty(replay_adapter: YahooReplayAdapter) -> None:
    # yfinance 1.7 requests the timezone of its first two unknown symbols per
    # process from quoteSummary. Yahoo returns 404, and yfinance catches only
    # curl_cffi's HTTPError, so with a requests.Session that 404 escapes even
    # with hide_exceptions=True. From the third symbol on it returns an empty frame.
    session = replay_session(replay_adapter)
    frames = []
    previous = yf.config.debug.hide_exceptions
    yf.config.debug.hide_exceptions = True
    try:
        for symbol in ("NOSUCH5", "NOSUCH6", "NOSUCH7"):
            try:
                frames.append(yf.Ticker(symbol, session=session).history(start="2011-01-03", end="2011-01-08", auto_adjust=False))
            except requests.HTTPError:
                pass
    finally:
        yf.config.debug.hide_exceptions = previous

    assert frames
    assert all(frame.empty for frame in frames)


def test_empty_history_normalizes_empty(yahoo_source: YahooSource) -> None:
    frame = yahoo_source.normalize(pd.DataFrame(), FetchRequest("AAPL", dt.date(2010, 1, 4), dt.date(2010, 1, 8)))

    assert frame.empty
    assert list(frame.columns) == ["date", "open", "high", "low", "close", "adj_close", "volume", "dividends", "stock_splits"]


def test_dates_not_shifted_east_of_utc(bundled_source, recorded_prices: pd.DataFrame) -> None:
    # The recorded AAPL bars served as if AAPL traded in Tokyo: each bar is then
    # stamped 00:30 UTC, so converting the index to UTC would give the previous day.
    adapter = YahooReplayAdapter(bundled_source, timezones={"AAPL": "Asia/Tokyo"})
    source = YahooSource(session=replay_session(adapter))

    history = yf.Ticker("AAPL", session=replay_session(adapter)).history(start="1999-06-01", end="2014-06-01", auto_adjust=False)
    frame = source.normalize(history, FetchRequest("AAPL", dt.date(1999, 6, 1), dt.date(2014, 6, 1)))
    recorded = recorded_prices.loc[recorded_prices["Ticker"] == "AAPL", "Date"].tolist()

    assert str(history.index.tz) == "Asia/Tokyo"
    assert history.index.tz_convert("UTC")[0].date().isoformat() == "2000-02-29"
    assert [day.isoformat() for day in frame["date"]] == recorded


def test_unknown_ticker_raises_not_found(yahoo_source: YahooSource) -> None:
    for symbol in ("NOSUCH1", "NOSUCH2", "NOSUCH3"):
        # yfinance's first two unknown symbols fail in its quoteSummary fallback
        # (HTTP 404), later ones with "no timezone found"; both must map to not found.
        with pytest.raises(TickerNotFoundError):
            yahoo_source.fetch(FetchRequest(symbol, dt.date(2010, 1, 4), dt.date(2010, 1, 8)))


def test_rate_limit_raises_rate_limited(yahoo_source: YahooSource, replay_adapter: YahooReplayAdapter) -> None:
    replay_adapter.rate_limit("IBM", times=2)

    with pytest.raises(RateLimitedError, match="HTTP 429"):
        yahoo_source.fetch(FetchRequest("IBM", dt.date(2001, 1, 2), dt.date(2001, 1, 9)))


def test_connection_error_raises_network(yahoo_source: YahooSource, replay_adapter: YahooReplayAdapter) -> None:
    replay_adapter.disconnect("IBM", times=1)

    with pytest.raises(NetworkError, match="connection to Yahoo reset"):
        yahoo_source.fetch(FetchRequest("IBM", dt.date(2001, 2, 1), dt.date(2001, 2, 8)))


def test_empty_range_returns_empty_frame(yahoo_source: YahooSource) -> None:
    # 2004-03-06 and 2004-03-07 are a weekend.
    frame = yahoo_source.fetch(FetchRequest("IBM", dt.date(2004, 3, 6), dt.date(2004, 3, 8)))

    assert frame.empty
    assert list(frame.columns)[0] == "date"


def test_load_matches_bundled_load(tmp_path, bundled_source, yahoo_source: YahooSource) -> None:
    yahoo_db = tmp_path / "yahoo.db"
    bundled_db = tmp_path / "bundled.db"

    yahoo_summary = load_in_process(f"sqlite:///{yahoo_db}", yahoo_source, ["AAPL", "MSFT"], FULL_START, FULL_END)
    load_in_process(f"sqlite:///{bundled_db}", bundled_source, ["AAPL", "MSFT"], FULL_START, FULL_END)

    assert yahoo_summary.loaded == {"AAPL": BUNDLED_ROWS["AAPL"], "MSFT": BUNDLED_ROWS["MSFT"]}
    query = "SELECT * FROM prices ORDER BY ticker, date"
    yahoo_rows = pd.read_sql(query, f"sqlite:///{yahoo_db}")
    bundled_rows = pd.read_sql(query, f"sqlite:///{bundled_db}")
    pd.testing.assert_frame_equal(yahoo_rows, bundled_rows)


def test_load_retries_rate_limit(tmp_path, yahoo_source: YahooSource, replay_adapter: YahooReplayAdapter, recorded_prices, caplog) -> None:
    # One rate-limited yfinance call takes two 429 responses, because yfinance retries once itself.
    replay_adapter.rate_limit("GOOG", times=2)
    caplog.set_level(logging.WARNING, logger="stockloader")
    start, end = dt.date(2006, 1, 3), dt.date(2006, 2, 1)

    summary = load_in_process(f"sqlite:///{tmp_path / 'retry.db'}", yahoo_source, ["GOOG", "IBM"], start, end, retries=2)

    assert summary.failed == {}
    assert summary.loaded == {"GOOG": recorded_days(recorded_prices, "GOOG", start, end), "IBM": recorded_days(recorded_prices, "IBM", start, end)}
    assert "GOOG: rate limited by Yahoo (HTTP 429); retry 1 of 2" in caplog.text
    assert len(replay_adapter.chart_requests("GOOG")) >= 3


def test_load_gives_up_after_retries(tmp_path, yahoo_source: YahooSource, replay_adapter: YahooReplayAdapter, recorded_prices) -> None:
    replay_adapter.rate_limit("MSFT", times=100)
    database = tmp_path / "gave-up.db"
    start, end = dt.date(2006, 3, 1), dt.date(2006, 4, 1)
    ibm_days = recorded_days(recorded_prices, "IBM", start, end)

    summary = load_in_process(f"sqlite:///{database}", yahoo_source, ["MSFT", "IBM", "NOSUCH4"], start, end, retries=2)

    assert summary.exit_code == 1
    assert summary.loaded == {"IBM": ibm_days}
    assert summary.failed["MSFT"] == "rate limited by Yahoo (HTTP 429); gave up after 3 attempts"
    assert summary.failed["NOSUCH4"].startswith("no data")
    assert count_rows(database) == {"IBM": ibm_days}


def test_load_retries_network_error(tmp_path, yahoo_source: YahooSource, replay_adapter: YahooReplayAdapter, recorded_prices) -> None:
    replay_adapter.disconnect("AAPL", times=2)
    start, end = dt.date(2007, 1, 3), dt.date(2007, 2, 1)

    summary = load_in_process(f"sqlite:///{tmp_path / 'network.db'}", yahoo_source, ["AAPL"], start, end, retries=3)

    assert summary.loaded == {"AAPL": recorded_days(recorded_prices, "AAPL", start, end)}
    assert len(replay_adapter.chart_requests("AAPL")) >= 3


def test_incremental_rerun_fetches_new_dates(tmp_path, yahoo_source: YahooSource, replay_adapter: YahooReplayAdapter, recorded_prices) -> None:
    url = f"sqlite:///{tmp_path / 'incremental.db'}"
    start, first_end, second_end = dt.date(2012, 5, 18), dt.date(2012, 9, 1), dt.date(2012, 10, 1)
    load_in_process(url, yahoo_source, ["FB"], start, first_end)
    requests_before = len(replay_adapter.chart_requests("FB"))

    summary = load_in_process(url, yahoo_source, ["FB"], start, second_end)

    assert summary.loaded == {"FB": recorded_days(recorded_prices, "FB", first_end, second_end)}
    history_requests = [request for request in replay_adapter.chart_requests("FB")[requests_before:] if "period1" in request.params]
    first_requested = dt.datetime.fromtimestamp(int(history_requests[-1].params["period1"]), dt.timezone.utc).date()
    assert first_requested == dt.date(2012, 9, 1)
    assert count_rows(tmp_path / "incremental.db") == {"FB": recorded_days(recorded_prices, "FB", start, second_end)}
