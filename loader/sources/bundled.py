"""The recorded price set shipped in ``fixtures/market/``, read offline.

``stocks.csv.gz`` contains the Quandl WIKI daily prices of AAPL, FB, GOOG, IBM
and MSFT from 2000-03-01 to 2013-03-01 (public domain, copied from the PyPI
package bokeh-sampledata 2026.1). Open, high, low, close and volume are as
traded, and ``Adj Close`` is the source's split- and dividend-adjusted close.
``corporate_actions.csv`` adds the AAPL and MSFT splits and dividends, so the
``dividends`` and ``stock_splits`` columns match what Yahoo reports. The set has
no events for FB, GOOG or IBM, so their event columns stay 0.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import gzip
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .base import PRICE_COLUMNS, FetchRequest, TickerNotFoundError

if TYPE_CHECKING:
    import pandas as pd

DATA_DIR_ENV = "STOCKLOADER_BUNDLED_DIR"
PRICES_FILE = "stocks.csv.gz"
ACTIONS_FILE = "corporate_actions.csv"

# The CSV header of stocks.csv.gz, and the price frame column of each.
_CSV_COLUMNS = {
    "Ticker": "ticker",
    "Date": "date",
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Volume": "volume",
    "Adj Close": "adj_close",
}

# One ticker's recorded bars: price frame column name -> values, sorted by date.
Series = dict[str, list]


class BundledDataError(Exception):
    """The recorded data files are missing or unreadable."""


def default_data_dir() -> Path:
    """Return the folder of the recorded data: ``$STOCKLOADER_BUNDLED_DIR`` or the clone's ``fixtures/market``."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured)

    # loader/sources/bundled.py -> the repository root, two folders above loader/.
    # NOTE: this path exists in a clone and in an editable install only. A wheel
    # does not contain fixtures/, so such installs must set STOCKLOADER_BUNDLED_DIR.
    return Path(__file__).resolve().parents[2] / "fixtures" / "market"


@dataclass(frozen=True)
class CorporateAction:
    """One split or cash dividend, effective on its ex-date."""

    ticker: str
    date: dt.date
    action: str
    value: float


def read_prices(data_dir: Path) -> dict[str, Series]:
    """Read ``stocks.csv.gz`` into one column dict per ticker, with zero dividends and splits.

    The standard library's csv module is used so that a rerun, which fetches
    nothing, does not pay for importing pandas.
    """
    path = data_dir / PRICES_FILE
    series: dict[str, Series] = {}
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            if header != list(_CSV_COLUMNS):
                raise BundledDataError(f"unexpected header in {path}: {header}; expected {list(_CSV_COLUMNS)}")
            for ticker, date, open_, high, low, close, volume, adj_close in reader:
                columns = series.setdefault(ticker, {name: [] for name in ("date", *PRICE_COLUMNS)})
                columns["date"].append(dt.date.fromisoformat(date))
                columns["open"].append(float(open_))
                columns["high"].append(float(high))
                columns["low"].append(float(low))
                columns["close"].append(float(close))
                columns["adj_close"].append(float(adj_close))
                columns["volume"].append(int(float(volume)))
                columns["dividends"].append(0.0)
                columns["stock_splits"].append(0.0)
    except FileNotFoundError as error:
        raise BundledDataError(f"bundled price file not found: {path}; run from a clone of the repository or set {DATA_DIR_ENV}") from error
    except (OSError, ValueError, EOFError) as error:
        raise BundledDataError(f"cannot read bundled price file {path}: {error}") from error

    for columns in series.values():
        _sort_by_date(columns)
    return series


def _sort_by_date(columns: Series) -> None:
    order = sorted(range(len(columns["date"])), key=columns["date"].__getitem__)
    for name, values in columns.items():
        columns[name] = [values[index] for index in order]


def read_actions(data_dir: Path) -> list[CorporateAction]:
    """Read ``corporate_actions.csv``: one row per split (ratio) or dividend (cash per share)."""
    path = data_dir / ACTIONS_FILE
    actions = []
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                if row["action"] not in ("split", "dividend"):
                    raise BundledDataError(f"{path} line {number}: invalid action {row['action']!r}; expected split or dividend")
                actions.append(CorporateAction(row["ticker"], dt.date.fromisoformat(row["date"]), row["action"], float(row["value"])))
    except FileNotFoundError as error:
        raise BundledDataError(f"bundled corporate actions file not found: {path}; run from a clone of the repository or set {DATA_DIR_ENV}") from error
    except (OSError, ValueError, KeyError) as error:
        raise BundledDataError(f"cannot read bundled corporate actions file {path}: {error}") from error
    return actions


def apply_actions(series: dict[str, Series], actions: list[CorporateAction]) -> None:
    """Write each action into the row of its ticker and ex-date."""
    for action in actions:
        columns = series.get(action.ticker)
        dates = columns["date"] if columns else []
        index = bisect.bisect_left(dates, action.date)
        if index == len(dates) or dates[index] != action.date:
            raise BundledDataError(f"corporate action of {action.ticker} on {action.date} has no price row on that date")
        column = "stock_splits" if action.action == "split" else "dividends"
        columns[column][index] = action.value


class BundledSource:
    """Serve fetches from the recorded data set, with the same semantics as the Yahoo source."""

    name = "bundled"

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = data_dir or default_data_dir()
        self._lock = threading.Lock()
        self._series: dict[str, Series] | None = None

    def _load(self) -> dict[str, Series]:
        # Worker threads may call fetch at the same time, so the files are read once under a lock.
        with self._lock:
            if self._series is None:
                series = read_prices(self.data_dir)
                apply_actions(series, read_actions(self.data_dir))
                self._series = series
            return self._series

    def tickers(self) -> list[str]:
        """Return the tickers in the data set, sorted."""
        return sorted(self._load())

    def date_range(self) -> tuple[dt.date, dt.date]:
        """Return the first and the last trading date in the data set (both inclusive)."""
        series = self._load().values()
        return min(columns["date"][0] for columns in series), max(columns["date"][-1] for columns in series)

    def default_range(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """Return the whole recorded range, with ``end`` the day after the last recorded date."""
        first, last = self.date_range()
        return first, last + dt.timedelta(days=1)

    def fetch(self, request: FetchRequest) -> pd.DataFrame:
        """Return the recorded bars of ``request`` from ``start`` up to, not including, ``end``."""
        import pandas as pd

        series = self._load()
        columns = series.get(request.ticker)
        if columns is None:
            raise TickerNotFoundError(f"no data: {request.ticker} is not in the bundled data set ({', '.join(sorted(series))})")

        first = bisect.bisect_left(columns["date"], request.start)
        last = bisect.bisect_left(columns["date"], request.end)
        return pd.DataFrame({name: values[first:last] for name, values in columns.items()}, columns=["date", *PRICE_COLUMNS])
