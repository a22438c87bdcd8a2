"""asynclint as a flake8 plugin, run through the real flake8 command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .test_cli import BAD, run_cli, write

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "lint"

SDK_CALL = "import mysdk\n\n\nasync def refresh():\n    return mysdk.fetch_prices('prices')\n"


def run_flake8(*arguments: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    # --isolated ignores the flake8 settings of any folder above the test's.
    return subprocess.run(
        [sys.executable, "-m", "flake8", *arguments],
        cwd=cwd, input=stdin, capture_output=True, text=True, timeout=300,
    )


def flake8_findings(output: str, prefix: str = "AIO") -> set[tuple[str, int, int, str]]:
    found = set()
    for line in output.splitlines():
        path, line_number, column, rest = line.split(":", 3)
        code = rest.split()[0]
        if code.startswith(prefix):
            found.add((os.path.normpath(path), int(line_number), int(column), code))
    return found


def asynclint_findings(folder: Path) -> set[tuple[str, int, int, str]]:
    result = run_cli("--format", "json", "--exit-zero", ".", cwd=folder)
    assert result.returncode == 0, result.stderr
    return {(os.path.normpath(item["path"]), item["line"], item["column"], item["code"]) for item in json.loads(result.stdout)}


@pytest.fixture(scope="module")
def fixture_copy(tmp_path_factory):
    """The fixture files in a folder of their own, away from the project's settings."""
    folder = tmp_path_factory.mktemp("fixtures")
    shutil.copytree(FIXTURES, folder, dirs_exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def expected(fixture_copy):
    return asynclint_findings(fixture_copy)


def test_fixtures_cover_every_folder(fixture_copy, expected):
    folders = {path.parent.name for path in fixture_copy.glob("*/bad.py")}

    assert folders, "no fixture found"
    assert {Path(path).parts[0] for path, *_ in expected} == folders


def test_flake8_matches_asynclint_on_fixtures(fixture_copy, expected):
    result = run_flake8("--isolated", "--select", "AIO", "-j", "1", ".", cwd=fixture_copy)

    assert result.stderr == ""
    assert flake8_findings(result.stdout) == expected


def test_flake8_parallel_with_other_plugins(fixture_copy, expected):
    # flake8-async is installed too; its ASYNC findings must not disturb ours.
    result = run_flake8("--isolated", "--select", "AIO,ASYNC", "-j", "2", ".", cwd=fixture_copy)

    assert result.stderr == ""
    assert flake8_findings(result.stdout) == expected
    assert flake8_findings(result.stdout, prefix="ASYNC"), "flake8-async reported nothing; is it installed?"


def test_flake8_lists_plugin():
    result = run_flake8("--version", cwd=Path.cwd())

    assert "asynclint: " in result.stdout


def test_flake8_reads_lines_not_file(tmp_path):
    # The display name does not exist, so the plugin can only use the lines flake8 read from stdin.
    result = run_flake8("--isolated", "--select", "AIO", "--stdin-display-name", "missing/poller.py", "-", cwd=tmp_path, stdin=BAD)

    assert result.stdout.startswith("missing/poller.py:5:5: AIO201 time.sleep()")


def test_flake8_never_writes(tmp_path):
    path = write(tmp_path, "bad.py", BAD)
    before = path.stat().st_mtime_ns

    run_flake8("--isolated", "--select", "AIO", "bad.py", cwd=tmp_path)

    assert path.read_text(encoding="utf-8") == BAD
    assert path.stat().st_mtime_ns == before


def test_flake8_handles_noqa(tmp_path):
    write(tmp_path, "bad.py", BAD.replace("time.sleep(1)", "time.sleep(1)  # noqa: AIO201"))

    honoured = run_flake8("--isolated", "--select", "AIO", "bad.py", cwd=tmp_path)
    disabled = run_flake8("--isolated", "--select", "AIO", "--disable-noqa", "bad.py", cwd=tmp_path)

    assert honoured.stdout == ""
    assert "bad.py:5:5: AIO201" in disabled.stdout


def test_option_from_flake8_config(tmp_path):
    write(tmp_path, ".flake8", "[flake8]\nselect = AIO\nasynclint-extra-blocking-calls =\n    mysdk.fetch_prices=http:mysdk.aio.fetch_prices\n")
    write(tmp_path, "sdk.py", SDK_CALL)

    result = run_flake8("sdk.py", cwd=tmp_path)

    assert result.stdout.startswith("sdk.py:5:12: AIO202")
    assert "use mysdk.aio.fetch_prices" in result.stdout


def test_option_on_command_line(tmp_path):
    write(tmp_path, "sdk.py", SDK_CALL)

    result = run_flake8("--isolated", "--select", "AIO", "--asynclint-extra-blocking-calls", "mysdk.fetch_prices=data", "sdk.py", cwd=tmp_path)

    assert result.stdout.startswith("sdk.py:5:12: AIO206")


def test_pyproject_calls_shared_with_plugin(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.asynclint.extra-blocking-calls]\n"mysdk.fetch_prices" = "http"\n')
    write(tmp_path, "sdk.py", SDK_CALL)

    result = run_flake8("--isolated", "--select", "AIO", "sdk.py", cwd=tmp_path)

    assert result.stdout.startswith("sdk.py:5:12: AIO202")


def test_invalid_option_names_it(tmp_path):
    write(tmp_path, "sdk.py", SDK_CALL)

    result = run_flake8("--isolated", "--asynclint-extra-blocking-calls", "mysdk.fetch_prices=network", "sdk.py", cwd=tmp_path)

    assert result.returncode == 2
    assert "--asynclint-extra-blocking-calls 'mysdk.fetch_prices': category must be one of" in result.stderr


def test_invalid_pyproject_fails_run(tmp_path):
    write(tmp_path, "pyproject.toml", "[tool.asynclint]\nselct = []\n")
    write(tmp_path, "sdk.py", SDK_CALL)

    result = run_flake8("--isolated", "--select", "AIO", "sdk.py", cwd=tmp_path)

    assert result.returncode == 1
    assert "unknown key 'selct'" in result.stdout
