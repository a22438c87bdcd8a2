"""Storage: schema, idempotent upserts, statement size and transactions, on SQLite."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import sqlite3

import pandas as pd
import pytest
from loader_support import BUNDLED_ROWS, count_rows, load_in_process
from sqlalchemy import event
from sqlalchemy.engine import Engine

from stockloader import store as store_module
from stockloader.database import DatabaseError, asyncio_url, parse_database_url, sqlite_file
from stockloader.schema import prices
from stockloader.sources import FetchRequest
from stockloader.store import PriceStore, frame_to_rows, merge_covered

START = dt.date(2000, 3, 1)
END = dt.date(2013, 3, 2)

# The lower of PostgreSQL's bind parameter limit (32,767) and SQLite's default (32,766).
PARAMETER_LIMIT = 32766


def test_statement_fits_parameter_limits() -> None:
    assert store_module.MAX_ROWS_PER_STATEMENT * len(prices.columns) <= PARAMETER_LIMIT


def test_upsert_chunks_rows(monkeypatch, sqlite_url, sqlite_path, bundled_source) -> None:
    monkeypatch.setattr(store_module, "MAX_ROWS_PER_STATEMENT", 500)
    batch_sizes: list[int] = []

    def record(connection, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO PRICES"):
            batch_sizes.append(len(parameters) if executemany else 1)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        load_in_process(sqlite_url, bundled_source, ["AAPL"], START, END)
    finally:
        event.remove(Engine, "before_cursor_execute", record)

    assert batch_sizes == [500] * 6 + [270]
    assert count_rows(sqlite_path) == {"AAPL": 3270}


def test_upsert_updates_changed_rows(sqlite_url, sqlite_path, bundled_source) -> None:
    request = FetchRequest("IBM", dt.date(2010, 1, 4), dt.date(2010, 1, 9))
    frame = bundled_source.fetch(request)
    revised = frame.assign(close=frame["close"] + 1.0)

    async def write_twice() -> None:
        async with PriceStore.open(parse_database_url(sqlite_url)) as store:
            run_id = await store.start_run("test", request.start, request.end, 1)
            await store.save_prices(request, frame, None, run_id)
            await store.save_prices(request, revised, None, run_id)

    asyncio.run(write_twice())

    with sqlite3.connect(sqlite_path) as connection:
        stored = connection.execute("SELECT close FROM prices WHERE ticker = 'IBM' ORDER BY date").fetchall()
    assert [close for (close,) in stored] == revised["close"].tolist()


def test_rows_and_progress_share_transaction(monkeypatch, sqlite_url, sqlite_path, bundled_source) -> None:
    # A progress row without a status violates NOT NULL, so the commit must fail
    # and take the ticker's price rows with it.
    original = PriceStore._progress_values

    def broken_progress(*args, **kwargs):
        values = original(*args, **kwargs)
        return {**values, "status": None}

    monkeypatch.setattr(PriceStore, "_progress_values", staticmethod(broken_progress))

    with pytest.raises(DatabaseError, match="cannot write prices of AAPL"):
        load_in_process(sqlite_url, bundled_source, ["AAPL"], START, END)

    assert count_rows(sqlite_path) == {}


def test_load_full_bundled_set(sqlite_url, sqlite_path, bundled_source, recorded_prices) -> None:
    summary = load_in_process(sqlite_url, bundled_source, bundled_source.tickers(), START, END)

    assert summary.loaded == BUNDLED_ROWS
    stored = pd.read_sql("SELECT * FROM prices ORDER BY ticker, date", f"sqlite:///{sqlite_path}")
    expected = recorded_prices.sort_values(["Ticker", "Date"]).reset_index(drop=True)
    assert stored["date"].tolist() == expected["Date"].tolist()
    assert stored["adj_close"].tolist() == expected["Adj Close"].tolist()
    assert stored["volume"].tolist() == expected["Volume"].tolist()


def test_frame_to_rows_types(bundled_source) -> None:
    frame = bundled_source.fetch(FetchRequest("MSFT", dt.date(2003, 2, 18), dt.date(2003, 2, 20)))
    frame.loc[0, "volume"] = math.nan

    rows = frame_to_rows("MSFT", frame)

    assert rows[0]["volume"] is None
    assert type(rows[1]["volume"]) is int
    assert type(rows[1]["close"]) is float
    assert rows[0]["stock_splits"] == 2.0
    assert rows[1]["dividends"] == 0.08
    assert rows[0]["date"] == dt.date(2003, 2, 18)


def test_merge_covered_ranges() -> None:
    request = FetchRequest("AAPL", dt.date(2010, 1, 1), dt.date(2011, 1, 1))
    touching = store_module.TickerProgress("AAPL", "done", dt.date(2005, 1, 1), dt.date(2010, 1, 1), dt.date(2009, 12, 31), None, 1, None)
    apart = store_module.TickerProgress("AAPL", "done", dt.date(2005, 1, 1), dt.date(2006, 1, 1), dt.date(2005, 12, 30), None, 1, None)

    assert merge_covered(None, request) == (dt.date(2010, 1, 1), dt.date(2011, 1, 1))
    assert merge_covered(touching, request) == (dt.date(2005, 1, 1), dt.date(2011, 1, 1))
    assert merge_covered(apart, request) == (dt.date(2010, 1, 1), dt.date(2011, 1, 1))


def test_database_urls_get_asyncio_drivers() -> None:
    assert asyncio_url(parse_database_url("sqlite:///stocks.db")).drivername == "sqlite+aiosqlite"
    assert asyncio_url(parse_database_url("postgresql://u@h/db")).drivername == "postgresql+asyncpg"
    assert asyncio_url(parse_database_url("postgresql+psycopg2://u@h/db")).drivername == "postgresql+asyncpg"
    assert asyncio_url(parse_database_url("postgresql+psycopg://u@h/db")).drivername == "postgresql+psycopg"


def test_unsupported_database_rejected() -> None:
    with pytest.raises(DatabaseError, match="unsupported database 'mysql'"):
        parse_database_url("mysql://root@127.0.0.1/test")


def test_sqlite_file_of_url() -> None:
    assert str(sqlite_file(parse_database_url("sqlite:///stocks.db"))) == "stocks.db"
    assert sqlite_file(parse_database_url("sqlite://")) is None
    assert sqlite_file(parse_database_url("sqlite:///file:stocks.db?mode=ro&uri=true")) is None


def test_repeated_date_keeps_last(bundled_source) -> None:
    frame = bundled_source.fetch(FetchRequest("IBM", dt.date(2010, 1, 4), dt.date(2010, 1, 6)))
    repeated = pd.concat([frame, frame.assign(close=0.5)], ignore_index=True)

    rows = frame_to_rows("IBM", repeated)

    assert [row["date"] for row in rows] == [dt.date(2010, 1, 4), dt.date(2010, 1, 5)]
    assert [row["close"] for row in rows] == [0.5, 0.5]
