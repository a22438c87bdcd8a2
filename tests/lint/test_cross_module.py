"""Rules that follow imports between the files of one run, through asynclint.project."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from asynclint.engine import LintOptions, lint_text
from asynclint.project import ProjectSummary, module_name, resolve_relative, summarize_module, summarize_paths
from asynclint.rules import ALL_RULES

HELPERS = """\
import asyncio
import requests


async def load(key):
    await asyncio.sleep(0)


def load_now(key):
    return asyncio.run(load(key))


def fetch(url):
    return requests.get(url, timeout=5)


def fetch_all(urls):
    return [fetch(url) for url in urls]
"""

APP = """\
import asyncio
from .helpers import fetch_all, load, load_now
from . import helpers
from pkg.helpers import fetch


async def refresh(loop, urls):
    load(urls[0])
    rows = load_now(urls[0])
    pages = fetch_all(urls)
    await loop.run_in_executor(None, helpers.load, urls[0])
    await asyncio.to_thread(load(urls[1]))
    page = fetch(urls[0])
    await load(urls[2])
    return rows, pages, page
"""

EXPECTED = [
    (8, "AIO404"),
    (9, "AIO103"),
    (10, "AIO210"),
    (11, "AIO301"),
    (12, "AIO302"),
    (13, "AIO210"),
]


@pytest.fixture()
def package(tmp_path: Path) -> Path:
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "helpers.py").write_text(HELPERS)
    (root / "app.py").write_text(APP)
    return root


def lint_app(package: Path, project: ProjectSummary | None) -> list[tuple[int, str]]:
    path = package / "app.py"
    findings = lint_text(path.read_text(), str(path), ALL_RULES, LintOptions(project=project))
    return [(d.start.line, d.code) for d in findings]


def test_imported_helpers_reported(package):
    project = summarize_paths(str(path) for path in package.glob("*.py"))

    assert lint_app(package, project) == EXPECTED


def test_without_project_nothing_reported(package):
    assert lint_app(package, None) == []


def test_chain_names_imported_module(package):
    project = summarize_paths(str(path) for path in package.glob("*.py"))
    path = package / "app.py"
    findings = lint_text(path.read_text(), str(path), ALL_RULES, LintOptions(project=project))
    messages = {(d.start.line, d.code): d.message for d in findings}

    assert "(refresh -> pkg.helpers.load_now -> asyncio.run)" in messages[(9, "AIO103")]
    assert "(refresh -> pkg.helpers.fetch_all -> pkg.helpers.fetch -> requests.get)" in messages[(10, "AIO210")]
    assert "(refresh -> pkg.helpers.fetch -> requests.get)" in messages[(13, "AIO210")]


def test_module_summary_contents(package):
    summary = summarize_module(HELPERS, str(package / "helpers.py"))
    functions = dict(summary.functions)

    assert summary.module == "pkg.helpers"
    assert functions["load"].is_coroutine
    assert functions["load_now"].starts_loop == ("pkg.helpers.load_now", "asyncio.run")
    assert functions["fetch"].blocks == ("pkg.helpers.fetch", "requests.get")
    assert "refresh" not in functions


def test_summary_pickles_and_hashes(package):
    project = summarize_paths(str(path) for path in package.glob("*.py"))
    copy = pickle.loads(pickle.dumps(project))

    assert copy == project
    assert hash(copy) == hash(project)
    assert copy.fingerprint() == project.fingerprint()
    assert copy.function("pkg.helpers.load") == project.function("pkg.helpers.load")


def test_fingerprint_changes_with_helpers(package):
    before = summarize_paths(str(path) for path in package.glob("*.py"))
    (package / "helpers.py").write_text(HELPERS.replace("async def load", "def load"))
    after = summarize_paths(str(path) for path in package.glob("*.py"))

    assert before.fingerprint() != after.fingerprint()


def test_summary_independent_of_order(package):
    paths = sorted(str(path) for path in package.glob("*.py"))

    assert summarize_paths(paths) == summarize_paths(reversed(paths))


def test_module_names(package):
    assert module_name(str(package / "helpers.py")) == ("pkg.helpers", False)
    assert module_name(str(package / "__init__.py")) == ("pkg", True)


def test_relative_imports_resolved(package):
    app = str(package / "app.py")
    init = str(package / "__init__.py")

    assert resolve_relative(".helpers.load", app) == "pkg.helpers.load"
    assert resolve_relative(".helpers", init) == "pkg.helpers"
    assert resolve_relative("...too_far", app) is None


def test_unparsable_file_gives_empty_summary(tmp_path):
    path = tmp_path / "broken.py"

    summary = summarize_module("def broken(:\n", str(path))

    assert summary.functions == ()
