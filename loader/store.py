"""The single writer: every database read and write of a load goes through one ``PriceStore``.

SQLite allows one writer at a time, and neither an ``AsyncConnection`` nor an
``AsyncSession`` may be used by two tasks at once. So a load opens one
connection, and only the pipeline's writer loop uses it. Each ticker's rows
and its progress row are written in one transaction, so a crash or Ctrl-C
never marks a ticker done without its data.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, AsyncIterator, Iterator, Sequence

from sqlalchemy import func, insert, inspect, select, text, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from .database import DatabaseError, connection_hint, create_engine, describe_error, display_url
from .schema import PROGRESS_DONE, PROGRESS_FAILED, load_progress, load_runs, metadata, prices
from .sources import PRICE_COLUMNS, FetchRequest

if TYPE_CHECKING:
    # pandas is imported only where frames are built, so `status` and reruns start faster.
    import pandas as pd

# PostgreSQL's protocol caps a statement at 32,767 bind parameters, and SQLite
# 3.32+ at 32,766 by default. 1,000 rows of 10 columns stay well below both.
MAX_ROWS_PER_STATEMENT = 1000

# Serializes schema creation when several loaders start against one PostgreSQL database.
_SCHEMA_LOCK_ID = 0x5374_6B4C  # "StkL"


@dataclass(frozen=True)
class TickerProgress:
    """The stored progress of one ticker."""

    ticker: str
    status: str
    covered_from: dt.date | None
    covered_until: dt.date | None
    last_date: dt.date | None
    error: str | None
    run_id: int | None
    updated_at: dt.datetime | None


@dataclass(frozen=True)
class TickerSummary:
    """One line of ``stockloader status``: a ticker's stored range, row count and progress."""

    ticker: str
    first_date: dt.date | None
    last_date: dt.date | None
    rows: int
    progress: TickerProgress | None


@dataclass(frozen=True)
class RunRecord:
    """One row of ``load_runs``."""

    id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    source: str
    start_date: dt.date
    end_date: dt.date
    tickers_requested: int
    loaded: int | None
    up_to_date: int | None
    failed: int | None
    rows_written: int | None


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def merge_covered(previous: TickerProgress | None, request: FetchRequest) -> tuple[dt.date, dt.date]:
    """Return the covered range after a successful fetch of ``request``.

    The old range is kept when it touches the new one. A fetch that leaves a gap
    (an earlier --start after a --fresh load, say) replaces it.
    """
    if previous is None or previous.covered_from is None or previous.covered_until is None:
        return request.start, request.end
    if request.start > previous.covered_until or request.end < previous.covered_from:
        return request.start, request.end
    return min(previous.covered_from, request.start), max(previous.covered_until, request.end)


def frame_to_rows(ticker: str, frame: pd.DataFrame) -> list[dict]:
    """Convert a price frame into parameter dicts for the ``prices`` upsert.

    ``tolist()`` yields Python floats and ints, which asyncpg requires (it rejects
    numpy integers). NaN becomes NULL, except in the event columns, where no event is 0.
    """
    # PostgreSQL rejects an upsert statement that touches the same row twice,
    # which a multi-row INSERT would do with a repeated date.
    frame = frame.drop_duplicates("date", keep="last")
    columns: dict[str, list] = {"date": frame["date"].tolist()}
    for name in PRICE_COLUMNS:
        values = frame[name].tolist()
        if name in ("dividends", "stock_splits"):
            columns[name] = [0.0 if _is_missing(value) else float(value) for value in values]
        elif name == "volume":
            columns[name] = [None if _is_missing(value) else int(value) for value in values]
        else:
            columns[name] = [None if _is_missing(value) else float(value) for value in values]

    names = list(columns)
    return [{"ticker": ticker, **dict(zip(names, values))} for values in zip(*columns.values())]


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _chunks(rows: Sequence[dict], size: int) -> Iterator[Sequence[dict]]:
    for offset in range(0, len(rows), size):
        yield rows[offset : offset + size]


