"""The loader must stay clean under the project's own linter, and the broken loader must not."""

from __future__ import annotations

import subprocess
import sys

import pytest
from loader_support import REPO_ROOT


def run_asynclint(*arguments: str) -> subprocess.CompletedProcess:
    # The real CLI, as a user runs it. Without asynclint installed this fails
    # with "No module named asynclint" instead of skipping.
    return subprocess.run([sys.executable, "-m", "asynclint", "--no-cache", *arguments], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)


def test_loader_has_no_findings() -> None:
    result = run_asynclint("loader/")

    assert result.returncode == 0, result.stdout + result.stderr


def test_loader_has_no_unused_noqa() -> None:
    # AIO002 (a noqa comment that suppresses nothing) is off by default.
    result = run_asynclint("--extend-select", "AIO002", "loader/")

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "code",
    [
        "AIO102",  # asyncio.run() handed to run_in_executor: the incident's nested event loop
        "AIO401",  # as_completed() results matched to tickers by position
        "AIO206",  # yfinance called on the event loop
    ],
)
def test_broken_loader_keeps_findings(code: str) -> None:
    result = run_asynclint("fixtures/loader_before.py")

    assert result.returncode == 1, result.stdout + result.stderr
    assert f" {code} " in result.stdout, result.stdout
