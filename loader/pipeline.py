"""The load: plan per ticker, fetch concurrently in worker threads, write through one writer.

Everything runs in one event loop. Fetch tasks are bounded by a semaphore of
``max_workers`` and call the blocking source in a thread pool of the same
size. Each task puts a ``FetchOutcome`` carrying its ticker on a queue, so
results are matched by ticker, never by position. The coroutine that runs
``run_load`` is the only one that touches the database: it takes outcomes off
the queue and writes each ticker in its own transaction.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .progress import Progress
from .retry import backoff_delay
from .sources import COMPLETE_UNTIL, FetchError, FetchRequest, PriceSource
from .store import PriceStore, TickerProgress

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger("stockloader")


@dataclass(frozen=True)
class LoadOptions:
    """Settings of one load: the tickers, the date range and the limits on the source."""

    tickers: tuple[str, ...]
    start: dt.date
    end: dt.date  # exclusive, as in yfinance
    batch_size: int = 50
    max_workers: int = 4
    retries: int = 3
    fresh: bool = False
    retry_base_delay: float = 1.0  # seconds before the first retry, doubled per retry
    retry_max_delay: float = 30.0


@dataclass
class FetchOutcome:
    """The result of fetching one ticker: a frame, or the reason it failed."""

    request: FetchRequest
    frame: pd.DataFrame | None = None
    error: str | None = None
    attempts: int = 1


@dataclass
class LoadSummary:
    """Results of one load, per ticker."""

    run_id: int
    loaded: dict[str, int] = field(default_factory=dict)  # ticker -> rows written
    up_to_date: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # ticker -> reason
    elapsed: float = 0.0

    @property
    def rows_written(self) -> int:
        return sum(self.loaded.values())

    @property
    def exit_code(self) -> int:
        """Return 0 when every ticker loaded or was up to date, 1 when any failed."""
        return 1 if self.failed else 0


def plan_request(ticker: str, start: dt.date, end: dt.date, previous: TickerProgress | None, fresh: bool) -> FetchRequest | None:
    """Return what to fetch for ``ticker``, or None when the stored data already covers [start, end).

    A ticker whose stored range starts at or before ``start`` is fetched only
    after its last stored date. Anything else (no progress, an earlier
    ``start``, or ``fresh``) is fetched over the whole range.
    """
    if fresh or previous is None or previous.covered_from is None or previous.covered_from > start:
        return FetchRequest(ticker, start, end)
    if previous.covered_until is not None and previous.covered_until >= end:
        return None
    if previous.last_date is None:
        return FetchRequest(ticker, start, end)

    resume = max(start, previous.last_date + dt.timedelta(days=1))
    if resume >= end:
        return None
    return FetchRequest(ticker, resume, end)


async def fetch_ticker(request: FetchRequest, source: PriceSource, limiter: asyncio.Semaphore, executor: ThreadPoolExecutor, options: LoadOptions, rng: random.Random) -> FetchOutcome:
    """Fetch one ticker in a worker thread, retrying rate limits and network errors with backoff.

    Every failure is returned as an outcome, so one ticker never stops the others.
    """
    loop = asyncio.get_running_loop()
    for attempt in range(options.retries + 1):
        try:
            # The slot is held only while the request runs, not during the backoff sleep.
            async with limiter:
                logger.debug("%s: fetching %s to %s, attempt %d", request.ticker, request.start, request.end, attempt + 1)
                frame = await loop.run_in_executor(executor, source.fetch, request)
            return FetchOutcome(request, frame=frame, attempts=attempt + 1)
        except FetchError as error:
            if not error.retryable:
                return FetchOutcome(request, error=error.reason, attempts=attempt + 1)
            if attempt == options.retries:
                return FetchOutcome(request, error=f"{error.reason}; gave up after {attempt + 1} attempts", attempts=attempt + 1)

            delay = backoff_delay(attempt, options.retry_base_delay, options.retry_max_delay, rng)
            logger.warning("%s: %s; retry %d of %d in %.1f s", request.ticker, error.reason, attempt + 1, options.retries, delay)
            await asyncio.sleep(delay)
        except Exception as error:  # a library bug must fail this ticker only
            logger.exception("%s: unexpected error while fetching", request.ticker)
            return FetchOutcome(request, error=f"unexpected error: {type(error).__name__}: {error}", attempts=attempt + 1)

    raise AssertionError("unreachable: the last attempt always returns")


async def fetch_all(requests: list[FetchRequest], source: PriceSource, queue: asyncio.Queue, options: LoadOptions) -> None:
    """Fetch ``requests`` in batches of ``batch_size`` and put each outcome on ``queue``, then None."""
    limiter = asyncio.Semaphore(options.max_workers)
    executor = ThreadPoolExecutor(max_workers=options.max_workers, thread_name_prefix="stockloader-fetch")
    rng = random.Random()

    async def fetch_and_queue(request: FetchRequest) -> None:
        await queue.put(await fetch_ticker(request, source, limiter, executor, options, rng))

    try:
        for offset in range(0, len(requests), options.batch_size):
            batch = requests[offset : offset + options.batch_size]
            await asyncio.gather(*(fetch_and_queue(request) for request in batch))
        await queue.put(None)
    finally:
        # Not waiting keeps the loop responsive. After a cancellation a thread
        # still inside yfinance finishes its request and exits on its own.
        executor.shutdown(wait=False, cancel_futures=True)


async def save_outcome(store: PriceStore, outcome: FetchOutcome, previous: TickerProgress | None, summary: LoadSummary) -> str:
    """Write one outcome, record it in ``summary`` and return a short description for progress output."""
    request = outcome.request
    ticker = request.ticker
    if outcome.error is not None:
        await store.save_failure(ticker, outcome.error, previous, summary.run_id)
        summary.failed[ticker] = outcome.error
        logger.warning("%s: failed: %s", ticker, outcome.error)
        return f"failed: {outcome.error}"

    frame = outcome.frame
    complete_until = frame.attrs.get(COMPLETE_UNTIL) if frame is not None else None
    if complete_until is not None and complete_until < request.end:
        request = replace(request, end=max(complete_until, request.start))

    if frame is not None and not frame.empty:
        rows = await store.save_prices(request, frame, previous, summary.run_id)
        summary.loaded[ticker] = rows
        return f"loaded {rows} rows"

    if previous is not None and previous.last_date is not None:
        # No bar after the last stored one, e.g. a rerun over a weekend.
        await store.save_up_to_date(request, previous, summary.run_id)
        summary.up_to_date.append(ticker)
        return "up to date"

    reason = f"no data from {request.start} to {request.end}: unknown or delisted ticker, or no trading day in the range"
    await store.save_failure(ticker, reason, previous, summary.run_id)
    summary.failed[ticker] = reason
    logger.warning("%s: failed: %s", ticker, reason)
    return f"failed: {reason}"


async def run_load(options: LoadOptions, source: PriceSource, store: PriceStore, progress: Progress) -> LoadSummary:
    """Load ``options.tickers`` from ``source`` into ``store`` and return the summary."""
    started = time.perf_counter()
    run_id = await store.start_run(source.name, options.start, options.end, len(options.tickers))
    summary = LoadSummary(run_id=run_id)
    stored = await store.read_progress()

    requests = []
    for ticker in options.tickers:
        request = plan_request(ticker, options.start, options.end, stored.get(ticker), options.fresh)
        if request is None:
            summary.up_to_date.append(ticker)
        else:
            requests.append(request)
    logger.info("run %d started: %d tickers from %s, %s to %s (end exclusive)", run_id, len(options.tickers), source.name, options.start, options.end)
    logger.debug("run %d: %d tickers to fetch, %d already up to date", run_id, len(requests), len(summary.up_to_date))

    progress.start(len(options.tickers), len(summary.up_to_date))
    # A small queue makes fetchers wait when the writer falls behind, bounding memory.
    queue: asyncio.Queue[FetchOutcome | None] = asyncio.Queue(maxsize=options.max_workers)
    fetcher = asyncio.create_task(fetch_all(requests, source, queue, options), name="stockloader-fetch-all")
    try:
        while (outcome := await _next_outcome(queue, fetcher)) is not None:
            description = await save_outcome(store, outcome, stored.get(outcome.request.ticker), summary)
            progress.advance(outcome.request.ticker, description)
        await fetcher
    except asyncio.CancelledError:
        await _stop(fetcher)
        await _record_interrupted(store, summary)
        raise
    except BaseException:
        await _stop(fetcher)
        raise
    finally:
        progress.close()

    summary.elapsed = time.perf_counter() - started
    await store.finish_run(run_id, "finished", len(summary.loaded), len(summary.up_to_date), len(summary.failed), summary.rows_written)
    logger.info(
        "run %d finished in %.2f s: %d loaded (%d rows), %d up to date, %d failed",
        run_id, summary.elapsed, len(summary.loaded), summary.rows_written, len(summary.up_to_date), len(summary.failed),
    )
    return summary


async def _next_outcome(queue: asyncio.Queue, fetcher: asyncio.Task) -> FetchOutcome | None:
    """Return the next outcome, or raise the fetcher's exception if it died without its final None."""
    getter = asyncio.ensure_future(queue.get())
    try:
        done, _ = await asyncio.wait({getter, fetcher}, return_when=asyncio.FIRST_COMPLETED)
        if getter in done:
            return getter.result()

        error = fetcher.exception()
        if error is not None:
            raise error
        # The fetcher returned normally, so its final None is already on the queue.
        return await getter
    finally:
        if not getter.done():
            getter.cancel()


async def _stop(fetcher: asyncio.Task) -> None:
    fetcher.cancel()
    await asyncio.gather(fetcher, return_exceptions=True)


async def _record_interrupted(store: PriceStore, summary: LoadSummary) -> None:
    # Best effort: the tickers already written stay committed either way, and a
    # run left "running" reads as interrupted in `stockloader status`.
    try:
        await store.finish_run(summary.run_id, "interrupted", len(summary.loaded), len(summary.up_to_date), len(summary.failed), summary.rows_written)
    except Exception as error:  # the interruption is what the user must see
        logger.debug("could not record run %d as interrupted: %s", summary.run_id, error)
