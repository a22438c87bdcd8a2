"""The stockloader command line: the demo, bad input, exit codes and output modes."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import sqlite3
import struct
import subprocess
import termios
from pathlib import Path

import pytest
from loader_support import BUNDLED_ROWS, BUNDLED_TOTAL, count_rows, stockloader_command

from stockloader.cli import main


def run_main(args: list[str]) -> int:
    """Run ``main`` in this process and return its exit code, including argparse's exits."""
    try:
        return main(args)
    except SystemExit as exit_:
        return int(exit_.code)


def test_demo_load_rerun_status(sqlite_url, capsys) -> None:
    assert run_main(["load", "--source", "bundled", "--db", sqlite_url, "--quiet"]) == 0
    first = capsys.readouterr().out
    assert run_main(["load", "--source", "bundled", "--db", sqlite_url, "--quiet"]) == 0
    second = capsys.readouterr().out
    assert run_main(["status", "--db", sqlite_url]) == 0
    status = capsys.readouterr().out

    assert f"wrote {BUNDLED_TOTAL} rows for 5 tickers" in first
    assert "loaded (5): AAPL 3270, FB 196, GOOG 2148, IBM 3270, MSFT 3270" in first
    assert "wrote 0 rows for 0 tickers" in second
    assert "up to date (5): AAPL, FB, GOOG, IBM, MSFT" in second
    table = {line.split()[0]: line.split()[1:5] for line in status.splitlines()[2:7]}
    assert table == {
        "AAPL": ["2000-03-01", "2013-03-01", "3270", "done"],
        "FB": ["2012-05-18", "2013-03-01", "196", "done"],
        "GOOG": ["2004-08-19", "2013-03-01", "2148", "done"],
        "IBM": ["2000-03-01", "2013-03-01", "3270", "done"],
        "MSFT": ["2000-03-01", "2013-03-01", "3270", "done"],
    }
    assert f"5 tickers, {BUNDLED_TOTAL} rows." in status
    assert "No ticker failed in its last attempt." in status


def test_tickers_file_with_comments(tmp_path, sqlite_url, sqlite_path, capsys) -> None:
    tickers = tmp_path / "tickers.txt"
    tickers.write_text("# large caps\nmsft\n\nIBM   # trailing comment\n", encoding="utf-8")

    assert run_main(["load", "--source", "bundled", "--tickers-file", str(tickers), "--db", sqlite_url, "-q"]) == 0

    assert count_rows(sqlite_path) == {"IBM": BUNDLED_ROWS["IBM"], "MSFT": BUNDLED_ROWS["MSFT"]}


def test_tickers_file_with_bom(tmp_path, sqlite_url, sqlite_path, capsys) -> None:
    tickers = tmp_path / "tickers.txt"
    tickers.write_bytes("\ufeffAAPL\r\nIBM\r\n".encode("utf-8"))

    assert run_main(["load", "--source", "bundled", "--tickers-file", str(tickers), "--db", sqlite_url, "-q"]) == 0

    assert count_rows(sqlite_path) == {"AAPL": BUNDLED_ROWS["AAPL"], "IBM": BUNDLED_ROWS["IBM"]}


def test_some_failed_exit_one(sqlite_url, capsys) -> None:
    code = run_main(["load", "--source", "bundled", "--tickers", "AAPL,TSLA", "--db", sqlite_url, "-q"])
    summary = capsys.readouterr().out
    run_main(["status", "--db", sqlite_url])
    status = capsys.readouterr().out

    assert code == 1
    assert "failed (1):\n    TSLA: no data: TSLA is not in the bundled data set" in summary
    assert "Failed in their last attempt (1):" in status
    assert "TSLA: no data: TSLA is not in the bundled data set" in status


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


