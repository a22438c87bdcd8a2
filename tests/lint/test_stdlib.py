"""asynclint on a large real code base written outside this project: the standard library."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "asynclint", *arguments], capture_output=True, text=True, check=False)


def test_stdlib_asyncio_package():
    completed = run_cli(str(STDLIB / "asyncio"))

    assert completed.returncode in (0, 1), completed.stderr
    assert "AIO003" not in completed.stdout
    assert "AIO001" not in completed.stdout
    assert completed.stdout.rstrip().splitlines()[-1].startswith(("Found", "No errors"))


@pytest.mark.slow
def test_whole_stdlib_does_not_crash():
    completed = run_cli(str(STDLIB))

    assert completed.returncode in (0, 1), completed.stderr
    assert "AIO003" not in completed.stdout, "a rule crashed on a standard library file"
    assert "Traceback" not in completed.stderr
    # The test suite's deliberately broken files are reported, not fatal.
    assert "AIO001" in completed.stdout
    assert completed.stdout.rstrip().splitlines()[-1].startswith("Found")
