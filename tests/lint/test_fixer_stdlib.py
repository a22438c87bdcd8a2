"""The fixer over a copy of the whole standard library: nothing it writes breaks.

The copy goes to a temporary folder; ``asynclint --fix --unsafe-fixes`` runs
over it as a user would run it. Every file it changed must still compile, and
every other file must be byte for byte the original.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import warnings
from pathlib import Path

import pytest

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _compiles(data: bytes, path: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


@pytest.mark.slow
def test_fixing_the_standard_library_keeps_every_file_compiling(tmp_path):
    copy = tmp_path / "Lib"
    shutil.copytree(STDLIB, copy, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", "site-packages"))
    originals = {
        path.relative_to(copy): path.read_bytes()
        for path in copy.rglob("*.py")
        if path.is_file() and not path.is_symlink()
    }

    done = subprocess.run(
        [sys.executable, "-m", "asynclint", "--fix", "--unsafe-fixes", "--no-cache", "--format", "json", "Lib"],
        cwd=tmp_path, capture_output=True, text=True, timeout=1800,
    )
    remaining = json.loads(done.stdout)
    changed = [name for name, data in originals.items() if (copy / name).read_bytes() != data]
    broken = [
        str(name) for name in changed
        if _compiles(originals[name], str(name)) and not _compiles((copy / name).read_bytes(), str(name))
    ]
    internal = [finding["message"] for finding in remaining if finding["code"] == "AIO003"]

    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert len(originals) > 1000
    assert changed, "the fixer changed no file of the standard library"
    assert broken == []
    assert internal == []
    assert not [name for name in os.listdir(copy) if name.startswith(".asynclint-")]
