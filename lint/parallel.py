"""Running the per-file work of a run: from the result cache, in one process or in a pool.

The parent process first looks every file up in the result cache. Only the
files without a valid entry are checked, in this process when there is
little work and otherwise in a pool of worker processes. Workers receive
paths with their settings and return pickled FileReports, and they store
their results in the cache themselves, from the bytes they actually read.

This module imports without LibCST. The rules, and with them LibCST, load
only when some file has to be checked.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from typing import TYPE_CHECKING, Iterator, Mapping, Protocol, Sequence

from .cache import ResultCache, settings_key
from .codes import INTERNAL_ERROR
from .diagnostic import Diagnostic, Position, is_applicable
from .runner import FileMode, FileReport, check_data, unreadable

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

    from .config import Settings
    from .project import ProjectSummary

# Below this much source in total, starting worker processes costs more than
# it saves: a pool needs tens of milliseconds to start, and linting 100 KB
# (about 2,500 lines) takes about 0.1 to 0.2 s in one process.
PARALLEL_MIN_BYTES = 100_000
PARALLEL_MIN_FILES = 2


def usable_cores() -> int:
    """Return the number of CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {value!r}; use a whole number of processes, 1 or more") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"invalid number {value!r}; use a whole number of processes, 1 or more")
    return number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``-j/--jobs``, ``--no-cache`` and ``--cache-dir`` to the command line."""
    parser.add_argument(
        "-j", "--jobs", type=positive_int, metavar="N",
        help="number of worker processes (default: the number of usable CPU cores); small runs use one process",
    )
    parser.add_argument(
        "--no-cache", action="store_true",
        help="lint every file again, and neither read nor write the result cache",
    )
    parser.add_argument(
        "--cache-dir", metavar="DIR",
        help="folder of the result cache (default: .asynclint_cache in the project root, the nearest folder "
        "above the first path that holds pyproject.toml or .git, else the working folder)",
    )


class FileJob(Protocol):
    """One file to check, with the settings of its configuration file."""

    @property
    def path(self) -> str: ...

    @property
    def settings(self) -> Settings: ...


def check_files(
    jobs: Sequence[FileJob],
    mode: FileMode,
    *,
    processes: int,
    cache: ResultCache | None,
    project: ProjectSummary | None = None,
) -> list[FileReport]:
    """Return a FileReport for each job, in the order of ``jobs``.

    Files with a valid cache entry take their findings from it; the rest are checked
    in this process or in ``processes`` worker processes. ``project`` holds
    the summaries of the run's modules; a file's findings depend on the
    modules it imports, so its fingerprint goes into every cache key.
    """
    keys = _Keys({"project": project.fingerprint()} if project is not None else None)
    reports: list[FileReport | None] = [None] * len(jobs)
    pending: list[tuple[int, str, Settings, str | None]] = []
    for index, job in enumerate(jobs):
        key = keys.get(job.settings) if cache is not None else None
        cached = cache.lookup(key, job.path) if cache is not None and key is not None else None
        if cached is not None and _reusable(cached, mode, job.settings.unsafe_fixes):
            reports[index] = FileReport(job.path, cached)
        else:
            pending.append((index, job.path, job.settings, key))

    if pending:
        for index, report in _run(pending, mode, cache, processes, project):
            reports[index] = report

    return [report for report in reports if report is not None]


class _Keys:
    """Settings key per distinct Settings value, computed once each."""

    def __init__(self, dependencies: Mapping[str, str] | None) -> None:
        self._dependencies = dependencies
        self._keys: dict[Settings, str | None] = {}

    def get(self, settings: Settings) -> str | None:
        if settings not in self._keys:
            try:
                self._keys[settings] = settings_key(settings, self._dependencies)
            except TypeError:
                # A setting without a stable encoding: check without the cache.
                self._keys[settings] = None
        return self._keys[settings]


def _reusable(diagnostics: list[Diagnostic], mode: FileMode, unsafe: bool) -> bool:
    """Tell whether cached findings can stand in for checking the file in this run.

    A run that fixes, or shows fixes, must process every file that has a fix
    it would apply, because the findings alone do not contain the fixed text.
    """
    if not mode.changes_files:
        return True
    return not any(is_applicable(d.fix, unsafe) for d in diagnostics)


_Pending = tuple[int, str, "Settings", "str | None"]


def _run(
    pending: list[_Pending], mode: FileMode, cache: ResultCache | None, processes: int, project: ProjectSummary | None
) -> Iterator[tuple[int, FileReport]]:
    sizes = [_size(path) for _, path, _, _ in pending]
    workers = min(processes, len(pending))
    if workers < 2 or len(pending) < PARALLEL_MIN_FILES or sum(sizes) < PARALLEL_MIN_BYTES:
        for index, path, settings, key in pending:
            yield index, check_one(path, settings, mode, cache, key, project)
        return

    # Import the rules and LibCST before the workers start: forked workers
    # then share them instead of importing them each. The pool modules load
    # here too, because a run served entirely from the cache never needs them.
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    from . import engine, fixer, rules  # noqa: F401

    # Largest files first, so that no worker is left with a big file at the
    # end while the others wait.
    order = [item for _, item in sorted(zip(sizes, pending), key=lambda pair: pair[0], reverse=True)]
    size = max(1, min(8, len(order) // (workers * 16)))
    chunks = [order[start : start + size] for start in range(0, len(order), size)]

    # concurrent.futures, unlike multiprocessing.Pool, notices a worker that
    # dies (a crash in native code, the out-of-memory killer) instead of
    # waiting for its results forever.
    pool = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_start_worker, initargs=(mode, cache, project))
    try:
        futures = {pool.submit(_work, chunk): chunk for chunk in chunks}
        for future in as_completed(futures):
            try:
                yield from future.result()
            except BrokenProcessPool as error:
                for index, path, _, _ in futures[future]:
                    yield index, FileReport(path, [_internal_error(path, error, "a worker process died while checking")])
    except BaseException:
        # Interrupted: drop the work not yet started instead of waiting for it.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _context() -> BaseContext:
    import multiprocessing

    # Forked workers share the parent's already imported LibCST and rules, so
    # they start in milliseconds. macOS and Windows default to spawn, where
    # each worker imports them again.
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def check_one(
    path: str,
    settings: Settings,
    mode: FileMode,
    cache: ResultCache | None,
    key: str | None,
    project: ProjectSummary | None = None,
) -> FileReport:
    """Check one file and store its findings in the cache under ``key``."""
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as error:
        return FileReport(path, [unreadable(path, f"cannot read {path}: {error.strerror or error}")])

    # Parsing allocates hundreds of thousands of nodes, and the cyclic garbage
    # collector would scan them again and again while they are alive. Pausing
    # it for one file cut the CPU time on Python 3.11's asyncio package by
    # about 17% (2 cores, LibCST 1.9). Cycles made meanwhile are collected later.
    collecting = gc.isenabled()
    gc.disable()
    try:
        outcome = check_data(path, data, settings, mode, project)
    except Exception as error:  # noqa: BLE001 - a bug must cost one file, not the whole run
        return FileReport(path, [_internal_error(path, error)])
    finally:
        if collecting:
            gc.enable()

    report = outcome.report
    # A crash inside a rule may depend on the machine (memory, recursion
    # depth), so its result is recomputed next time rather than cached.
    crashed = any(d.code == INTERNAL_ERROR[0] for d in report.diagnostics)
    if cache is not None and key is not None and outcome.data is not None and not crashed:
        cache.store(key, path, outcome.data, report.diagnostics)
    return report


def _internal_error(path: str, error: BaseException, context: str = "internal error") -> Diagnostic:
    code, name = INTERNAL_ERROR
    where = Position(1, 0)
    message = f"{context} on {path}: {type(error).__name__}: {error}; please report it with this file"
    return Diagnostic(code=code, name=name, message=message, path=path, start=where, end=where)


_worker_mode: FileMode | None = None
_worker_cache: ResultCache | None = None
_worker_project: ProjectSummary | None = None


def _start_worker(mode: FileMode, cache: ResultCache | None, project: ProjectSummary | None) -> None:
    global _worker_mode, _worker_cache, _worker_project
    _worker_mode = mode
    _worker_cache = cache
    _worker_project = project


def _work(chunk: list[_Pending]) -> list[tuple[int, FileReport]]:
    assert _worker_mode is not None, "the pool initializer sets the mode"
    return [
        (index, check_one(path, settings, _worker_mode, _worker_cache, key, _worker_project))
        for index, path, settings, key in chunk
    ]
