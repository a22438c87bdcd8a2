"""The ``asynclint`` command at the process boundary: exit codes, output streams, files written."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from asynclint.rules import ALL_RULES

BAD = textwrap.dedent(
    """\
    import time


    async def poll():
        time.sleep(1)
    """
)
FIXED = textwrap.dedent(
    """\
    import time
    import asyncio


    async def poll():
        await asyncio.sleep(1)
    """
)
CLEAN = "async def poll():\n    return 1\n"


def run_cli(*arguments: str, cwd: Path, stdin: str | bytes | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m asynclint`` in a subprocess and capture its output."""
    # NO_COLOR from the outer shell must not leak into tests that set their own.
    environment = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    environment.update(env or {})
    data = stdin.encode() if isinstance(stdin, str) else stdin
    completed = subprocess.run(
        [sys.executable, "-m", "asynclint", *arguments],
        cwd=cwd,
        input=data,
        capture_output=True,
        env=environment,
        timeout=120,
    )
    return subprocess.CompletedProcess(
        completed.args, completed.returncode, completed.stdout.decode(), completed.stderr.decode()
    )


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_clean_file_exits_zero(tmp_path):
    write(tmp_path, "ok.py", CLEAN)

    result = run_cli("ok.py", cwd=tmp_path)

    assert result.returncode == 0
    assert result.stdout == "No errors found.\n"
    assert result.stderr == ""


def test_finding_exits_one(tmp_path):
    write(tmp_path, "bad.py", BAD)

    result = run_cli("check", "bad.py", cwd=tmp_path)

    assert result.returncode == 1
    assert result.stdout.startswith("bad.py:5:5: AIO201 [*] time.sleep() in async function poll")
    assert result.stdout.endswith("Found 1 error (1 fixable with --fix).\n")


def test_exit_zero_keeps_output(tmp_path):
    write(tmp_path, "bad.py", BAD)

    result = run_cli("--exit-zero", "bad.py", cwd=tmp_path)

    assert result.returncode == 0
    assert "AIO201" in result.stdout


def test_quiet_prints_findings_only(tmp_path):
    write(tmp_path, "bad.py", BAD)

    result = run_cli("--quiet", "bad.py", cwd=tmp_path)

    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "bad.py:5:5: AIO201 [*] time.sleep() in async function poll blocks the event loop; use await asyncio.sleep()"
    ]


def test_missing_path_exits_two(tmp_path):
    result = run_cli("nowhere.py", cwd=tmp_path)

    assert result.returncode == 2
    assert "nowhere.py: no such file or folder" in result.stderr


def test_unknown_select_code_exits_two(tmp_path):
    write(tmp_path, "ok.py", CLEAN)

    result = run_cli("--select", "AIO999", "ok.py", cwd=tmp_path)

    assert result.returncode == 2
    assert "--select: 'AIO999' matches no rule code" in result.stderr


def test_fix_writes_file(tmp_path):
    path = write(tmp_path, "bad.py", BAD)

    result = run_cli("--fix", "bad.py", cwd=tmp_path)

    assert result.returncode == 0
    assert path.read_text(encoding="utf-8") == FIXED
    assert "1 fixed, 0 remaining" in result.stdout


def test_show_fixes_lists_fix_titles(tmp_path):
    write(tmp_path, "bad.py", BAD)

    result = run_cli("--show-fixes", "bad.py", cwd=tmp_path)

    assert result.returncode == 1
    assert "    fix (safe): " in result.stdout


def test_show_fixes_with_fix_lists_files(tmp_path):
    write(tmp_path, "bad.py", BAD)

    result = run_cli("--fix", "--show-fixes", "bad.py", cwd=tmp_path)

    assert result.returncode == 0
    assert "Fixed 1 error:\n- bad.py: 1 fix applied\n" in result.stdout


def test_stdin_lints_as_named_file(tmp_path):
    result = run_cli("--stdin-filename", "pkg/poller.py", cwd=tmp_path, stdin=BAD)

    assert result.returncode == 1
    assert result.stdout.startswith("pkg/poller.py:5:5: AIO201")


def test_stdin_fix_prints_fixed_source(tmp_path):
    result = run_cli("--stdin-filename", "poller.py", "--fix", cwd=tmp_path, stdin=BAD)

    assert result.returncode == 0
    assert result.stdout == FIXED
    assert "1 fixed, 0 remaining" in result.stderr


def test_stdin_fix_keeps_crlf_and_encoding(tmp_path):
    source = "# -*- coding: latin-1 -*-\n# caf\xe9\n" + BAD
    data = source.replace("\n", "\r\n").encode("latin-1")

    result = subprocess.run(
        [sys.executable, "-m", "asynclint", "--stdin-filename", "x.py", "--fix"],
        cwd=tmp_path, input=data, capture_output=True, timeout=120,
    )

    expected = ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + FIXED).replace("\n", "\r\n").encode("latin-1")
    assert result.returncode == 0
    assert result.stdout == expected


def test_stdin_with_paths_is_usage_error(tmp_path):
    result = run_cli("--stdin-filename", "x.py", "other.py", cwd=tmp_path, stdin=BAD)

    assert result.returncode == 2
    assert "--stdin-filename reads standard input" in result.stderr


def test_statistics_counts_per_code(tmp_path):
    write(tmp_path, "a.py", BAD)
    write(tmp_path, "b.py", BAD + "\n\nasync def again():\n    time.sleep(2)\n")

    result = run_cli("--statistics", ".", cwd=tmp_path)

    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert lines[0].split() == ["3", "AIO201", "[*]", "blocking-sleep"]
    assert lines[-1] == "Found 3 errors (3 fixable with --fix)."


def test_statistics_rejects_machine_format(tmp_path):
    result = run_cli("--statistics", "--format", "json", ".", cwd=tmp_path)

    assert result.returncode == 2
    assert "--statistics" in result.stderr


def test_rule_prints_page_or_summary(tmp_path):
    result = run_cli("rule", "AIO201", cwd=tmp_path)

    assert result.returncode == 0
    assert "AIO201" in result.stdout
    assert "blocking-sleep" in result.stdout


def test_rule_all_lists_every_rule(tmp_path):
    result = run_cli("rule", "--all", cwd=tmp_path)

    listed = [line.split()[0] for line in result.stdout.splitlines()]
    assert result.returncode == 0
    assert listed == [rule.code for rule in ALL_RULES]


def test_rule_unknown_code_exits_two(tmp_path):
    result = run_cli("rule", "AIO999", cwd=tmp_path)

    assert result.returncode == 2
    assert "unknown rule 'AIO999'" in result.stderr


@pytest.mark.parametrize("format_name", ["text", "grouped", "json", "sarif", "github"])
def test_every_format_exits_one_on_findings(tmp_path, format_name):
    write(tmp_path, "bad.py", BAD)

    result = run_cli("--format", format_name, "bad.py", cwd=tmp_path)

    assert result.returncode == 1
    assert "AIO201" in result.stdout