BAD_INPUTS = [
    pytest.param(["--tickers", "AA PL"], "invalid ticker 'AA PL'", id="space-in-ticker"),
    pytest.param(["--tickers", "BRK/B"], "invalid ticker 'BRK/B'", id="slash-in-ticker"),
    pytest.param(["--tickers", "AAPL,$MSFT"], "invalid ticker '$MSFT'", id="dollar-in-ticker"),
    pytest.param(["--tickers", "AAPL,,MSFT"], "invalid --tickers 'AAPL,,MSFT'", id="empty-entry"),
    pytest.param(["--tickers-file", "{tmp}/two-per-line.txt"], "invalid line 2 in tickers file", id="file-two-per-line"),
    pytest.param(["--tickers-file", "{tmp}/bad-symbol.txt"], "invalid ticker 'AAPL!'", id="file-bad-symbol"),
    pytest.param(["--tickers-file", "{tmp}/comments-only.txt"], "contains no ticker", id="file-empty"),
    pytest.param(["--tickers-file", "{tmp}/latin1.txt"], "is not UTF-8", id="file-not-utf8"),
    pytest.param(["--tickers-file", "{tmp}/missing.txt"], "tickers file not found", id="file-missing"),
    pytest.param(["--start", "2013-01-01", "--end", "2012-01-01"], "--start 2013-01-01 is not before --end 2012-01-01", id="start-after-end"),
    pytest.param(["--start", "2012-01-01", "--end", "2012-01-01"], "--start 2012-01-01 is not before --end 2012-01-01", id="start-equals-end"),
    pytest.param(["--start", "2013-13-01"], "invalid --start '2013-13-01'", id="bad-date"),
    pytest.param(["--source", "nasdaq"], "invalid choice: 'nasdaq'", id="unknown-source"),
    pytest.param(["--max-workers", "0"], "invalid value '0'", id="zero-workers"),
    pytest.param(["--db", "mysql://root@127.0.0.1/test"], "unsupported database 'mysql'", id="unsupported-db"),
]


@pytest.mark.parametrize(("arguments", "expected"), BAD_INPUTS)
def test_bad_input_exit_two(tmp_path, capsys, arguments: list[str], expected: str) -> None:
    _write(tmp_path / "two-per-line.txt", b"AAPL\nMSFT IBM\n")
    _write(tmp_path / "bad-symbol.txt", b"MSFT\nAAPL!\n")
    _write(tmp_path / "comments-only.txt", b"# nothing yet\n\n")
    _write(tmp_path / "latin1.txt", "AAPL\nNESTL\xc9\n".encode("latin-1"))
    database = tmp_path / "untouched.db"
    arguments = [argument.replace("{tmp}", str(tmp_path)) for argument in arguments]
    if "--source" not in arguments:
        arguments += ["--source", "bundled"]
    if "--db" not in arguments:
        arguments += ["--db", f"sqlite:///{database}"]

    code = run_main(["load", *arguments])
    error = capsys.readouterr().err

    assert code == 2
    assert error.count("\n") == 1, error
    assert expected in error
    assert not database.exists()


def test_yahoo_without_tickers_exit_two(tmp_path, capsys) -> None:
    code = run_main(["load", "--db", f"sqlite:///{tmp_path / 'x.db'}"])

    assert code == 2
    assert "no tickers given; pass --tickers AAPL,MSFT or --tickers-file FILE" in capsys.readouterr().err


