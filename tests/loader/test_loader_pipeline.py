"""The load pipeline: planning, concurrency, failures, resume and cancellation."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sqlite3
import threading
import time

import pandas as pd
import pytest
from loader_support import BUNDLED_ROWS, count_rows, load_in_process

from stockloader.database import parse_database_url
from stockloader.pipeline import LoadOptions, plan_request, run_load
from stockloader.progress import NullProgress
from stockloader.retry import backoff_delay
from stockloader.sources import FetchRequest, empty_price_frame
from stockloader.sources.bundled import BundledSource
from stockloader.store import PriceStore, TickerProgress

START = dt.date(2000, 3, 1)
END = dt.date(2013, 3, 2)
TICKERS = ["AAPL", "FB", "GOOG", "IBM", "MSFT"]


class RecordingSource:
    """Serves the recorded data slowly and records how it was called."""

    name = "recording"

    def __init__(self, bundled: BundledSource, delays: dict[str, float] | None = None, errors: dict[str, Exception] | None = None, empty: bool = False) -> None:
        self.bundled = bundled
        self.delays = delays or {}
        self.errors = errors or {}
        self.empty = empty
        self.calls: list[tuple[str, str]] = []  # (ticker, thread name)
        self.finished: list[str] = []
        self.spans: dict[str, tuple[float, float]] = {}
        self.max_active = 0
        self._active = 0
        self._lock = threading.Lock()

    def default_range(self, today: dt.date) -> tuple[dt.date, dt.date]:
        return START, END

    def fetch(self, request: FetchRequest) -> pd.DataFrame:
        began = time.monotonic()
        with self._lock:
            self.calls.append((request.ticker, threading.current_thread().name))
            self._active += 1
            self.max_active = max(self.max_active, self._active)
        try:
            time.sleep(self.delays.get(request.ticker, 0.0))
            if request.ticker in self.errors:
                raise self.errors[request.ticker]
            return empty_price_frame() if self.empty else self.bundled.fetch(request)
        finally:
            with self._lock:
                self._active -= 1
                self.finished.append(request.ticker)
                self.spans[request.ticker] = (began, time.monotonic())


def progress_of(path, ticker: str) -> tuple | None:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT status, last_date, updated_at FROM load_progress WHERE ticker = ?", (ticker,)).fetchone()


# Planning.


def _progress(covered_from, covered_until, last_date, status="done") -> TickerProgress:
    return TickerProgress("AAPL", status, covered_from, covered_until, last_date, None, 1, None)


def test_plan_without_progress_fetches_all() -> None:
    assert plan_request("AAPL", START, END, None, fresh=False) == FetchRequest("AAPL", START, END)


def test_plan_covered_range_skips() -> None:
    previous = _progress(START, END, dt.date(2013, 3, 1))

    assert plan_request("AAPL", START, END, previous, fresh=False) is None
    assert plan_request("AAPL", dt.date(2005, 1, 1), dt.date(2006, 1, 1), previous, fresh=False) is None


def test_plan_later_end_fetches_after_last_date() -> None:
    previous = _progress(START, END, dt.date(2013, 3, 1))

    assert plan_request("AAPL", START, dt.date(2014, 1, 1), previous, fresh=False) == FetchRequest("AAPL", dt.date(2013, 3, 2), dt.date(2014, 1, 1))


def test_plan_earlier_start_fetches_all() -> None:
    previous = _progress(dt.date(2005, 1, 1), END, dt.date(2013, 3, 1))

    assert plan_request("AAPL", START, END, previous, fresh=False) == FetchRequest("AAPL", START, END)


def test_plan_failed_ticker_resumes() -> None:
    previous = _progress(START, dt.date(2010, 1, 1), dt.date(2009, 12, 31), status="failed")

    assert plan_request("AAPL", START, END, previous, fresh=False) == FetchRequest("AAPL", dt.date(2010, 1, 1), END)


def test_plan_fresh_ignores_progress() -> None:
    previous = _progress(START, END, dt.date(2013, 3, 1))

    assert plan_request("AAPL", START, END, previous, fresh=True) == FetchRequest("AAPL", START, END)


# Backoff.


def test_backoff_grows_exponentially() -> None:
    rng = random.Random(7)
    for attempt in range(5):
        ceiling = 1.0 * 2**attempt
        delays = [backoff_delay(attempt, 1.0, 60.0, rng) for _ in range(200)]
        assert min(delays) >= ceiling / 2
        assert max(delays) <= ceiling
        # Jitter: the delays are spread, not one value.
        assert max(delays) - min(delays) > ceiling / 4


def test_backoff_respects_cap() -> None:
    rng = random.Random(7)

    assert all(backoff_delay(20, 1.0, 30.0, rng) <= 30.0 for _ in range(100))


# Concurrency.


def test_workers_bounded_by_semaphore(sqlite_url, bundled_source) -> None:
    source = RecordingSource(bundled_source, delays={ticker: 0.3 for ticker in TICKERS})

    summary = load_in_process(sqlite_url, source, TICKERS, START, END, max_workers=2)

    assert summary.loaded == BUNDLED_ROWS
    assert source.max_active == 2
    assert all(thread.startswith("stockloader-fetch") for _, thread in source.calls)


def test_fetch_never_blocks_loop(sqlite_url, bundled_source) -> None:
    source = RecordingSource(bundled_source, delays={"AAPL": 1.0, "IBM": 1.0})
    options = LoadOptions(tickers=("AAPL", "IBM"), start=START, end=END)

    async def load_with_heartbeat() -> float:
        stop = asyncio.Event()
        worst_gap = 0.0

        async def heartbeat() -> None:
            nonlocal worst_gap
            last = time.monotonic()
            while not stop.is_set():
                await asyncio.sleep(0.01)
                now = time.monotonic()
                worst_gap = max(worst_gap, now - last)
                last = now

        beat = asyncio.create_task(heartbeat())
        async with PriceStore.open(parse_database_url(sqlite_url)) as store:
            await run_load(options, source, store, NullProgress())
        stop.set()
        await beat
        return worst_gap

    worst_gap = asyncio.run(load_with_heartbeat())

    # The fetches sleep 1 s each, and on the loop that would stall the heartbeat as long.
    assert worst_gap < 0.5


def test_results_matched_by_ticker(sqlite_url, sqlite_path, bundled_source) -> None:
    # The first tickers are the slowest, so they finish last.
    delays = {ticker: 0.4 - 0.1 * index for index, ticker in enumerate(TICKERS[:4])}
    source = RecordingSource(bundled_source, delays=delays)

    summary = load_in_process(sqlite_url, source, TICKERS, START, END, max_workers=5)

    assert source.finished != TICKERS
    assert summary.loaded == BUNDLED_ROWS
    assert count_rows(sqlite_path) == BUNDLED_ROWS


def test_batches_run_one_after_another(sqlite_url, bundled_source) -> None:
    source = RecordingSource(bundled_source, delays={ticker: 0.1 for ticker in TICKERS})

    load_in_process(sqlite_url, source, TICKERS, START, END, batch_size=2, max_workers=4)

    first_batch_end = max(source.spans[ticker][1] for ticker in ("AAPL", "FB"))
    second_batch_start = min(source.spans[ticker][0] for ticker in ("GOOG", "IBM"))
    assert second_batch_start >= first_batch_end
    assert source.spans["MSFT"][0] >= max(source.spans[ticker][1] for ticker in ("GOOG", "IBM"))


# Failures.


def test_unexpected_error_fails_one_ticker(sqlite_url, sqlite_path, bundled_source) -> None:
    source = RecordingSource(bundled_source, errors={"IBM": ValueError("bad payload")})

    summary = load_in_process(sqlite_url, source, TICKERS, START, END)

    assert summary.failed == {"IBM": "unexpected error: ValueError: bad payload"}
    assert summary.exit_code == 1
    assert set(count_rows(sqlite_path)) == {"AAPL", "FB", "GOOG", "MSFT"}
    assert progress_of(sqlite_path, "IBM")[0] == "failed"


def test_empty_frame_new_ticker_fails(sqlite_url, bundled_source) -> None:
    source = RecordingSource(bundled_source, empty=True)

    summary = load_in_process(sqlite_url, source, ["AAPL"], START, END)

    assert summary.failed["AAPL"].startswith("no data from 2000-03-01 to 2013-03-02")


def test_empty_frame_stored_ticker_up_to_date(sqlite_url, sqlite_path, bundled_source) -> None:
    load_in_process(sqlite_url, bundled_source, ["AAPL"], START, END)

    summary = load_in_process(sqlite_url, RecordingSource(bundled_source, empty=True), ["AAPL"], START, dt.date(2013, 3, 5))

    assert summary.up_to_date == ["AAPL"]
    assert summary.failed == {}
    assert progress_of(sqlite_path, "AAPL")[0] == "done"


# Resume.


def test_rerun_fetches_and_writes_nothing(sqlite_url, sqlite_path, bundled_source) -> None:
    load_in_process(sqlite_url, bundled_source, TICKERS, START, END)
    progress_before = {ticker: progress_of(sqlite_path, ticker) for ticker in TICKERS}
    source = RecordingSource(bundled_source)

    summary = load_in_process(sqlite_url, source, TICKERS, START, END)

    assert source.calls == []
    assert summary.rows_written == 0
    assert sorted(summary.up_to_date) == TICKERS
    assert {ticker: progress_of(sqlite_path, ticker) for ticker in TICKERS} == progress_before


def test_fresh_refetches_everything(sqlite_url, sqlite_path, bundled_source) -> None:
    load_in_process(sqlite_url, bundled_source, TICKERS, START, END)
    source = RecordingSource(bundled_source)

    summary = load_in_process(sqlite_url, source, TICKERS, START, END, fresh=True)

    assert sorted(ticker for ticker, _ in source.calls) == TICKERS
    assert summary.loaded == BUNDLED_ROWS
    assert count_rows(sqlite_path) == BUNDLED_ROWS


def test_cancel_rolls_back_current_ticker(sqlite_url, sqlite_path, bundled_source) -> None:
    options = LoadOptions(tickers=("AAPL",), start=START, end=END)

    async def load_and_cancel() -> None:
        # 0.2 s per 1,000-row chunk: AAPL's 3,270 rows take 0.8 s, so 0.3 s is mid-transaction.
        async with PriceStore.open(parse_database_url(sqlite_url), write_delay=0.2) as store:
            task = asyncio.create_task(run_load(options, bundled_source, store, NullProgress()))
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(load_and_cancel())

    assert count_rows(sqlite_path) == {}
    assert progress_of(sqlite_path, "AAPL") is None
    with sqlite3.connect(sqlite_path) as connection:
        assert connection.execute("SELECT status FROM load_runs").fetchall() == [("interrupted",)]
