"""The broken stock loader of the incident, linted and fixed as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import libcst as cst

from asynclint.engine import lint_text
from asynclint.fixer import fix_text
from asynclint.rules import ALL_RULES

from .test_fixtures import expected_findings

LOADER_BEFORE = Path(__file__).resolve().parents[2] / "fixtures" / "loader_before.py"


def test_loader_before_exact_findings():
    source = LOADER_BEFORE.read_text(encoding="utf-8")
    known = {rule.code for rule in ALL_RULES}
    # Expectations of rules that are not registered yet are not checked;
    # each one is checked from the moment its rule exists.
    expected = [item for item in expected_findings(source) if item[1] in known]

    found = sorted((d.start.line, d.code, d.start.column + 1) for d in lint_text(source, str(LOADER_BEFORE), ALL_RULES))

    assert found == expected


def test_loader_before_has_each_seed_bug():
    codes = {d.code for d in lint_text(LOADER_BEFORE.read_text(encoding="utf-8"), "loader_before.py", ALL_RULES)}

    assert "AIO102" in codes  # asyncio.run in a lambda handed to run_in_executor
    assert "AIO206" in codes  # blocking yfinance call in async def
    assert "AIO301" in codes  # coroutine function submitted to a thread pool


def test_loader_before_unsafe_fix_output(tmp_path):
    target = tmp_path / "loader_before.py"
    target.write_bytes(LOADER_BEFORE.read_bytes())

    completed = subprocess.run(
        [sys.executable, "-m", "asynclint", "--fix", "--unsafe-fixes", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    fixed = target.read_text(encoding="utf-8")

    assert completed.returncode == 1, completed.stderr  # some findings have no fix
    assert fixed != LOADER_BEFORE.read_text(encoding="utf-8")
    cst.parse_module(fixed)
    compile(fixed, str(target), "exec")
    remaining = {d.code for d in lint_text(fixed, str(target), ALL_RULES)}
    assert "AIO101" not in remaining
    assert "AIO102" not in remaining
    # The awaited dispatch is unwrapped; the one collected in a list becomes
    # a task scheduled on the running loop.
    assert "await load_one(ticker)" in fixed
    assert "asyncio.create_task(self.load_stock_data(stock))" in fixed
    assert fix_text(fixed, str(target), ALL_RULES, unsafe=True).text == fixed
