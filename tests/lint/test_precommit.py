"""The pre-commit hooks, run by the real pre-commit in a temporary git repository.

The hook repository is a copy of this source tree committed to a temporary
git repository, so the test checks the working tree as it is, committed or
not. pre-commit builds the hook's virtual environment with pip, which needs
the package index (or a local mirror) for LibCST and setuptools.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .test_cli import BAD, FIXED

pytestmark = pytest.mark.slow

SOURCE = Path(__file__).resolve().parents[2]
# What pip needs to build and install the package from the copy.
PACKAGE_FILES = ("pyproject.toml", ".pre-commit-hooks.yaml", "README.md", "LICENSE")
PACKAGE_FOLDERS = ("lint", "loader")

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "asynclint tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "asynclint tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
}


def git(*arguments: str, cwd: Path) -> str:
    result = subprocess.run(
        ["git", *arguments], cwd=cwd, capture_output=True, text=True, check=True, env={**os.environ, **GIT_IDENTITY}, timeout=60
    )
    return result.stdout.strip()


@pytest.fixture(scope="module")
def hook_repository(tmp_path_factory) -> tuple[Path, str]:
    """Commit a copy of the current source tree; return its path and commit."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    copy = tmp_path_factory.mktemp("asynclint-hooks")
    for name in PACKAGE_FILES:
        if (SOURCE / name).exists():
            shutil.copy2(SOURCE / name, copy / name)
    if not (copy / "README.md").exists():
        # pyproject.toml names README.md as the long description.
        (copy / "README.md").write_text("asynclint\n", encoding="utf-8")
    for name in PACKAGE_FOLDERS:
        shutil.copytree(SOURCE / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))

    git("init", "-q", cwd=copy)
    git("add", "-A", cwd=copy)
    git("commit", "-q", "-m", "snapshot for the pre-commit test", cwd=copy)
    return copy, git("rev-parse", "HEAD", cwd=copy)


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory) -> Path:
    # Shared by the tests of this module, so the hook environment is built once.
    return tmp_path_factory.mktemp("pre-commit-home")


def project(folder: Path, hook_repository: tuple[Path, str], hook_id: str) -> Path:
    repository, revision = hook_repository
    folder.mkdir()
    git("init", "-q", cwd=folder)
    (folder / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repository}\n    rev: {revision}\n    hooks:\n      - id: {hook_id}\n", encoding="utf-8"
    )
    (folder / "poller.py").write_text(BAD, encoding="utf-8")
    (folder / "notes.txt").write_text("time.sleep(1) in a text file is not Python\n", encoding="utf-8")
    git("add", "-A", cwd=folder)
    git("commit", "-q", "-m", "add a poller", cwd=folder)
    return folder


def run_pre_commit(folder: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_IDENTITY, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
        cwd=folder, capture_output=True, text=True, env=env, timeout=900,
    )


def test_report_hook_fails_naming_file(tmp_path, hook_repository, pre_commit_home):
    folder = project(tmp_path / "report", hook_repository, "asynclint")

    result = run_pre_commit(folder, pre_commit_home)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "poller.py:5:5: AIO201" in result.stdout
    assert "notes.txt" not in result.stdout
    assert (folder / "poller.py").read_text(encoding="utf-8") == BAD


def test_fix_hook_rewrites_then_passes(tmp_path, hook_repository, pre_commit_home):
    folder = project(tmp_path / "fix", hook_repository, "asynclint-fix")

    first = run_pre_commit(folder, pre_commit_home)
    fixed = (folder / "poller.py").read_text(encoding="utf-8")
    second = run_pre_commit(folder, pre_commit_home)

    assert first.returncode == 1, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout
    assert fixed == FIXED
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Passed" in second.stdout
