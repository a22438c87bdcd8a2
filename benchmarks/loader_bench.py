"""Rows per second of a full bundled stockloader load, beside pandas ``DataFrame.to_sql``.

Both sides start from the same five price frames in memory (the bundled
source reads its CSV before the clock starts) and write them into an empty
database:

* stockloader: open the store (creating the tables), then ``run_load`` with
  the bundled source: idempotent upserts, one transaction per ticker, progress
  and run rows.
* to_sql: ``DataFrame.to_sql("prices", engine, if_exists="append", index=False)``
  per frame through a synchronous SQLAlchemy engine. pandas creates the table
  itself, without a primary key, and does no upsert and keeps no progress.

It also times a rerun of the finished load, in process and as the real
``stockloader load`` command (which includes interpreter start and imports).

Usage:
    python benchmarks/loader_bench.py [--repeat N] [--postgres URL] [--no-postgres] [--write-docs]

``--write-docs`` replaces the "## Loader benchmark" section of docs/benchmarks.md
and leaves every other section alone.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd
import sqlalchemy

from stockloader.database import parse_database_url
from stockloader.pipeline import LoadOptions, run_load
from stockloader.progress import NullProgress
from stockloader.sources import FetchRequest
from stockloader.sources.bundled import BundledSource
from stockloader.store import PriceStore

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCS = REPO_ROOT / "docs" / "benchmarks.md"
SECTION = "## Loader benchmark"
DEFAULT_POSTGRES = os.environ.get("ASYNCLINT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SQLITE_TARGET_RATIO = 0.5  # stockloader must reach at least half of to_sql's rows per second
RERUN_TARGET_SECONDS = 1.0


@dataclass
class Timing:
    """The median of repeated measurements of one case, in seconds."""

    case: str
    database: str
    seconds: list[float]
    rows: int

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.median if self.rows else 0.0


def bundled_frames(source: BundledSource) -> dict[str, pd.DataFrame]:
    first, last = source.date_range()
    return {ticker: source.fetch(FetchRequest(ticker, first, last + dt.timedelta(days=1))) for ticker in source.tickers()}


def load_options(source: BundledSource) -> LoadOptions:
    start, end = source.default_range(dt.date.today())
    return LoadOptions(tickers=tuple(source.tickers()), start=start, end=end)


async def stockloader_load(url: str, source: BundledSource) -> tuple[float, int]:
    started = time.perf_counter()
    async with PriceStore.open(parse_database_url(url)) as store:
        summary = await run_load(load_options(source), source, store, NullProgress())
    return time.perf_counter() - started, summary.rows_written


def to_sql_load(sync_url: str, frames: dict[str, pd.DataFrame]) -> tuple[float, int]:
    engine = sqlalchemy.create_engine(sync_url)
    try:
        started = time.perf_counter()
        for ticker, frame in frames.items():
            frame.assign(ticker=ticker).to_sql("prices", engine, if_exists="append", index=False)
        seconds = time.perf_counter() - started
        # to_sql's return value is the driver's row count, which psycopg reports as -1.
        with engine.connect() as connection:
            rows = connection.execute(sqlalchemy.text("SELECT COUNT(*) FROM prices")).scalar_one()
        return seconds, rows
    finally:
        engine.dispose()


def command_seconds(url: str) -> float:
    """Time one real ``stockloader load --source bundled`` command."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "stockloader", "load", "--source", "bundled", "--quiet", "--db", url], check=True, capture_output=True)
    return time.perf_counter() - started


class SqliteTarget:
    name = "SQLite"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def fresh(self) -> tuple[str, str]:
        """Return the async-loader URL and the sync to_sql URL of a new, empty database file."""
        path = self.folder / f"{uuid.uuid4().hex}.db"
        return f"sqlite:///{path}", f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        path = Path(parse_database_url(url).database)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


