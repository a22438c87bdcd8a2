"""The ``stockloader`` command: ``load`` and ``status``.

Exit codes: 0 when every ticker loaded or was up to date, 1 when some tickers
failed, 2 for an invalid argument or an unusable database, 130 after Ctrl-C
and 143 after SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal
import sys
import warnings
from pathlib import Path

from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from tqdm.contrib.logging import logging_redirect_tqdm

from .config import (
    UsageError,
    check_date_range,
    non_negative_int,
    parse_date,
    parse_ticker_list,
    positive_int,
    read_ticker_file,
)
from .database import DatabaseError, describe_error, display_url, parse_database_url, sqlite_file
from .pipeline import LoadOptions, LoadSummary, run_load
from .progress import BarProgress, make_progress
from .report import format_status, format_summary
from .sources import PriceSource
from .sources.bundled import BundledDataError, BundledSource
from .store import PriceStore

logger = logging.getLogger("stockloader")

# Seconds to sleep after each chunk of rows inside a ticker's transaction. Tests
# set it so that SIGINT or SIGKILL lands in the middle of a load. Normal use never needs it.
WRITE_DELAY_ENV = "STOCKLOADER_WRITE_DELAY"

DEFAULT_DB = "sqlite:///stocks.db"
EXIT_USAGE = 2
EXIT_SIGINT = 130
EXIT_SIGTERM = 143


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line: the problem, the value and where to look."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}; see '{self.prog} --help'\n")


def build_parser() -> OneLineParser:
    """Build the parser of ``stockloader load`` and ``stockloader status``."""
    output = argparse.ArgumentParser(add_help=False)
    verbosity = output.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="print only warnings, errors and the final summary")
    verbosity.add_argument("-v", "--verbose", action="store_true", help="log debug details")

    parser = OneLineParser(prog="stockloader", description="Load daily stock prices into SQLite or PostgreSQL, resuming where the last run stopped.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    load = commands.add_parser("load", parents=[output], help="download daily prices and store them", description="Download daily prices and upsert them into the database.")
    tickers = load.add_mutually_exclusive_group()
    tickers.add_argument("--tickers", metavar="LIST", help="comma-separated tickers, e.g. AAPL,MSFT (default with --source bundled: every bundled ticker)")
    tickers.add_argument("--tickers-file", metavar="FILE", type=Path, help="file with one ticker per line; '#' starts a comment")
    load.add_argument("--start", metavar="DATE", help="first date, YYYY-MM-DD (default: 1900-01-01 for yahoo, the first bundled date for bundled)")
    load.add_argument("--end", metavar="DATE", help="end date, YYYY-MM-DD, exclusive as in yfinance (default: today for yahoo, the day after the last bundled date for bundled)")
    load.add_argument("--db", metavar="URL", default=DEFAULT_DB, help=f"SQLAlchemy database URL (default: {DEFAULT_DB} in the working folder)")
    load.add_argument("--source", choices=("yahoo", "bundled"), default="yahoo", help="yahoo: Yahoo Finance through yfinance; bundled: the recorded 2000-2013 prices in fixtures/market (default: yahoo)")
    load.add_argument("--batch-size", metavar="N", type=positive_int, default=50, help="tickers scheduled together; the next batch starts when the current one has finished (default: 50)")
    load.add_argument("--max-workers", metavar="N", type=positive_int, default=4, help="maximum concurrent downloads (default: 4)")
    load.add_argument("--retries", metavar="N", type=non_negative_int, default=3, help="retries per ticker after a rate limit or network error, with exponential backoff (default: 3)")
    load.add_argument("--fresh", action="store_true", help="ignore saved progress and fetch the whole range of every ticker again")
    load.set_defaults(handler=command_load)

    status = commands.add_parser("status", parents=[output], help="show what the database holds", description="Show stored tickers, their date ranges and row counts, and the last failures.")
    status.add_argument("--db", metavar="URL", default=DEFAULT_DB, help=f"SQLAlchemy database URL (default: {DEFAULT_DB})")
    status.set_defaults(handler=command_status)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE

    configure_logging(verbose=args.verbose, quiet=args.quiet)
    try:
        return args.handler(args)
    except (UsageError, DatabaseError, BundledDataError) as error:
        print(f"stockloader: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("stockloader: interrupted; finished tickers are saved, so rerun the same command to resume", file=sys.stderr)
        return EXIT_SIGINT
    except asyncio.CancelledError:
        # Only the SIGTERM handler cancels the main task.
        print("stockloader: terminated; finished tickers are saved, so rerun the same command to resume", file=sys.stderr)
        return EXIT_SIGTERM


def configure_logging(verbose: bool, quiet: bool) -> None:
    """Log to stderr: INFO by default, DEBUG with --verbose, WARNING with --quiet."""
    level = logging.INFO
    if verbose:
        level = logging.DEBUG
    elif quiet:
        level = logging.WARNING
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.WARNING)
    logger.setLevel(level)


def command_load(args: argparse.Namespace) -> int:
    """Validate every argument, then run the load, so that an invalid argument never touches the database."""
    url = parse_database_url(args.db)
    source = make_source(args.source)
    tickers = resolve_tickers(args, source)

    default_start, default_end = source.default_range(dt.date.today())
    start = parse_date(args.start, "--start") if args.start else default_start
    end = parse_date(args.end, "--end") if args.end else default_end
    check_date_range(start, end)

    options = LoadOptions(
        tickers=tuple(tickers),
        start=start,
        end=end,
        batch_size=args.batch_size,
        max_workers=args.max_workers,
        retries=args.retries,
        fresh=args.fresh,
    )
    summary = asyncio.run(load(options, source, url, read_write_delay(), args.quiet))
    print(format_summary(summary, display_url(url)))
    return summary.exit_code


def make_source(name: str) -> PriceSource:
    """Create the source named by ``--source``, reading the bundled files now so that a missing file is a usage error."""
    if name == "bundled":
        source = BundledSource()
        source.tickers()
        return source

    # Imported here because yfinance takes about half a second to import.
    from .sources.yahoo import YahooSource

    # yfinance 1.7 calls pandas APIs that pandas 3 deprecates. Users cannot act on those warnings.
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"yfinance\b")
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"yfinance\b")
    return YahooSource()


def resolve_tickers(args: argparse.Namespace, source: PriceSource) -> list[str]:
    """Return the tickers of ``--tickers`` or ``--tickers-file``, or with neither every bundled ticker."""
    if args.tickers is not None:
        return parse_ticker_list(args.tickers)
    if args.tickers_file is not None:
        return read_ticker_file(args.tickers_file)
    if isinstance(source, BundledSource):
        return source.tickers()
    raise UsageError("no tickers given; pass --tickers AAPL,MSFT or --tickers-file FILE")


def read_write_delay() -> float:
    """Return the test-only write delay from the environment, in seconds."""
    text = os.environ.get(WRITE_DELAY_ENV, "")
    if not text:
        return 0.0
    try:
        delay = float(text)
    except ValueError:
        delay = -1.0
    if delay < 0:
        raise UsageError(f"invalid {WRITE_DELAY_ENV} {text!r}: expected a number of seconds of at least 0; unset it for normal use")
    return delay


async def load(options: LoadOptions, source: PriceSource, url: URL, write_delay: float, quiet: bool) -> LoadSummary:
    """Run the load with progress output suited to stderr and return its summary."""
    _cancel_on_sigterm()
    progress = make_progress(sys.stderr, quiet)
    # With a bar on screen, log lines (from the root logger's handler) must go through tqdm, or they break the bar.
    redirect = logging_redirect_tqdm() if isinstance(progress, BarProgress) else contextlib.nullcontext()
    async with PriceStore.open(url, write_delay=write_delay) as store:
        with redirect:
            return await run_load(options, source, store, progress)


def _cancel_on_sigterm() -> None:
    # SIGTERM (from a service manager, say) then stops the load like Ctrl-C:
    # the current ticker's transaction rolls back and the run is marked interrupted.
    task = asyncio.current_task()
    if task is None:
        return
    with contextlib.suppress(NotImplementedError, RuntimeError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)


def command_status(args: argparse.Namespace) -> int:
    """Print what the database holds."""
    url = parse_database_url(args.db)
    path = sqlite_file(url)
    if path is not None and not path.exists():
        raise DatabaseError(f"database file not found: {path}; check --db, or run `stockloader load --db {display_url(url)}` first")

    print(asyncio.run(read_status(url)))
    return 0


async def read_status(url: URL) -> str:
    """Return the status report of the database at ``url``."""
    async with PriceStore.open(url, create=False) as store:
        try:
            if not await store.has_tables():
                raise DatabaseError(f"{display_url(url)} has no stockloader tables; run `stockloader load --db {display_url(url)}` first")
            return format_status(display_url(url), await store.ticker_summaries(), await store.last_run())
        except SQLAlchemyError as error:
            raise DatabaseError(
                f"cannot read database {display_url(url)}: {describe_error(error)}; check that --db names a stockloader database"
            ) from error
