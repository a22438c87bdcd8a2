"""Checking files in worker processes: same results, same order, and failures contained."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from asynclint import parallel
from asynclint.config import ConfigCache, Overrides, Settings
from asynclint.runner import FileMode, Outcome, check_data

BAD = textwrap.dedent(
    """\
    import time


    async def poll():
        time.sleep(1)
    """
)


@dataclass(frozen=True)
class Job:
    path: str
    settings: Settings


def make_files(folder: Path, count: int, padding: int) -> list[Job]:
    """Write ``count`` files with one finding each, padded to about ``padding`` bytes."""
    filler = "".join(f"value_{index} = {index}\n" for index in range(padding // 16))
    settings = ConfigCache(Overrides()).settings_for(str(folder))
    jobs = []
    for index in range(count):
        path = folder / f"module_{index:03}.py"
        path.write_text(filler + BAD.replace("poll", f"poll_{index}"))
        jobs.append(Job(str(path), settings))
    return jobs


def record_pid(path: str, data: bytes, settings: Settings, mode: FileMode, project=None) -> Outcome:
    outcome = check_data(path, data, settings, mode, project)
    outcome.report.notes.append(f"pid {os.getpid()}")
    return outcome


def pids(reports) -> set[int]:
    return {int(note.split()[1]) for report in reports for note in report.notes}


def test_pool_gives_sequential_results_in_order(tmp_path, monkeypatch):
    jobs = make_files(tmp_path, 24, 8_000)
    sequential = parallel.check_files(jobs, FileMode(), processes=1, cache=None)
    monkeypatch.setattr(parallel, "check_data", record_pid)

    pooled = parallel.check_files(jobs, FileMode(), processes=2, cache=None)

    assert [r.path for r in pooled] == [job.path for job in jobs]
    assert [r.diagnostics for r in pooled] == [r.diagnostics for r in sequential]
    assert os.getpid() not in pids(pooled)
    assert pids(pooled)


def test_small_run_stays_in_one_process(tmp_path, monkeypatch):
    jobs = make_files(tmp_path, 3, 100)
    monkeypatch.setattr(parallel, "check_data", record_pid)

    reports = parallel.check_files(jobs, FileMode(), processes=4, cache=None)

    assert pids(reports) == {os.getpid()}
    assert [len(r.diagnostics) for r in reports] == [1, 1, 1]


def test_one_process_when_jobs_is_one(tmp_path, monkeypatch):
    jobs = make_files(tmp_path, 24, 8_000)
    monkeypatch.setattr(parallel, "check_data", record_pid)

    reports = parallel.check_files(jobs, FileMode(), processes=1, cache=None)

    assert pids(reports) == {os.getpid()}


def crash_on_module_5(path: str, data: bytes, settings: Settings, mode: FileMode, project=None) -> Outcome:
    if path.endswith("module_005.py"):
        raise RuntimeError("boom")
    return check_data(path, data, settings, mode, project)


@pytest.mark.parametrize("processes", [1, 2])
def test_exception_costs_one_file(tmp_path, monkeypatch, processes):
    jobs = make_files(tmp_path, 24, 8_000)
    monkeypatch.setattr(parallel, "check_data", crash_on_module_5)

    reports = parallel.check_files(jobs, FileMode(), processes=processes, cache=None)

    codes = {Path(r.path).name: [d.code for d in r.diagnostics] for r in reports}
    assert codes.pop("module_005.py") == ["AIO003"]
    assert set(map(tuple, codes.values())) == {("AIO201",)}
    assert "RuntimeError: boom" in reports[5].diagnostics[0].message


def die_on_module_5(path: str, data: bytes, settings: Settings, mode: FileMode, project=None) -> Outcome:
    if path.endswith("module_005.py"):
        os._exit(3)
    return check_data(path, data, settings, mode, project)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="patching the worker needs fork")
def test_dead_worker_is_reported_not_waited_for(tmp_path, monkeypatch):
    jobs = make_files(tmp_path, 24, 8_000)
    monkeypatch.setattr(parallel, "check_data", die_on_module_5)

    reports = parallel.check_files(jobs, FileMode(), processes=2, cache=None)

    assert len(reports) == len(jobs)
    assert [d.code for d in reports[5].diagnostics] == ["AIO003"]
    assert "worker process died" in reports[5].diagnostics[0].message


def test_unreadable_file_reported(tmp_path):
    settings = ConfigCache(Overrides()).settings_for(str(tmp_path))
    jobs = [Job(str(tmp_path / "missing.py"), settings)]

    reports = parallel.check_files(jobs, FileMode(), processes=1, cache=None)

    assert [d.code for d in reports[0].diagnostics] == ["AIO001"]
    assert "cannot read" in reports[0].diagnostics[0].message


def test_usable_cores_matches_affinity():
    if hasattr(os, "sched_getaffinity"):
        assert parallel.usable_cores() == len(os.sched_getaffinity(0))
    assert parallel.usable_cores() >= 1


def run_cli(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asynclint", *arguments], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_cli_jobs_output_matches(tmp_path):
    make_files(tmp_path, 24, 8_000)

    one = run_cli(".", "--no-cache", "-j", "1", cwd=tmp_path)
    two = run_cli(".", "--no-cache", "--jobs", "2", cwd=tmp_path)

    assert one.returncode == 1
    assert two.returncode == 1
    assert two.stdout == one.stdout
    assert one.stdout.count("AIO201") == 24


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_cli_rejects_invalid_jobs(tmp_path, value):
    result = run_cli(".", "--jobs", value, cwd=tmp_path)

    assert result.returncode == 2
    assert "--jobs" in result.stderr
    assert "1 or more" in result.stderr