class PriceStore:
    """Read and write prices, progress and runs through one ``AsyncConnection``.

    ``write_delay`` (seconds) sleeps after each chunk inside a ticker's
    transaction. It exists only so that tests can kill a load mid-transaction.
    """

    def __init__(self, connection: AsyncConnection, url: URL, write_delay: float = 0.0) -> None:
        self._connection = connection
        self.url = url
        self._write_delay = write_delay
        # Each dialect has its own INSERT ... ON CONFLICT construct. Importing only the
        # one in use keeps the start of a SQLite run shorter.
        if connection.dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        self._insert = dialect_insert
        self._upsert_prices = self._upsert(prices, ["ticker", "date"])
        self._upsert_progress = self._upsert(load_progress, ["ticker"])

    @classmethod
    @asynccontextmanager
    async def open(cls, url: URL, *, create: bool = True, write_delay: float = 0.0) -> AsyncIterator[PriceStore]:
        """Connect to ``url`` and yield a store, making the tables first when ``create`` is true.

        Connection and schema errors become ``DatabaseError``.
        """
        engine = create_engine(url)
        try:
            try:
                connection = await engine.connect()
            except (SQLAlchemyError, OSError, asyncio.TimeoutError) as error:
                raise DatabaseError(f"cannot connect to database {display_url(url)}: {describe_error(error)}; {connection_hint(url)}") from error

            try:
                store = cls(connection, url, write_delay)
                if create:
                    await store._create_schema()
                yield store
            finally:
                await connection.close()
        finally:
            await engine.dispose()

    def _upsert(self, table, keys: list[str]):
        statement = self._insert(table)
        updates = {column.name: statement.excluded[column.name] for column in table.columns if column.name not in keys}
        return statement.on_conflict_do_update(index_elements=keys, set_=updates)

    async def _create_schema(self) -> None:
        try:
            if self._connection.dialect.name == "sqlite":
                # WAL lets `stockloader status` read while a load writes. The mode is
                # stored in the file, and PRAGMA journal_mode must run outside a transaction.
                await self._connection.exec_driver_sql("PRAGMA journal_mode=WAL")
                await self._connection.commit()
            async with self._connection.begin():
                if self._connection.dialect.name == "postgresql":
                    await self._connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _SCHEMA_LOCK_ID})
                # create_all skips a table that exists, whatever its columns, so
                # a foreign `prices` table would fail only later, after the run
                # row was written. Check first, inside this transaction, so
                # nothing is created when the database is not ours.
                conflicts = await self._connection.run_sync(_conflicting_tables)
                if conflicts:
                    raise DatabaseError(
                        f"{display_url(self.url)} already has tables that stockloader cannot use "
                        f"({'; '.join(conflicts)}); use another database or schema, or drop those tables"
                    )
                await self._connection.run_sync(metadata.create_all)
        except SQLAlchemyError as error:
            raise DatabaseError(f"cannot create tables in {display_url(self.url)}: {describe_error(error)}; check that the database is writable") from error

    # Runs.

    async def start_run(self, source: str, start: dt.date, end: dt.date, tickers: int) -> int:
        """Insert a ``running`` row into ``load_runs`` and return its id.

        When the tables already exist this is the load's first write, so a
        read-only database fails here, before any price is written.
        """
        values = {"started_at": utc_now(), "status": "running", "source": source, "start_date": start, "end_date": end, "tickers_requested": tickers}
        try:
            async with self._connection.begin():
                result = await self._connection.execute(insert(load_runs).values(values))
                return int(result.inserted_primary_key[0])
        except SQLAlchemyError as error:
            raise DatabaseError(f"cannot write to database {display_url(self.url)}: {describe_error(error)}; check that it is writable") from error

    async def finish_run(self, run_id: int, status: str, loaded: int, up_to_date: int, failed: int, rows_written: int) -> None:
        """Record the end of run ``run_id`` with its counts."""
        values = {"finished_at": utc_now(), "status": status, "loaded": loaded, "up_to_date": up_to_date, "failed": failed, "rows_written": rows_written}
        await self._write(update(load_runs).where(load_runs.c.id == run_id).values(values))

    # Progress.

    async def read_progress(self) -> dict[str, TickerProgress]:
        """Return the stored progress of every ticker, keyed by ticker."""
        rows = await self._read(select(load_progress))
        return {row.ticker: _progress_from_row(row) for row in rows}

    async def save_prices(self, request: FetchRequest, frame: pd.DataFrame, previous: TickerProgress | None, run_id: int) -> int:
        """Upsert the rows of ``frame`` and mark ``request`` done in one transaction, then return the row count."""
        rows = frame_to_rows(request.ticker, frame)
        covered_from, covered_until = merge_covered(previous, request)
        last_date = max(rows[-1]["date"], previous.last_date) if previous and previous.last_date else rows[-1]["date"]
        progress = self._progress_values(request.ticker, PROGRESS_DONE, covered_from, covered_until, last_date, len(rows), None, run_id)

        try:
            async with self._connection.begin():
                for chunk in _chunks(rows, MAX_ROWS_PER_STATEMENT):
                    await self._connection.execute(self._upsert_prices, list(chunk))
                    if self._write_delay:
                        await asyncio.sleep(self._write_delay)
                await self._connection.execute(self._upsert_progress, progress)
        except SQLAlchemyError as error:
            raise DatabaseError(f"cannot write prices of {request.ticker} to {display_url(self.url)}: {describe_error(error)}") from error
        return len(rows)

    async def save_up_to_date(self, request: FetchRequest, previous: TickerProgress, run_id: int) -> None:
        """Mark a ticker done whose fetch returned no new bars, extending its covered range."""
        covered_from, covered_until = merge_covered(previous, request)
        progress = self._progress_values(request.ticker, PROGRESS_DONE, covered_from, covered_until, previous.last_date, 0, None, run_id)
        await self._write(self._upsert_progress, progress)

    async def save_failure(self, ticker: str, reason: str, previous: TickerProgress | None, run_id: int) -> None:
        """Mark ``ticker`` failed with ``reason``, keeping the range it already covers."""
        progress = self._progress_values(
            ticker,
            PROGRESS_FAILED,
            previous.covered_from if previous else None,
            previous.covered_until if previous else None,
            previous.last_date if previous else None,
            0,
            reason,
            run_id,
        )
        await self._write(self._upsert_progress, progress)

    @staticmethod
    def _progress_values(ticker, status, covered_from, covered_until, last_date, rows_written, error, run_id) -> dict:
        return {
            "ticker": ticker,
            "status": status,
            "covered_from": covered_from,
            "covered_until": covered_until,
            "last_date": last_date,
            "rows_written": rows_written,
            "error": error,
            "run_id": run_id,
            "updated_at": utc_now(),
        }

    # Status.

    async def ticker_summaries(self) -> list[TickerSummary]:
        """Return first date, last date, row count and progress of every ticker, sorted by ticker."""
        counts = await self._read(
            select(prices.c.ticker, func.min(prices.c.date), func.max(prices.c.date), func.count()).group_by(prices.c.ticker)
        )
        progress = await self.read_progress()
        by_ticker = {row[0]: TickerSummary(row[0], row[1], row[2], int(row[3]), progress.get(row[0])) for row in counts}
        for ticker, record in progress.items():
            by_ticker.setdefault(ticker, TickerSummary(ticker, None, None, 0, record))
        return [by_ticker[ticker] for ticker in sorted(by_ticker)]

    async def last_run(self) -> RunRecord | None:
        """Return the most recent run, or None before the first load."""
        rows = await self._read(select(load_runs).order_by(load_runs.c.id.desc()).limit(1))
        return RunRecord(**rows[0]._asdict()) if rows else None

    async def has_tables(self) -> bool:
        """Return whether the stockloader tables exist."""
        names = await self._connection.run_sync(lambda sync: set(sync.dialect.get_table_names(sync)))
        return {prices.name, load_progress.name, load_runs.name} <= names

    # Helpers.

    async def _read(self, statement):
        try:
            result = await self._connection.execute(statement)
            rows = result.all()
            # Reads must not hold a transaction open: SQLite would keep a snapshot.
            await self._connection.commit()
            return rows
        except SQLAlchemyError as error:
            raise DatabaseError(f"cannot read from database {display_url(self.url)}: {describe_error(error)}") from error

    async def _write(self, statement, parameters=None) -> None:
        try:
            async with self._connection.begin():
                await self._connection.execute(statement, parameters)
        except SQLAlchemyError as error:
            raise DatabaseError(f"cannot write to database {display_url(self.url)}: {describe_error(error)}") from error


def _progress_from_row(row) -> TickerProgress:
    return TickerProgress(
        ticker=row.ticker,
        status=row.status,
        covered_from=row.covered_from,
        covered_until=row.covered_until,
        last_date=row.last_date,
        error=row.error,
        run_id=row.run_id,
        updated_at=row.updated_at,
    )


def _conflicting_tables(connection) -> list[str]:  # type: ignore[no-untyped-def]
    """Describe existing tables named like stockloader's that lack its columns."""
    inspector = inspect(connection)
    conflicts = []
    for table in metadata.sorted_tables:
        if not inspector.has_table(table.name, schema=table.schema):
            continue
        present = {column["name"] for column in inspector.get_columns(table.name, schema=table.schema)}
        missing = [column.name for column in table.columns if column.name not in present]
        if missing:
            conflicts.append(f"{table.name} lacks {', '.join(missing)}")
    return conflicts