class PostgresTarget:
    name = "PostgreSQL"

    def __init__(self, admin_url: str) -> None:
        import psycopg

        self._psycopg = psycopg
        self.admin = parse_database_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(self.admin, connect_timeout=3) as connection:
            self.version = connection.execute("SHOW server_version").fetchone()[0]

    def fresh(self) -> tuple[str, str]:
        name = f"stockloader_bench_{uuid.uuid4().hex[:12]}"
        with self._psycopg.connect(self.admin, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        url = parse_database_url(self.admin).set(database=name)
        return url.render_as_string(hide_password=False), url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = parse_database_url(url).database
        with self._psycopg.connect(self.admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(target, source: BundledSource, frames: dict[str, pd.DataFrame], repeat: int) -> list[Timing]:
    loads, baselines, reruns, commands = [], [], [], []
    rows = sum(len(frame) for frame in frames.values())
    for _ in range(repeat):
        url, sync_url = target.fresh()
        try:
            seconds, written = asyncio.run(stockloader_load(url, source))
            assert written == rows, (written, rows)
            loads.append(seconds)
            rerun_seconds, rerun_rows = asyncio.run(stockloader_load(url, source))
            assert rerun_rows == 0, rerun_rows
            reruns.append(rerun_seconds)
            commands.append(command_seconds(url))
        finally:
            target.drop(url)

        url, sync_url = target.fresh()
        try:
            seconds, written = to_sql_load(sync_url, frames)
            assert written == rows, (written, rows)
            baselines.append(seconds)
        finally:
            target.drop(url)

    return [
        Timing("stockloader full load", target.name, loads, rows),
        Timing("pandas to_sql", target.name, baselines, rows),
        Timing("stockloader rerun, in process", target.name, reruns, 0),
        Timing("stockloader rerun, whole command", target.name, commands, 0),
    ]


def machine_lines(postgres: PostgresTarget | None, load_before: float, load_after: float) -> list[str]:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kilobytes = int(meminfo.read_text().split()[1])
        memory = f", {kilobytes / 1024 / 1024:.0f} GiB memory"
    import sqlite3

    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("SQLAlchemy", "pandas", "aiosqlite", "asyncpg", "psycopg"))
    lines = [
        f"- Machine: {cpu}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; {versions}; SQLite {sqlite3.sqlite_version}",
    ]
    if postgres is not None:
        lines.append(f"- PostgreSQL {postgres.version} on the same machine, over TCP to 127.0.0.1")
    # Other processes share the cores, and the 1-minute load average shows how much.
    lines.append(f"- 1-minute load average: {load_before:.1f} before the run, {load_after:.1f} after it")
    return lines


def report(timings: list[Timing], postgres: PostgresTarget | None, repeat: int, load_before: float, load_after: float) -> str:
    rows = timings[0].rows
    lines = [
        SECTION,
        "",
        f"Written by `python benchmarks/loader_bench.py --repeat {repeat} --write-docs` on {dt.date.today()}.",
        f"Each figure is the median of {repeat} runs; every run writes all {rows:,} bundled rows (five tickers) into a new, empty database.",
        "",
        "| database | case | median seconds | fastest seconds | rows per second (median) |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for timing in timings:
        rate = f"{timing.rows_per_second:,.0f}" if timing.rows else "-"
        lines.append(f"| {timing.database} | {timing.case} | {timing.median:.3f} | {min(timing.seconds):.3f} | {rate} |")

    lines.append("")
    for database in dict.fromkeys(timing.database for timing in timings):
        cases = {timing.case: timing for timing in timings if timing.database == database}
        ratio = cases["stockloader full load"].rows_per_second / cases["pandas to_sql"].rows_per_second
        lines.append(f"- {database}: stockloader reaches {ratio:.2f}x the rows per second of `to_sql`.")
    sqlite = {timing.case: timing for timing in timings if timing.database == "SQLite"}
    sqlite_ratio = sqlite["stockloader full load"].rows_per_second / sqlite["pandas to_sql"].rows_per_second
    rerun = sqlite["stockloader rerun, whole command"].median
    lines.append(
        f"- Targets: SQLite full load at least {SQLITE_TARGET_RATIO}x `to_sql`: {'met' if sqlite_ratio >= SQLITE_TARGET_RATIO else 'NOT met'} ({sqlite_ratio:.2f}x); "
        f"rerun of a finished load under {RERUN_TARGET_SECONDS:.0f} s: in process {sqlite['stockloader rerun, in process'].median:.3f} s, "
        f"whole command {rerun:.2f} s median, {min(sqlite['stockloader rerun, whole command'].seconds):.2f} s fastest "
        f"({'met' if rerun < RERUN_TARGET_SECONDS else 'NOT met'} for the whole command by its median)."
    )
    lines.extend(
        [
            "- The whole-command time includes starting Python, importing SQLAlchemy and reading the bundled CSV file. A rerun that fetches nothing does not import pandas.",
            "- `to_sql` does less work: its table has no primary key, it inserts without conflict handling, and it writes no progress or run rows.",
            "",
            *machine_lines(postgres, load_before, load_after),
            "",
        ]
    )
    return "\n".join(lines)


def write_section(text: str) -> None:
    """Replace the loader section of docs/benchmarks.md, keeping every other section."""
    existing = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    lines = existing.splitlines()
    start = next((index for index, line in enumerate(lines) if line.strip() == SECTION), None)
    if start is None:
        updated = existing.rstrip("\n") + "\n\n" + text
    else:
        end = next((index for index in range(start + 1, len(lines)) if lines[index].startswith("## ")), len(lines))
        updated = "\n".join([*lines[:start], *text.rstrip("\n").splitlines(), *([""] if end < len(lines) else []), *lines[end:]]) + "\n"
    DOCS.write_text(updated.rstrip("\n") + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per case; the median is reported (default: 5)")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="admin URL of the PostgreSQL server to benchmark (default: $ASYNCLINT_TEST_POSTGRES_URL or the local server)")
    parser.add_argument("--no-postgres", action="store_true", help="benchmark SQLite only")
    parser.add_argument("--write-docs", action="store_true", help="write the results into docs/benchmarks.md")
    args = parser.parse_args()

    source = BundledSource()
    frames = bundled_frames(source)
    postgres = None if args.no_postgres else PostgresTarget(args.postgres)

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="stockloader-bench-") as folder:
        timings = measure(SqliteTarget(Path(folder)), source, frames, args.repeat)
        if postgres is not None:
            timings += measure(postgres, source, frames, args.repeat)
    load_after = os.getloadavg()[0]

    text = report(timings, postgres, args.repeat, load_before, load_after)
    print(text)
    if args.write_docs:
        write_section(text)
        print(f"wrote the {SECTION!r} section of {DOCS.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
