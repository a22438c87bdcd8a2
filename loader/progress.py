"""Progress output: a tqdm bar on a terminal, plain log lines otherwise, nothing with --quiet."""

from __future__ import annotations

import logging
from typing import Protocol, TextIO

from tqdm import tqdm

logger = logging.getLogger("stockloader")


class Progress(Protocol):
    """Receives one call per finished ticker."""

    def start(self, total: int, finished: int) -> None: ...

    def advance(self, ticker: str, outcome: str) -> None: ...

    def close(self) -> None: ...


class NullProgress:
    """Progress output for --quiet: none."""

    def start(self, total: int, finished: int) -> None:
        pass

    def advance(self, ticker: str, outcome: str) -> None:
        pass

    def close(self) -> None:
        pass


class LogProgress:
    """One INFO log line per ticker, for logs and pipes."""

    def __init__(self) -> None:
        self._total = 0
        self._finished = 0

    def start(self, total: int, finished: int) -> None:
        self._total = total
        self._finished = finished
        logger.info("%d of %d tickers already up to date, fetching %d", finished, total, total - finished)

    def advance(self, ticker: str, outcome: str) -> None:
        self._finished += 1
        logger.info("[%d/%d] %s: %s", self._finished, self._total, ticker, outcome)

    def close(self) -> None:
        pass


class BarProgress:
    """A tqdm bar counting tickers, showing the last finished one."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._bar: tqdm | None = None

    def start(self, total: int, finished: int) -> None:
        self._bar = tqdm(total=total, initial=finished, unit="ticker", file=self._stream, dynamic_ncols=True)

    def advance(self, ticker: str, outcome: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(f"{ticker}: {outcome}", refresh=False)
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def make_progress(stream: TextIO, quiet: bool) -> Progress:
    """Pick the progress output for ``stream``: a bar only when it is a terminal."""
    if quiet:
        return NullProgress()
    if stream.isatty():
        return BarProgress(stream)
    return LogProgress()
