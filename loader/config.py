"""Validation of command line values: tickers, ticker files, dates and counts.

Every check runs before the database is opened, so a bad argument writes nothing.
Each error is a ``UsageError`` whose message names the value and the fix.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from pathlib import Path

# Yahoo symbols: letters, digits, '.', '-' and '=' (BRK-B, 0700.HK, EURUSD=X, ES=F),
# with a leading '^' for indices (^GSPC). yfinance puts the symbol into the URL
# path unescaped, so anything else (spaces, '/', '$', ...) cannot work.
TICKER_PATTERN = re.compile(r"\^?[A-Z0-9][A-Z0-9.=\-]{0,19}")
TICKER_RULE = "a ticker is 1 to 20 letters, digits, '.', '-' or '=', with an optional leading '^'"


class UsageError(Exception):
    """Invalid command line value. The CLI prints the message on one line and exits with code 2."""


def normalize_ticker(text: str, where: str) -> str:
    """Return ``text`` upper-cased, as yfinance does, or raise ``UsageError`` if it is not a valid symbol."""
    ticker = text.strip().upper()
    if not TICKER_PATTERN.fullmatch(ticker):
        raise UsageError(f"invalid ticker {text.strip()!r} in {where}: {TICKER_RULE}; fix or remove it")
    return ticker


def parse_ticker_list(text: str) -> list[str]:
    """Parse ``--tickers AAPL,MSFT`` into unique tickers, keeping their order."""
    parts = [part for part in text.split(",")]
    if not any(part.strip() for part in parts):
        raise UsageError(f"invalid --tickers {text!r}: no ticker given; pass a comma-separated list such as AAPL,MSFT")
    tickers = []
    for part in parts:
        if not part.strip():
            raise UsageError(f"invalid --tickers {text!r}: empty entry between commas; remove the extra comma")
        tickers.append(normalize_ticker(part, "--tickers"))
    return _unique(tickers)


def read_ticker_file(path: Path) -> list[str]:
    """Read one ticker per line, ignoring blank lines and ``#`` comments (whole-line or trailing)."""
    try:
        # utf-8-sig drops the byte order mark that some Windows editors write.
        content = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"tickers file not found: {path}; check the --tickers-file path") from None
    except UnicodeDecodeError as error:
        raise UsageError(f"tickers file {path} is not UTF-8 text ({error.reason} at byte {error.start}); save it as UTF-8") from None
    except OSError as error:
        raise UsageError(f"cannot read tickers file {path}: {error.strerror}; check the --tickers-file path and permissions") from None

    tickers = []
    for number, line in enumerate(content.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        if len(entry.split()) > 1 or "," in entry:
            raise UsageError(f"invalid line {number} in tickers file {path}: {entry!r}; put one ticker per line")
        tickers.append(normalize_ticker(entry, f"tickers file {path} line {number}"))

    if not tickers:
        raise UsageError(f"tickers file {path} contains no ticker; add one ticker per line")
    return _unique(tickers)


def parse_date(text: str, option: str) -> dt.date:
    """Parse an ISO date (YYYY-MM-DD) given to ``option``."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"invalid {option} {text!r}: expected an ISO date such as 2013-03-01") from None


def check_date_range(start: dt.date, end: dt.date) -> None:
    """Raise ``UsageError`` unless ``start`` is before the exclusive ``end``."""
    if start >= end:
        raise UsageError(f"invalid dates: --start {start} is not before --end {end} (--end is exclusive); give a --start earlier than --end")


def positive_int(text: str) -> int:
    """Parse an argparse value that must be an integer of at least 1."""
    return _bounded_int(text, 1)


def non_negative_int(text: str) -> int:
    """Parse an argparse value that must be an integer of at least 0."""
    return _bounded_int(text, 0)


def _bounded_int(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected an integer of at least {minimum}")
    return value


def _unique(tickers: list[str]) -> list[str]:
    return list(dict.fromkeys(tickers))
