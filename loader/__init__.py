"""stockloader: an asyncio batch loader of daily stock prices into SQL databases.

``stockloader load`` fetches daily bars from Yahoo Finance (through yfinance)
or from the recorded data set in ``fixtures/market/``, and upserts them into
SQLite or PostgreSQL, keeping per-ticker progress so that a rerun resumes.
"""

__version__ = "0.1.0"
