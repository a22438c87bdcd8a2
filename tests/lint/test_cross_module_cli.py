"""Cross-module findings through the command line, with and without the cache."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

HELPERS = """
    import asyncio
    import requests


    async def fetch(url):
        return url


    def load(url):
        return requests.get(url)


    def start():
        asyncio.run(fetch("x"))
"""

APP = """
    from .helpers import fetch, load, start


    async def main(loop):
        await loop.run_in_executor(None, fetch, "u")
        load("u")
        start()
        fetch("u")
"""

# Runs the CLI in-process and reports whether LibCST was imported.
PROBE = "import sys, asynclint.cli as c; code = c.main(sys.argv[1:]); print('libcst loaded:', 'libcst' in sys.modules); sys.exit(code)"


def make_package(root: Path) -> Path:
    package = root / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text(textwrap.dedent(HELPERS))
    (package / "app.py").write_text(textwrap.dedent(APP))
    return package


def run_probe(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, *arguments], capture_output=True, text=True, cwd=root, check=False
    )


def findings(output: str) -> list[str]:
    return sorted(line.split(" ", 2)[0] + " " + line.split(" ", 2)[1] for line in output.splitlines() if ": AIO" in line)


def test_imported_helpers_resolved(tmp_path):
    make_package(tmp_path)

    completed = run_probe(tmp_path, "--no-cache", "pkg")

    assert completed.returncode == 1, completed.stderr
    assert findings(completed.stdout) == [
        "pkg/app.py:6:11: AIO301",
        "pkg/app.py:7:5: AIO210",
        "pkg/app.py:8:5: AIO103",
        "pkg/app.py:9:5: AIO404",
    ]
    assert "main -> pkg.helpers.load -> requests.get" in completed.stdout


def test_warm_run_same_findings_without_libcst(tmp_path):
    make_package(tmp_path)
    cold = run_probe(tmp_path, "pkg")

    warm = run_probe(tmp_path, "pkg")

    assert findings(warm.stdout) == findings(cold.stdout)
    assert "libcst loaded: True" in cold.stdout
    assert "libcst loaded: False" in warm.stdout


def test_changed_helper_invalidates_importer(tmp_path):
    package = make_package(tmp_path)
    run_probe(tmp_path, "pkg")
    helpers = package / "helpers.py"
    helpers.write_text(helpers.read_text().replace("def load(url):\n    return requests.get(url)", "def load(url):\n    return url"))

    completed = run_probe(tmp_path, "pkg")

    assert "AIO210" not in completed.stdout
    assert "pkg/app.py:8:5: AIO103" in completed.stdout


def test_sync_caller_without_async_word(tmp_path):
    # The caller has no `async` in it, so only the imported summary can
    # make the rules run on it.
    package = tmp_path / "pk"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text("async def load(x):\n    return x\n")
    (package / "caller.py").write_text("from .helpers import load\n\n\ndef caller():\n    if load(1):\n        pass\n")

    completed = run_probe(tmp_path, "--no-cache", "pk")

    assert "pk/caller.py:5:8: AIO404" in completed.stdout


def test_deeply_nested_module_in_a_package(tmp_path):
    package = make_package(tmp_path)
    depth = 3000
    (package / "deep.py").write_text("async def f():\n    pass\n\nx = " + "(" * depth + "1" + ")" * depth + "\n")

    completed = run_probe(tmp_path, "--no-cache", "pkg")

    assert completed.returncode == 1, completed.stderr
    assert "pkg/deep.py" in completed.stdout
    assert "AIO001" in completed.stdout
    assert "pkg/app.py:7:5: AIO210" in completed.stdout
