"""Helpers shared by the stockloader tests: constants, in-process loads and row counts."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

from stockloader.database import parse_database_url
from stockloader.pipeline import LoadOptions, LoadSummary, run_load
from stockloader.progress import NullProgress
from stockloader.store import PriceStore

REPO_ROOT = Path(__file__).resolve().parents[2]
MARKET_DIR = REPO_ROOT / "fixtures" / "market"

POSTGRES_URL_ENV = "ASYNCLINT_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"

# Rows per ticker in fixtures/market/stocks.csv.gz.
BUNDLED_ROWS = {"AAPL": 3270, "FB": 196, "GOOG": 2148, "IBM": 3270, "MSFT": 3270}
BUNDLED_TOTAL = 12154


def stockloader_command() -> list[str]:
    """Return the installed console script, or ``python -m stockloader`` without one."""
    script = Path(sys.executable).with_name("stockloader")
    return [str(script)] if script.exists() else [sys.executable, "-m", "stockloader"]


def recorded_days(recorded_prices, ticker: str, start, end) -> int:
    """Return how many recorded bars ``ticker`` has in [start, end)."""
    dates = recorded_prices.loc[recorded_prices["Ticker"] == ticker, "Date"]
    return int(((dates >= start.isoformat()) & (dates < end.isoformat())).sum())


def count_rows(path: Path) -> dict[str, int]:
    """Return stored rows per ticker, read with the standard library's sqlite3."""
    with sqlite3.connect(path) as connection:
        return dict(connection.execute("SELECT ticker, COUNT(*) FROM prices GROUP BY ticker").fetchall())


def load_in_process(url: str, source, tickers, start, end, **overrides) -> LoadSummary:
    """Run one load in this process, with short retry delays, and return its summary."""
    options = LoadOptions(tickers=tuple(tickers), start=start, end=end, retry_base_delay=0.01, retry_max_delay=0.05, **overrides)

    async def load() -> LoadSummary:
        async with PriceStore.open(parse_database_url(url)) as store:
            return await run_load(options, source, store, NullProgress())

    return asyncio.run(load())


def libpq_url(url: str) -> str:
    # libpq accepts postgresql:// URLs but not SQLAlchemy's "+driver" suffix.
    return parse_database_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_rows(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(libpq_url(url)) as connection:
        return dict(connection.execute("SELECT ticker, COUNT(*) FROM prices GROUP BY ticker").fetchall())
