"""The tables stockloader writes: prices, per-ticker progress and runs."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, DateTime, Float, Integer, MetaData, String, Table, Text

metadata = MetaData()

# One row per ticker and exchange-local trading date. OHLC and volume are as
# the source reports them, and adj_close is the split- and dividend-adjusted close.
prices = Table(
    "prices",
    metadata,
    Column("ticker", String(32), primary_key=True),
    Column("date", Date, primary_key=True),
    Column("open", Float),
    Column("high", Float),
    Column("low", Float),
    Column("close", Float),
    Column("adj_close", Float),
    Column("volume", BigInteger),
    Column("dividends", Float, nullable=False, default=0.0),
    Column("stock_splits", Float, nullable=False, default=0.0),
)

# One row per ticker, written in the same transaction as that ticker's prices.
# [covered_from, covered_until) is the date range already fetched, end exclusive,
# and last_date is the latest stored trading date.
load_progress = Table(
    "load_progress",
    metadata,
    Column("ticker", String(32), primary_key=True),
    Column("status", String(16), nullable=False),  # "done" or "failed"
    Column("covered_from", Date),
    Column("covered_until", Date),
    Column("last_date", Date),
    Column("rows_written", Integer, nullable=False, default=0),
    Column("error", Text),
    Column("run_id", Integer),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One row per `stockloader load`. finished_at stays NULL if the process was killed.
load_runs = Table(
    "load_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),  # "running", "finished" or "interrupted"
    Column("source", String(16), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("tickers_requested", Integer, nullable=False),
    Column("loaded", Integer),
    Column("up_to_date", Integer),
    Column("failed", Integer),
    Column("rows_written", Integer),
)

PROGRESS_DONE = "done"
PROGRESS_FAILED = "failed"
