"""The result cache: findings of unchanged files are read back, not recomputed.

One entry per linted path contains the hash of the bytes that were linted and
the findings for them. An entry is valid only for the same path, the same
bytes and the same settings key. The key covers the asynclint version, a hash
of asynclint's own source files (so an edited checkout never reads results of
older code), the codes in force and every other setting that changes findings.

Entries are JSON, not pickle, because a cache folder can come from anywhere
(a shared checkout, an archive) and loading one must never run code. Each
entry is written to a temporary file and renamed over the old one, so a
reader, or another asynclint run writing the same entry, only ever reads a
whole entry. An entry that cannot be read or does not match the expected
layout counts as a miss and is rewritten after linting.

This module and everything it imports load without LibCST, so a run whose
results all come from the cache never imports LibCST.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import hashlib
import json
import os
from typing import Iterable, Mapping

from . import __version__
from .diagnostic import Diagnostic, Edit, Fix, FixSafety, Position

CACHE_FOLDER = ".asynclint_cache"

# Bumped whenever the entry layout below changes.
ENTRY_FORMAT = 1

# Markers of a project root, looked for from the first linted path upwards.
ROOT_MARKERS = ("pyproject.toml", ".git")

_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by asynclint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def default_cache_dir(paths: Iterable[str]) -> str:
    """Return ``.asynclint_cache`` in the project root of the first path.

    The root is the nearest folder at or above the first path that contains
    pyproject.toml or .git; without one, the current working folder.
    """
    first = next(iter(paths), ".")
    folder = os.path.abspath(first)
    if not os.path.isdir(folder):
        folder = os.path.dirname(folder)

    while True:
        if any(os.path.exists(os.path.join(folder, marker)) for marker in ROOT_MARKERS):
            return os.path.join(folder, CACHE_FOLDER)
        parent = os.path.dirname(folder)
        if parent == folder:
            return os.path.join(os.getcwd(), CACHE_FOLDER)
        folder = parent


def settings_key(settings: object, dependencies: Mapping[str, str] | None = None) -> str:
    """Return the hex key of everything besides a file's path and bytes that decides its findings.

    ``settings`` is any value built from dataclasses, enums, containers and
    plain values: the codes in force, per-file ignores, extra blocking calls.
    ``dependencies`` covers what a file's findings take from other modules:
    the command line passes ``{"project": ProjectSummary.fingerprint()}``.
    """
    material = {
        "format": ENTRY_FORMAT,
        "version": __version__,
        "source": source_fingerprint(),
        "settings": canonical(settings),
        "dependencies": sorted((dependencies or {}).items()),
    }
    encoded = json.dumps(material, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.blake2b(encoded, digest_size=16).hexdigest()


def canonical(value: object) -> object:
    """Return ``value`` as JSON-ready data that is the same in every process.

    Sets are sorted and objects become their class name and fields, because
    ``repr`` of a set of strings changes order with the hash seed and ``repr``
    of a plain object contains its address.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return [type(value).__qualname__, canonical(value.value)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return [type(value).__qualname__, fields]
    if isinstance(value, Mapping):
        return sorted(([canonical(k), canonical(v)] for k, v in value.items()), key=_sort_key)
    if isinstance(value, (set, frozenset)):
        return sorted((canonical(item) for item in value), key=_sort_key)
    if isinstance(value, (list, tuple)):
        return [canonical(item) for item in value]
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    if hasattr(value, "__dict__"):
        return [type(value).__qualname__, canonical(vars(value))]
    raise TypeError(f"cannot build a cache key from a {type(value).__qualname__} value")


def _sort_key(item: object) -> str:
    return json.dumps(item, sort_keys=True)


_SOURCE_FINGERPRINT: str | None = None


def source_fingerprint() -> str:
    """Return a hash of every Python file of the installed asynclint package."""
    global _SOURCE_FINGERPRINT
    if _SOURCE_FINGERPRINT is None:
        package = os.path.dirname(os.path.abspath(__file__))
        digest = hashlib.blake2b(digest_size=16)
        for folder, subfolders, files in os.walk(package):
            subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
            for name in sorted(files):
                if not name.endswith(".py"):
                    continue
                path = os.path.join(folder, name)
                digest.update(os.path.relpath(path, package).encode())
                with open(path, "rb") as stream:
                    digest.update(hashlib.blake2b(stream.read(), digest_size=16).digest())
        _SOURCE_FINGERPRINT = digest.hexdigest()
    return _SOURCE_FINGERPRINT


def content_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class ResultCache:
    """Findings per settings key, path and content, under one folder.

    The object contains only the folder's name, so worker processes can
    receive it. Lookups and stores catch every OSError and malformed entry,
    because a cache that cannot be used must make the run slower, not wrong.
    """

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def entry_path(self, key: str, path: str) -> str:
        """Return the entry file of ``path`` under the settings key ``key``."""
        name = hashlib.blake2b(path.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()
        return os.path.join(self.directory, key, name[:2], name + ".json")

    def lookup(self, key: str, path: str) -> list[Diagnostic] | None:
        """Return the cached findings for the file as it is on disk now, or None.

        The entry is opened before the file, so a path without an entry costs
        one failed open and the source is not read.
        """
        try:
            with open(self.entry_path(key, path), "rb") as stream:
                raw = stream.read()
            with open(path, "rb") as stream:
                data = stream.read()
        except OSError:
            return None
        return decode_entry(raw, path, content_digest(data))

    def store(self, key: str, path: str, data: bytes, diagnostics: list[Diagnostic]) -> None:
        """Record ``diagnostics`` as the findings for ``data`` at ``path``."""
        entry = {
            "format": ENTRY_FORMAT,
            "path": path,
            "digest": content_digest(data),
            "diagnostics": [_encode_diagnostic(d) for d in diagnostics],
        }
        try:
            encoded = json.dumps(entry, separators=(",", ":")).encode("utf-8", "surrogateescape")
            target = self.entry_path(key, path)
            folder = os.path.dirname(target)
            if not os.path.isdir(folder):
                self._create_folder(folder)
            _write_atomically(target, encoded)
        except (OSError, UnicodeEncodeError, ValueError):
            pass

    def _create_folder(self, folder: str) -> None:
        # NOTE: folders of older settings keys (an earlier asynclint, other
        # settings) are never removed; deleting the whole cache folder is safe.
        new_root = not os.path.isdir(self.directory)
        os.makedirs(folder, exist_ok=True)
        if new_root or not os.path.exists(os.path.join(self.directory, ".gitignore")):
            # Keep the cache out of version control, and out of backups that
            # honour cache directory tags.
            _write_atomically(os.path.join(self.directory, ".gitignore"), b"# Created by asynclint.\n*\n")
            _write_atomically(os.path.join(self.directory, "CACHEDIR.TAG"), _CACHEDIR_TAG.encode())


def decode_entry(raw: bytes, path: str, digest: str) -> list[Diagnostic] | None:
    """Return the findings in an entry, or None when it is for other bytes or malformed."""
    try:
        entry = json.loads(raw)
        if entry["format"] != ENTRY_FORMAT or entry["path"] != path or entry["digest"] != digest:
            return None
        return [_decode_diagnostic(item) for item in entry["diagnostics"]]
    except (ValueError, KeyError, TypeError, IndexError):
        # json.JSONDecodeError and UnicodeDecodeError are ValueErrors.
        return None


def _write_atomically(target: str, data: bytes) -> None:
    import tempfile  # only runs that write entries need it

    descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _encode_position(position: Position) -> list[int]:
    return [position.line, position.column]


def _decode_position(item: object) -> Position:
    line, column = item  # type: ignore[misc]
    if not (type(line) is int and type(column) is int):
        raise TypeError("a position is two integers")
    return Position(line, column)


def _encode_diagnostic(diagnostic: Diagnostic) -> list[object]:
    fix = None
    if diagnostic.fix is not None:
        edits = [[*_encode_position(e.start), *_encode_position(e.end), e.content] for e in diagnostic.fix.edits]
        fix = [diagnostic.fix.title, diagnostic.fix.safety.value, edits]
    return [
        diagnostic.code,
        diagnostic.name,
        diagnostic.message,
        diagnostic.path,
        _encode_position(diagnostic.start),
        _encode_position(diagnostic.end),
        fix,
    ]


def _decode_diagnostic(item: list[object]) -> Diagnostic:
    code, name, message, path, start, end, raw_fix = item
    for text in (code, name, message, path):
        if not isinstance(text, str):
            raise TypeError("code, name, message and path are strings")

    fix = None
    if raw_fix is not None:
        title, safety, raw_edits = raw_fix  # type: ignore[misc]
        if not isinstance(title, str):
            raise TypeError("a fix title is a string")
        edits = []
        for start_line, start_column, end_line, end_column, content in raw_edits:
            if not isinstance(content, str):
                raise TypeError("an edit's content is a string")
            edits.append(
                Edit(_decode_position((start_line, start_column)), _decode_position((end_line, end_column)), content)
            )
        fix = Fix(title, FixSafety(safety), tuple(edits))

    return Diagnostic(
        code=code,  # type: ignore[arg-type]
        name=name,  # type: ignore[arg-type]
        message=message,  # type: ignore[arg-type]
        path=path,  # type: ignore[arg-type]
        start=_decode_position(start),
        end=_decode_position(end),
        fix=fix,
    )
