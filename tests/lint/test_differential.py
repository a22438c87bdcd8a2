"""asynclint against flake8-async on the fixtures of the blocking-call rules.

flake8-async's ASYNC2xx codes report blocking calls in async functions. On
asyncio code, each line they report must also get an asynclint finding, or
appear in ``EXPECTED_DIFFERENCES`` with the reason asynclint stays silent.
Both tools run for real: flake8 in a subprocess, asynclint through its engine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from asynclint.engine import lint_text
from asynclint.rules import ALL_RULES

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "lint"

# The blocking-call rules: AIO201 to AIO206, the helper rule AIO210, and the
# thread waits of AIO405.
BLOCKING_FOLDERS = sorted(
    folder for folder in FIXTURES.iterdir() if folder.is_dir() and (folder.name.startswith("AIO2") or folder.name == "AIO405")
)

# (fixture file relative to fixtures/lint, stripped source line) -> why
# asynclint reports nothing there although flake8-async does. flake8-async
# matches names as written, so a parameter or local that shadows a module or
# builtin looks like the module to it.
EXPECTED_DIFFERENCES: dict[tuple[str, str], str] = {
    ("AIO201/good.py", "time.sleep(1)"): "`time` is a parameter of the coroutine, not the module",
    ("AIO201/good.py", "await sleep(delay)"): "`sleep` is a local bound to asyncio.sleep, and the call is awaited",
    ("AIO202/good.py", "return requests.get(url)"): "`requests` is a parameter or a local dict, not the library",
    ("AIO203/good.py", "return open(path)"): "`open` is a parameter (an async opener), not the builtin",
    ("AIO204/good.py", "return subprocess.run(command)"): "`subprocess` is a parameter (a test fake), not the module",
    ("AIO204/good.py", "return input()"): "`input` is a local bound to a list's pop method, not the builtin",
}


def flake8_async_findings(files: list[Path]) -> list[tuple[Path, int, str]]:
    """Run flake8 with only the ASYNC2xx checks and return (file, line, code)."""
    result = subprocess.run(
        [
            sys.executable, "-m", "flake8",
            "--isolated",
            "--select", "ASYNC2",
            "--format", "%(path)s:%(row)d:%(code)s",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr

    findings = []
    for line in result.stdout.splitlines():
        path, row, code = line.rsplit(":", 2)
        findings.append((Path(path), int(row), code))
    return findings


def asynclint_lines(path: Path) -> set[int]:
    source = path.read_text(encoding="utf-8")
    return {d.start.line for d in lint_text(source, str(path), ALL_RULES) if not d.code.startswith("AIO0")}


@pytest.fixture(scope="module")
def comparison() -> list[tuple[str, str, str, bool]]:
    """Return (fixture file, stripped line, ASYNC code, asynclint reports the line) per flake8-async finding."""
    files = [path for folder in BLOCKING_FOLDERS for path in sorted(folder.glob("*.py"))]
    rows = []
    lines_cache: dict[Path, set[int]] = {}
    for path, row, code in flake8_async_findings(files):
        path = path if path.is_absolute() else ROOT / path
        if path not in lines_cache:
            lines_cache[path] = asynclint_lines(path)
        text = path.read_text(encoding="utf-8").splitlines()[row - 1].strip()
        relative = path.relative_to(FIXTURES).as_posix()
        rows.append((relative, text, code, row in lines_cache[path]))
    return rows


def test_fixture_folders_found():
    names = {folder.name for folder in BLOCKING_FOLDERS}

    assert "AIO201" in names
    assert "AIO210" in names


def test_flake8_async_reports_blocking_calls(comparison):
    codes = {code for _, _, code, _ in comparison}

    assert "ASYNC251" in codes, "flake8-async found no time.sleep(); is the plugin installed?"
    assert any(code.startswith("ASYNC21") for code in codes)


def test_every_async2xx_line_has_aio_finding(comparison):
    unexplained = [
        f"{path}: {code} on `{text}`"
        for path, text, code, reported in comparison
        if not reported and (path, text) not in EXPECTED_DIFFERENCES
    ]

    assert unexplained == []


def test_expected_differences_still_occur(comparison):
    silent = {(path, text) for path, text, _, reported in comparison if not reported}
    stale = [key for key in EXPECTED_DIFFERENCES if key not in silent]

    assert stale == [], "these documented differences no longer occur; remove them from the table"
