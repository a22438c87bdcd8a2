"""Fixtures for the stockloader tests: recorded data, offline yfinance, SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
import warnings
from pathlib import Path

import pandas as pd
import pytest

from loader_support import DEFAULT_POSTGRES_URL, MARKET_DIR, POSTGRES_URL_ENV, libpq_url

from stockloader.database import parse_database_url
from stockloader.sources.bundled import BundledSource
from stockloader.sources.yahoo import YahooSource
from yahoo_replay import YahooReplayAdapter, replay_session


def pytest_configure(config: pytest.Config) -> None:
    # yfinance 1.7 calls pandas APIs that pandas 3 deprecates (inplace=True).
    config.addinivalue_line("filterwarnings", r"ignore::DeprecationWarning:yfinance\b")
    config.addinivalue_line("filterwarnings", r"ignore::FutureWarning:yfinance\b")


@pytest.fixture(scope="session", autouse=True)
def yfinance_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Point yfinance's timezone and cookie caches at a temporary folder, never at ~/.cache."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import yfinance as yf

    folder = tmp_path_factory.mktemp("yfinance-cache")
    yf.set_tz_cache_location(str(folder))
    return folder


@pytest.fixture(scope="session")
def bundled_source() -> BundledSource:
    source = BundledSource(MARKET_DIR)
    source.tickers()
    return source


@pytest.fixture(scope="session")
def recorded_prices() -> pd.DataFrame:
    """The raw recorded CSV, as shipped."""
    return pd.read_csv(MARKET_DIR / "stocks.csv.gz")


@pytest.fixture
def replay_adapter(bundled_source: BundledSource) -> YahooReplayAdapter:
    """A fresh offline Yahoo, with no faults planned and no requests recorded."""
    return YahooReplayAdapter(bundled_source)


@pytest.fixture
def yahoo_source(replay_adapter: YahooReplayAdapter) -> YahooSource:
    """The real yfinance source, talking to ``replay_adapter`` through a requests.Session."""
    return YahooSource(session=replay_session(replay_adapter))


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "stocks.db"


@pytest.fixture
def sqlite_url(sqlite_path: Path) -> str:
    return f"sqlite:///{sqlite_path}"


# PostgreSQL.


def _postgres_admin_url() -> str:
    return os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """Return the admin URL of a reachable PostgreSQL server, or skip with how to configure one."""
    import psycopg

    url = _postgres_admin_url()
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=3, autocommit=True) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        pytest.skip(
            f"PostgreSQL not reachable at {url} ({str(error).strip().splitlines()[0]}); "
            f"start it or set {POSTGRES_URL_ENV}=postgresql://USER@HOST:PORT/DATABASE"
        )
    return url


@pytest.fixture
def postgres_url(postgres_server: str):
    """Create an empty database for one test, yield its SQLAlchemy URL, then drop it."""
    import psycopg

    name = f"stockloader_test_{uuid.uuid4().hex[:12]}"
    admin = libpq_url(postgres_server)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield str(parse_database_url(postgres_server).set(database=name).render_as_string(hide_password=False))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