def test_read_only_database_exit_two(sqlite_url, sqlite_path, capsys) -> None:
    assert run_main(["load", "--source", "bundled", "--tickers", "FB", "--db", sqlite_url, "-q"]) == 0
    capsys.readouterr()
    read_only = f"sqlite:///file:{sqlite_path}?mode=ro&uri=true"

    code = run_main(["load", "--source", "bundled", "--tickers", "IBM", "--db", read_only, "-q"])
    error = capsys.readouterr().err

    assert code == 2
    assert error.count("\n") == 1
    assert "readonly" in error
    assert count_rows(sqlite_path) == {"FB": BUNDLED_ROWS["FB"]}
    with sqlite3.connect(sqlite_path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM load_runs").fetchone() == (1,)


def test_unreachable_database_exit_two(capsys) -> None:
    # Nothing listens on port 9 (discard) of this machine's loopback address.
    code = run_main(["load", "--source", "bundled", "--db", "postgresql://postgres@127.0.0.1:9/test", "-q"])
    error = capsys.readouterr().err

    assert code == 2
    assert error.count("\n") == 1
    assert "cannot connect to database postgresql://postgres@127.0.0.1:9/test" in error


def test_status_missing_file_exit_two(tmp_path, capsys) -> None:
    database = tmp_path / "absent.db"

    code = run_main(["status", "--db", f"sqlite:///{database}"])

    assert code == 2
    assert "database file not found" in capsys.readouterr().err
    assert not database.exists()


def test_status_without_tables_exit_two(tmp_path, capsys) -> None:
    database = tmp_path / "other.db"
    sqlite3.connect(database).close()

    code = run_main(["status", "--db", f"sqlite:///{database}"])

    assert code == 2
    assert "has no stockloader tables" in capsys.readouterr().err


# Real processes: the console script, log lines and the terminal progress bar.


def test_script_logs_progress_lines(tmp_path) -> None:
    result = subprocess.run(
        [*stockloader_command(), "load", "--source", "bundled", "--tickers", "IBM,FB", "--db", f"sqlite:///{tmp_path / 'log.db'}"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "INFO stockloader: [1/2]" in result.stderr
    assert "INFO stockloader: [2/2]" in result.stderr
    assert "wrote 3466 rows for 2 tickers" in result.stdout


def test_script_quiet_prints_summary_only(tmp_path) -> None:
    result = subprocess.run(
        [*stockloader_command(), "load", "--source", "bundled", "--tickers", "FB", "--quiet", "--db", f"sqlite:///{tmp_path / 'quiet.db'}"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout.startswith("Run 1: wrote 196 rows for 1 ticker")


def test_script_bad_source_one_line(tmp_path) -> None:
    result = subprocess.run([*stockloader_command(), "load", "--source", "nasdaq"], capture_output=True, text=True, timeout=60, cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("stockloader load: error: argument --source: invalid choice: 'nasdaq' (choose from ")
    assert result.stderr.endswith("; see 'stockloader load --help'\n")
    assert list(tmp_path.iterdir()) == []


def test_script_shows_bar_on_terminal(tmp_path) -> None:
    # stderr is a 30x120 pseudo-terminal here, as in an interactive shell.
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    process = subprocess.Popen(
        [*stockloader_command(), "load", "--source", "bundled", "--db", f"sqlite:///{tmp_path / 'tty.db'}"],
        stdout=subprocess.PIPE,
        stderr=follower,
    )
    os.close(follower)
    screen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        screen += chunk
    stdout, _ = process.communicate(timeout=60)
    os.close(leader)

    assert process.returncode == 0
    assert b"5/5" in screen
    assert b"ticker/s" in screen
    assert b"INFO stockloader: [1/5]" not in screen
    assert b"wrote 12154 rows" in stdout


def test_status_of_non_database_exit_two(tmp_path, capsys) -> None:
    garbage = tmp_path / "notdb.db"
    garbage.write_text("not a database\n")

    code = run_main(["status", "--db", f"sqlite:///{garbage}"])

    err = capsys.readouterr().err
    assert code == 2
    assert "cannot read database" in err
    assert "Traceback" not in err


def test_foreign_prices_table_creates_nothing(tmp_path, capsys) -> None:
    path = tmp_path / "foreign.db"
    with sqlite3.connect(path) as connection:
        connection.execute("create table prices (id integer)")

    code = run_main(["load", "--source", "bundled", "--db", f"sqlite:///{path}", "--quiet"])

    err = capsys.readouterr().err
    assert code == 2
    assert "prices lacks ticker" in err
    with sqlite3.connect(path) as connection:
        tables = [row[0] for row in connection.execute("select name from sqlite_master where type = 'table'")]
    assert tables == ["prices"]
