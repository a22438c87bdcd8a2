"""The first pass of a run: module summaries for the rules that look across files.

Each file's summary depends on its bytes, its dotted module name and the
blocking-call catalogue, so it is cached under a digest of the three, next
to the per-file results. A warm run reads every summary from the cache
without importing LibCST.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Sequence

from .cache import ResultCache, content_digest, settings_key
from .project import FunctionSummary, ModuleSummary, ProjectSummary, module_name

# Rules that read summaries of other modules; without one of them selected
# the first pass is skipped.
CROSS_MODULE_CODES = frozenset({"AIO103", "AIO210", "AIO301", "AIO302", "AIO404"})

_SUMMARY_FORMAT = 1


def build_project(jobs: Sequence[object], cache: ResultCache | None) -> ProjectSummary | None:
    """Summarise every file of the run, or return None when no rule needs it.

    A run of one file has nothing to resolve across files. Unreadable and
    undecodable files are left out; the lint pass reports them.
    """
    if len(jobs) < 2:
        return None
    if not any(CROSS_MODULE_CODES & job.settings.codes for job in jobs):  # type: ignore[attr-defined]
        return None

    modules = []
    for job in jobs:
        summary = _summary_of(job.path, job.settings, cache)  # type: ignore[attr-defined]
        if summary is not None:
            modules.append(summary)
    return ProjectSummary.from_modules(modules)


def refresh_summaries(jobs: Sequence[object], cache: ResultCache | None) -> None:
    """Cache the summaries of files that a fix has just rewritten.

    The next run then finds every summary in the cache, as it finds the
    findings that the fixing run stored for the rewritten files.
    """
    if cache is None:
        return
    for job in jobs:
        _summary_of(job.path, job.settings, cache)  # type: ignore[attr-defined]


def _summary_of(path: str, settings: object, cache: ResultCache | None) -> ModuleSummary | None:
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError:
        return None

    name, _ = module_name(path)
    entry = _entry_path(cache, data, name, settings) if cache is not None else None
    if entry is not None:
        cached = _read(entry, name)
        if cached is not None:
            return cached

    summary = _summarize(path, data, settings)
    if summary is not None and entry is not None:
        _write(entry, summary)
    return summary


def _summarize(path: str, data: bytes, settings: object) -> ModuleSummary | None:
    from .project import summarize_module
    from .source import SourceDecodeError, decode_source

    try:
        source = decode_source(data)
    except SourceDecodeError:
        return None
    catalogue = settings.lint_options.catalogue  # type: ignore[attr-defined]
    return summarize_module(source.text, path, catalogue)


def _entry_path(cache: ResultCache, data: bytes, name: str, settings: object) -> str | None:
    try:
        # The settings key covers the catalogue and the asynclint version.
        key = settings_key(settings)
    except TypeError:
        return None
    digest = hashlib.blake2b(f"{content_digest(data)}:{name}:{key}".encode(), digest_size=20).hexdigest()
    return os.path.join(cache.directory, "summaries", digest[:2], digest + ".json")


def _read(entry: str, name: str) -> ModuleSummary | None:
    """Return the cached summary, or None for a missing or malformed entry."""
    try:
        with open(entry, "rb") as stream:
            raw = json.loads(stream.read())
        if raw["format"] != _SUMMARY_FORMAT or raw["module"] != name:
            return None
        functions = tuple(
            (function, FunctionSummary(bool(coroutine), _chain(loop), _chain(blocks)))
            for function, coroutine, loop, blocks in raw["functions"]
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return ModuleSummary(name, functions)


def _chain(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError("a call chain is a list of names")
    return tuple(value)


def _write(entry: str, summary: ModuleSummary) -> None:
    payload = {
        "format": _SUMMARY_FORMAT,
        "module": summary.module,
        "functions": [
            [function, effects.is_coroutine, effects.starts_loop, effects.blocks]
            for function, effects in summary.functions
        ],
    }
    try:
        os.makedirs(os.path.dirname(entry), exist_ok=True)
        temporary = f"{entry}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as stream:
            json.dump(payload, stream, separators=(",", ":"))
        os.replace(temporary, entry)
    except (OSError, ValueError):
        # A cache that cannot be written makes the next run slower, not wrong.
        pass
