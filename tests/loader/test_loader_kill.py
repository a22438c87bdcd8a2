"""Kill a real ``stockloader load`` process mid-load, then check that a rerun completes it exactly.

``STOCKLOADER_WRITE_DELAY`` makes the loader sleep after each 1,000-row chunk
inside a ticker's transaction, so the load lasts a few seconds and the signal
lands while a ticker is half written.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from loader_support import BUNDLED_ROWS, BUNDLED_TOTAL, count_rows, libpq_url, postgres_rows, stockloader_command

WRITE_DELAY = "0.3"
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGKILL: -signal.SIGKILL}


def start_load(url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*stockloader_command(), "load", "--source", "bundled", "--db", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "STOCKLOADER_WRITE_DELAY": WRITE_DELAY},
    )


def done_tickers_sqlite(path: Path) -> set[str]:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as connection:
            return {ticker for (ticker,) in connection.execute("SELECT ticker FROM load_progress WHERE status = 'done'")}
    except sqlite3.OperationalError:
        # The file or the tables do not exist yet.
        return set()


def wait_for_first_ticker(done_tickers, process: subprocess.Popen) -> set[str]:
    """Wait until at least one ticker is committed, then return the committed set."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = done_tickers()
        if done:
            return done
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("no ticker was committed within 60 s")


def assert_each_ticker_whole(rows: dict[str, int], done: set[str]) -> None:
    """Every ticker has all of its rows or none, and exactly the done ones have rows."""
    for ticker, count in rows.items():
        assert count == BUNDLED_ROWS[ticker], (ticker, count)
    assert set(rows) == done


def rerun(url: str) -> subprocess.CompletedProcess:
    return subprocess.run([*stockloader_command(), "load", "--source", "bundled", "--db", url], capture_output=True, text=True, timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["sigint", "sigterm", "sigkill"])
def test_kill_then_resume_sqlite(tmp_path, sig) -> None:
    database = tmp_path / "killed.db"
    url = f"sqlite:///{database}"
    process = start_load(url)

    wait_for_first_ticker(lambda: done_tickers_sqlite(database), process)
    # Land inside the next ticker's transaction: its first chunk is written, uncommitted.
    time.sleep(0.15)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)

    done = done_tickers_sqlite(database)
    assert process.returncode == EXIT_CODES[sig], stderr
    assert 0 < len(done) < 5
    assert_each_ticker_whole(count_rows(database), done)
    if sig != signal.SIGKILL:
        assert "finished tickers are saved, so rerun the same command to resume" in stderr

    result = rerun(url)

    assert result.returncode == 0, result.stderr
    assert f"up to date ({len(done)}): " + ", ".join(sorted(done)) in result.stdout
    assert count_rows(database) == BUNDLED_ROWS
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT COUNT(*), COUNT(DISTINCT ticker || date) FROM prices").fetchone() == (BUNDLED_TOTAL, BUNDLED_TOTAL)
        statuses = [status for (status,) in connection.execute("SELECT status FROM load_runs ORDER BY id")]
    # SIGKILL leaves no chance to record the end, so the run stays "running".
    assert statuses == ["running" if sig == signal.SIGKILL else "interrupted", "finished"]


@pytest.mark.slow
@pytest.mark.postgres
def test_kill_then_resume_postgres(postgres_url) -> None:
    import psycopg

    def done_tickers() -> set[str]:
        with psycopg.connect(libpq_url(postgres_url)) as connection:
            try:
                return {ticker for (ticker,) in connection.execute("SELECT ticker FROM load_progress WHERE status = 'done'")}
            except psycopg.errors.UndefinedTable:
                return set()

    process = start_load(postgres_url)
    wait_for_first_ticker(done_tickers, process)
    time.sleep(0.15)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)

    done = done_tickers()
    assert 0 < len(done) < 5
    assert_each_ticker_whole(postgres_rows(postgres_url), done)

    result = rerun(postgres_url)

    assert result.returncode == 0, result.stderr
    assert postgres_rows(postgres_url) == BUNDLED_ROWS
