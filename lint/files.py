"""Finding the Python files to lint under the paths a user names."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from typing import Iterable

# Folders that never hold the user's own code: tool caches, build output,
# dependencies. A folder with a pyvenv.cfg is a virtual environment whatever
# its name.
DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".asynclint_cache", ".bzr", ".direnv", ".eggs", ".git", ".hg", ".mypy_cache", ".nox",
    ".pytest_cache", ".ruff_cache", ".svn", ".tox", ".venv", "__pycache__", "__pypackages__",
    "_build", "build", "dist", "node_modules", "site-packages", "venv",
)

PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass(frozen=True)
class DiscoveryError:
    """A path that could not be listed, with the reason."""

    path: str
    reason: str


def is_excluded(path: str, patterns: Iterable[str]) -> bool:
    """Tell whether a glob pattern matches the path's name or the whole path."""
    name = os.path.basename(path)
    normalized = path.replace(os.sep, "/")
    return any(
        fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(normalized, pattern)
        or fnmatch.fnmatchcase(normalized, f"*/{pattern}")
        for pattern in patterns
    )


def discover(paths: Iterable[str], excludes: Iterable[str]) -> tuple[list[str], list[DiscoveryError]]:
    """Return the Python files under ``paths``, sorted, and the paths that failed.

    A file named directly is always linted, whatever its suffix or the
    excludes, because the user asked for it (pre-commit passes files this way).
    Symbolic links to folders are not followed, which also rules out loops.
    """
    patterns = tuple(excludes)
    found: set[str] = set()
    errors: list[DiscoveryError] = []

    for raw in paths:
        path = os.path.normpath(raw)
        if os.path.isfile(path):
            found.add(path)
        elif os.path.isdir(path):
            found.update(_walk(path, patterns, errors))
        elif os.path.lexists(path):
            errors.append(DiscoveryError(path, "not a regular file or folder"))
        else:
            errors.append(DiscoveryError(path, "no such file or folder"))

    return sorted(found), errors


def _walk(root: str, patterns: tuple[str, ...], errors: list[DiscoveryError]) -> Iterable[str]:
    def on_error(error: OSError) -> None:
        errors.append(DiscoveryError(error.filename or root, error.strerror or str(error)))

    for folder, subfolders, filenames in os.walk(root, onerror=on_error):
        subfolders[:] = sorted(
            name
            for name in subfolders
            if not is_excluded(os.path.join(folder, name), patterns)
            and not os.path.exists(os.path.join(folder, name, "pyvenv.cfg"))
        )
        for filename in filenames:
            path = os.path.join(folder, filename)
            if not filename.endswith(PYTHON_SUFFIXES) or is_excluded(path, patterns):
                continue
            # Reading a FIFO or a device named *.py would block or never end.
            if not os.path.isfile(path):
                reason = "not a regular file" if os.path.exists(path) else "a broken symbolic link, or deleted while listed"
                errors.append(DiscoveryError(os.path.normpath(path), reason))
                continue
            yield path
