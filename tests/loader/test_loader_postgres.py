"""Loads into a real PostgreSQL server. Each test gets its own database, dropped afterwards.

The server URL comes from ASYNCLINT_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test). Without a reachable server these
tests are skipped with a message naming that variable.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pandas as pd
import psycopg
import pytest
from loader_support import BUNDLED_ROWS, BUNDLED_TOTAL, libpq_url, load_in_process, postgres_rows

from stockloader.cli import main
from stockloader.database import parse_database_url
from stockloader.pipeline import LoadOptions, run_load
from stockloader.progress import NullProgress
from stockloader.store import PriceStore

pytestmark = pytest.mark.postgres

START = dt.date(2000, 3, 1)
END = dt.date(2013, 3, 2)


def test_demo_load_rerun_status(postgres_url, capsys) -> None:
    assert main(["load", "--source", "bundled", "--db", postgres_url, "-q"]) == 0
    first = capsys.readouterr().out
    assert main(["load", "--source", "bundled", "--db", postgres_url, "-q"]) == 0
    second = capsys.readouterr().out
    assert main(["status", "--db", postgres_url]) == 0
    status = capsys.readouterr().out

    assert f"wrote {BUNDLED_TOTAL} rows for 5 tickers" in first
    assert "wrote 0 rows for 0 tickers" in second
    assert "AAPL    2000-03-01  2013-03-01  3270  done" in status
    assert "FB      2012-05-18  2013-03-01   196  done" in status
    assert f"5 tickers, {BUNDLED_TOTAL} rows." in status
    assert postgres_rows(postgres_url) == BUNDLED_ROWS


def test_column_types_and_values(postgres_url, bundled_source, recorded_prices) -> None:
    load_in_process(postgres_url, bundled_source, ["MSFT"], START, END)

    with psycopg.connect(libpq_url(postgres_url)) as connection:
        types = dict(connection.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'prices'").fetchall())
        split_day = connection.execute("SELECT date, close, adj_close, volume, dividends, stock_splits FROM prices WHERE ticker = 'MSFT' AND date = '2003-02-18'").fetchone()

    recorded = recorded_prices[(recorded_prices["Ticker"] == "MSFT") & (recorded_prices["Date"] == "2003-02-18")].iloc[0]
    assert types["date"] == "date"
    assert types["volume"] == "bigint"
    assert split_day == (dt.date(2003, 2, 18), recorded["Close"], recorded["Adj Close"], int(recorded["Volume"]), 0.0, 2.0)


def test_yahoo_load_matches_bundled(postgres_url, yahoo_source, bundled_source, tmp_path) -> None:
    yahoo_summary = load_in_process(postgres_url, yahoo_source, ["AAPL", "MSFT", "FB"], START, END)
    bundled_url = f"sqlite:///{tmp_path / 'bundled.db'}"
    load_in_process(bundled_url, bundled_source, ["AAPL", "MSFT", "FB"], START, END)

    assert yahoo_summary.loaded == {ticker: BUNDLED_ROWS[ticker] for ticker in ("AAPL", "MSFT", "FB")}
    query = "SELECT * FROM prices ORDER BY ticker, date"
    with psycopg.connect(libpq_url(postgres_url)) as connection:
        from_postgres = pd.DataFrame(connection.execute(query).fetchall(), columns=["ticker", "date", "open", "high", "low", "close", "adj_close", "volume", "dividends", "stock_splits"])
    from_sqlite = pd.read_sql(query, bundled_url, parse_dates=None)
    from_sqlite["date"] = [dt.date.fromisoformat(text) for text in from_sqlite["date"]]
    pd.testing.assert_frame_equal(from_postgres, from_sqlite)


def test_two_loaders_share_one_store(postgres_url, bundled_source) -> None:
    # Two loaders start together: both create the schema and upsert the same tickers.
    first = LoadOptions(tickers=("AAPL", "IBM", "MSFT"), start=START, end=END)
    second = LoadOptions(tickers=("MSFT", "GOOG", "AAPL", "FB"), start=START, end=END)

    async def load(options: LoadOptions):
        async with PriceStore.open(parse_database_url(postgres_url)) as store:
            return await run_load(options, bundled_source, store, NullProgress())

    async def load_both():
        return await asyncio.gather(load(first), load(second))

    summaries = asyncio.run(load_both())

    assert all(summary.failed == {} for summary in summaries)
    assert postgres_rows(postgres_url) == BUNDLED_ROWS
    with psycopg.connect(libpq_url(postgres_url)) as connection:
        assert connection.execute("SELECT COUNT(*) FROM load_runs WHERE status = 'finished'").fetchone() == (2,)


def test_read_only_role_exit_two(postgres_url, capsys) -> None:
    assert main(["load", "--source", "bundled", "--tickers", "FB", "--db", postgres_url, "-q"]) == 0
    capsys.readouterr()
    role = f"stockloader_reader_{uuid.uuid4().hex[:8]}"
    admin = libpq_url(postgres_url)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE ROLE "{role}" LOGIN')
        connection.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        connection.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
    try:
        reader_url = parse_database_url(postgres_url).set(username=role).render_as_string(hide_password=False)

        code = main(["load", "--source", "bundled", "--tickers", "IBM", "--db", reader_url, "-q"])
        error = capsys.readouterr().err

        assert code == 2
        assert error.count("\n") == 1
        assert "permission denied" in error
        assert postgres_rows(postgres_url) == {"FB": BUNDLED_ROWS["FB"]}
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP OWNED BY "{role}"')
            connection.execute(f'DROP ROLE "{role}"')
