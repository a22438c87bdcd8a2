"""Benchmark asynclint against flake8-async and ruff on the same real code, in one run.

Usage, from the repository root after `make demo` or `make test` created .venv:

    .venv/bin/python benchmarks/run.py

The script installs pinned versions of ruff, flake8, flake8-async, aiohttp and
httpx, and a copy of this checkout of asynclint, into a throwaway virtual
environment under a temporary folder (PyPI must be reachable). It runs every
tool on the same file lists and writes the table into the
``## Linter benchmark`` section of docs/benchmarks.md, leaving the other
sections of that file as they are. The copy keeps the measured code fixed
while the run lasts: the result cache's key includes a hash of asynclint's
source, so an edit in the checkout during a run would make warm runs cold.

Each measurement runs the tool as a child process. Wall time is measured
around the child. CPU time is the change of ``getrusage(RUSAGE_CHILDREN)``:
user plus system time of the child and its worker processes. Peak memory is
the child's ``ru_maxrss`` from ``wait4``, which is the largest resident set
of the child or any of its worker processes, not their sum. Each number is the median of
``--runs`` runs, except where the table notes otherwise.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
DOCS = REPOSITORY / "docs" / "benchmarks.md"
SECTION = "## Linter benchmark"

# Pinned so that the numbers of two runs compare the same code.
TOOLS = {"ruff": "0.17.6", "flake8": "7.5.0", "flake8-async": "26.8.1"}
CORPUS_PACKAGES = {"aiohttp": "3.14.5", "httpx": "0.29.0"}

# A finding line of every tool: `path:line:column: CODE message`. Syntax
# errors (asynclint AIO001, ruff `SyntaxError:`, flake8 E999) are not counted.
FINDING = re.compile(r":\d+:\d+: (?P<code>[A-Z]+\d+)\b")
SYNTAX_ERROR_CODES = {"AIO001", "E999"}


@dataclass
class Measurement:
    tool: str
    corpus: str
    files: int
    lines: int
    runs: int
    wall: float
    cpu: float
    peak_mb: float
    findings: int
    exit_codes: list[int] = field(default_factory=list)

    @property
    def lines_per_cpu_second(self) -> float:
        return self.lines / self.cpu if self.cpu else float("inf")


@dataclass
class Corpus:
    name: str
    files: list[str]
    lines: int


def main() -> int:
    parser = argparse.ArgumentParser(description="Compare asynclint, flake8-async and ruff on the same corpora.")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is reported (default: 3)")
    parser.add_argument(
        "--flake8-lib-runs", type=int, default=1,
        help="runs of flake8-async on the whole Lib/, which takes about 15 CPU-minutes per run here (default: 1)",
    )
    parser.add_argument("--venv", help="reuse or create the tools' virtual environment in this folder instead of a temporary one")
    parser.add_argument("--output", default=str(DOCS), help="Markdown file to update (default: docs/benchmarks.md)")
    parser.add_argument("--no-write", action="store_true", help="print the section and leave the Markdown file alone")
    parser.add_argument(
        "--only", action="append", choices=["asyncio", "aiohttp", "httpx", "Lib/"],
        help="measure only this corpus (repeatable); the targets that need the others are then skipped",
    )
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="asynclint-bench-") as scratch:
        venv = Path(options.venv) if options.venv else Path(scratch) / "venv"
        tools = install_tools(venv)
        corpora = build_corpora(tools)
        cache_dir = Path(scratch) / "asynclint-cache"
        load_before = os.getloadavg()[0]
        results, notes = measure_all(corpora, tools, cache_dir, options)
        notes.append(
            f"Load average (1 minute) of the machine: {load_before:.1f} when the measurements started and "
            f"{os.getloadavg()[0]:.1f} when they ended. Above the number of cores, other processes competed for "
            "the CPU, which stretches wall times far more than CPU times."
        )
        section = render(results, corpora, tools, notes, options)

    print(section)
    if not options.no_write:
        write_section(Path(options.output), section)
        print(f"wrote the {SECTION!r} section of {options.output}", file=sys.stderr)
    return 0


def install_tools(venv: Path) -> dict[str, str]:
    """Install the pinned tools and corpus packages; return paths and versions."""
    python = venv / "bin" / "python"
    if not python.exists():
        log(f"creating {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pins = [f"{name}=={version}" for name, version in {**TOOLS, **CORPUS_PACKAGES}.items()]
    log(f"installing {' '.join(pins)} and asynclint from {REPOSITORY}")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *pins], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--force-reinstall", "--no-deps", str(REPOSITORY)],
        check=True,
    )
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(REPOSITORY)], check=True)

    locate = (
        "import json, os, aiohttp, httpx\n"
        "print(json.dumps({'aiohttp': os.path.dirname(aiohttp.__file__), 'httpx': os.path.dirname(httpx.__file__)}))"
    )
    packages = json.loads(subprocess.run([str(python), "-c", locate], check=True, capture_output=True, text=True).stdout)
    return {
        "python": str(python),
        "ruff": str(venv / "bin" / "ruff"),
        "flake8": str(venv / "bin" / "flake8"),
        **{f"{name}_path": path for name, path in packages.items()},
    }


def python_files(root: str, skip: tuple[str, ...] = ()) -> list[str]:
    found = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if name not in ("__pycache__", *skip))
        found.extend(os.path.join(folder, name) for name in sorted(files) if name.endswith(".py"))
    return sorted(found)


def count_lines(files: list[str]) -> int:
    total = 0
    for path in files:
        with open(path, "rb") as stream:
            total += stream.read().count(b"\n")
    return total


def corpus(name: str, files: list[str]) -> Corpus:
    return Corpus(name, files, count_lines(files))


def flake8_crashes(tools: dict[str, str], files: list[str]) -> list[str]:
    """Return the files on which flake8-async stops the whole flake8 run.

    flake8-async renders long implicit string concatenations with LibCST's
    recursive code generation, which raises RecursionError on a few thousand
    adjacent strings (Lib/pydoc_data/topics.py), and flake8 then aborts
    without printing any finding. Files with a long run of adjacent string
    tokens are checked one by one.
    """
    crashing = []
    for path in files:
        if _longest_string_run(path) < 500:
            continue
        command = [tools["flake8"], "--isolated", "--select", "ASYNC", "--exit-zero", path]
        if subprocess.run(command, capture_output=True).returncode != 0:
            crashing.append(path)
    return crashing


def _longest_string_run(path: str) -> int:
    longest = current = 0
    try:
        with open(path, "rb") as stream:
            for token in tokenize.tokenize(stream.readline):
                if token.type == tokenize.STRING:
                    current += 1
                    longest = max(longest, current)
                elif token.type not in (tokenize.NL, tokenize.COMMENT):
                    current = 0
    except (SyntaxError, tokenize.TokenError, UnicodeDecodeError):
        pass
    return longest


def build_corpora(tools: dict[str, str]) -> dict[str, Corpus]:
    stdlib = sysconfig.get_paths()["stdlib"]
    lib = python_files(stdlib, skip=("site-packages",))
    left_out = flake8_crashes(tools, lib)
    tools["left_out"] = ", ".join(os.path.relpath(path, stdlib) for path in left_out)
    lib = [path for path in lib if path not in left_out]
    return {
        "asyncio": corpus("asyncio", python_files(os.path.join(stdlib, "asyncio"))),
        "aiohttp": corpus("aiohttp", python_files(tools["aiohttp_path"])),
        "httpx": corpus("httpx", python_files(tools["httpx_path"])),
        # Every 10th and every 2nd file of the sorted list, for linearity.
        "Lib/ 10%": corpus("Lib/ 10%", lib[::10]),
        "Lib/ 50%": corpus("Lib/ 50%", lib[::2]),
        "Lib/": corpus("Lib/", lib),
    }


def run_once(command: list[str]) -> tuple[float, float, float, int, int]:
    """Run ``command``; return wall s, CPU s, peak MB, findings, exit code."""
    with tempfile.TemporaryFile() as output:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.DEVNULL, cwd=tempfile.gettempdir())
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        process.returncode = os.waitstatus_to_exitcode(status)

        output.seek(0)
        text = output.read().decode("utf-8", "replace")

    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # ru_maxrss is in KiB on Linux.
    peak_mb = usage.ru_maxrss / 1024
    findings = sum(1 for match in FINDING.finditer(text) if match.group("code") not in SYNTAX_ERROR_CODES)
    return wall, cpu, peak_mb, findings, process.returncode


def measure(tool: str, data: Corpus, command: list[str], runs: int, prepare: list[str] | None = None) -> Measurement:
    if prepare is not None:
        run_once(prepare)
    samples = [run_once(command) for _ in range(runs)]
    result = Measurement(
        tool=tool,
        corpus=data.name,
        files=len(data.files),
        lines=data.lines,
        runs=runs,
        wall=statistics.median(s[0] for s in samples),
        cpu=statistics.median(s[1] for s in samples),
        peak_mb=max(s[2] for s in samples),
        findings=samples[-1][3],
        exit_codes=[s[4] for s in samples],
    )
    log(
        f"{tool:<28} {data.name:<9} {result.wall:7.2f} s wall {result.cpu:7.2f} s CPU "
        f"{result.lines_per_cpu_second:9.0f} lines/CPU-s {result.peak_mb:6.0f} MB {result.findings} findings"
    )
    return result


def measure_all(
    corpora: dict[str, Corpus], tools: dict[str, str], cache_dir: Path, options: argparse.Namespace
) -> tuple[list[Measurement], list[str]]:
    asynclint = [tools["python"], "-m", "asynclint", "check", "--exit-zero"]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    results: list[Measurement] = []
    runs = options.runs

    chosen = options.only or ["asyncio", "aiohttp", "httpx", "Lib/"]
    for name in chosen:
        data = corpora[name]
        files = data.files
        results.append(measure("asynclint cold, -j 1", data, [*asynclint, "--no-cache", "-j", "1", *files], runs))
        results.append(measure(f"asynclint cold, -j {cores}", data, [*asynclint, "--no-cache", "-j", str(cores), *files], runs))
        warm = [*asynclint, "--cache-dir", str(cache_dir), *files]
        results.append(measure("asynclint warm", data, warm, runs, prepare=warm))
        results.append(
            measure("ruff", data, [tools["ruff"], "check", "--isolated", "--no-cache", "--select", "ASYNC",
                                   "--output-format", "concise", "--exit-zero", *files], runs)
        )
        flake8_runs = options.flake8_lib_runs if name == "Lib/" else runs
        results.append(
            measure("flake8-async", data, [tools["flake8"], "--isolated", "--select", "ASYNC", "--exit-zero", *files], flake8_runs)
        )

    for name in ("Lib/ 10%", "Lib/ 50%") if "Lib/" in chosen else ():
        data = corpora[name]
        results.append(measure("asynclint cold, -j 1", data, [*asynclint, "--no-cache", "-j", "1", *data.files], runs))

    return results, [prefilter_note(tools, corpora["Lib/"])] if "Lib/" in chosen else []


def prefilter_note(tools: dict[str, str], data: Corpus) -> str:
    """Count the files of ``data`` that the trigger-word prefilter keeps away from LibCST."""
    script = (
        "import json, sys, time\n"
        "from asynclint.engine import active_rules\n"
        "from asynclint.rules import ALL_RULES\n"
        "paths = sys.argv[1:]\n"
        "texts = [open(p, 'rb').read().decode('utf-8', 'replace') for p in paths]\n"
        "start = time.process_time()\n"
        "skipped = sum(1 for text in texts if not active_rules(ALL_RULES, text))\n"
        "elapsed = time.process_time() - start\n"
        "print(json.dumps({'skipped': skipped, 'seconds': elapsed}))\n"
    )
    completed = subprocess.run([tools["python"], "-c", script, *data.files], capture_output=True, text=True, check=True)
    result = json.loads(completed.stdout)
    return (
        f"The trigger-word prefilter keeps {result['skipped']} of the {len(data.files)} files of Lib/ away from "
        f"LibCST (they contain none of the rules' trigger words); looking for the words in all "
        f"{len(data.files)} files took {result['seconds'] * 1000:.0f} ms of CPU."
    )


def versions(tools: dict[str, str]) -> dict[str, str]:
    def output(command: list[str]) -> str:
        return subprocess.run(command, capture_output=True, text=True).stdout.strip()

    ruff = output([tools["ruff"], "--version"]).split()[-1]
    flake8 = output([tools["flake8"], "--version"]).split()[0]
    libcst = output([tools["python"], "-c", "from importlib.metadata import version; print(version('libcst'))"])
    asynclint = output([tools["python"], "-m", "asynclint", "--version"]).split()[-1]
    return {
        "asynclint": asynclint,
        "LibCST": libcst,
        "ruff": ruff,
        "flake8": flake8,
        "flake8-async": TOOLS["flake8-async"],
        "aiohttp": CORPUS_PACKAGES["aiohttp"],
        "httpx": CORPUS_PACKAGES["httpx"],
    }


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{model}, {cores} usable cores, {memory} memory, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()} ({platform.python_implementation()})"
    )


def find(results: list[Measurement], tool: str, corpus_name: str) -> Measurement:
    for result in results:
        if result.corpus == corpus_name and result.tool.startswith(tool):
            return result
    raise KeyError((tool, corpus_name))


def render(
    results: list[Measurement], corpora: dict[str, Corpus], tools: dict[str, str], notes: list[str], options: argparse.Namespace
) -> str:
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        SECTION,
        "",
        f"Measured {today} with `.venv/bin/python benchmarks/run.py` on {machine()}.",
        "Versions: " + ", ".join(f"{name} {version}" for name, version in versions(tools).items()) + ".",
        "",
        "Every tool gets the same list of `.py` files. Wall and CPU seconds are medians of "
        f"{options.runs} runs (flake8-async on the whole Lib/: {options.flake8_lib_runs} run). CPU is user + system "
        "time of the tool and its worker processes; peak memory is the largest resident set of any one of those "
        "processes. Findings exclude syntax errors. asynclint runs every rule; ruff and flake8 run their ASYNC rules, "
        "which look for different problems, so the finding counts are not comparable. ruff and flake8 use all "
        "cores by default; their CPU seconds are comparable with asynclint's.",
        "",
        "| corpus | tool | files | lines | wall s | CPU s | lines per CPU-s | peak MB | findings |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        # Every tool runs with --exit-zero, so another exit code means it stopped with an error.
        failed = sorted({code for code in result.exit_codes if code != 0})
        label = result.tool + (f" (stopped with exit code {failed[0]}, partial run)" if failed else "")
        lines.append(
            f"| {result.corpus} | {label} | {result.files} | {result.lines} | {result.wall:.2f} | "
            f"{result.cpu:.2f} | {result.lines_per_cpu_second:,.0f} | {result.peak_mb:.0f} | {result.findings} |"
        )

    if tools.get("left_out"):
        lines += [
            "",
            f"Left out of Lib/ for every tool: {tools['left_out']}, because flake8-async stops the whole flake8 run "
            "with a RecursionError on it (its long implicit string concatenation), and flake8 then prints no finding.",
        ]
    lines += ["", "### Targets", ""]
    try:
        lines += targets(results)
    except (KeyError, StopIteration):
        lines.append("Not all corpora were measured in this run, so the targets are not evaluated.")
    lines += ["", *(f"{note}\n" for note in notes)]
    return "\n".join(lines) + "\n"


def targets(results: list[Measurement]) -> list[str]:
    out = []
    for name in ("asyncio", "aiohttp", "httpx", "Lib/"):
        ours = find(results, "asynclint cold, -j 1", name)
        theirs = find(results, "flake8-async", name)
        if any(code != 0 for code in theirs.exit_codes):
            out.append(f"- Cold, one process, {name}: not measured, because flake8-async stopped with an error.")
            continue
        ratio = ours.lines_per_cpu_second / theirs.lines_per_cpu_second
        verdict = "met" if ratio >= 10 else f"not met, {10 / ratio:.2f}x short"
        out.append(f"- Cold, one process, {name}: {ratio:.1f}x flake8-async's lines per CPU-second (target 10x): {verdict}.")

    single = find(results, "asynclint cold, -j 1", "Lib/")
    multi = next(r for r in results if r.corpus == "Lib/" and r.tool.startswith("asynclint cold, -j ") and r is not single)
    speedup = single.wall / multi.wall
    verdict = "met" if speedup >= 1.7 else f"not met, {1.7 / speedup:.2f}x short"
    out.append(f"- Cold, {multi.tool.split(', ')[1]} on the whole Lib/: {speedup:.2f}x the single-process throughput (target 1.7x): {verdict}.")

    warm = find(results, "asynclint warm", "aiohttp")
    ruff = find(results, "ruff", "aiohttp")
    ratio = warm.wall / ruff.wall
    verdict = "met" if ratio <= 2 else f"not met, {ratio / 2:.2f}x short"
    out.append(f"- Warm on aiohttp: {warm.wall:.2f} s wall, {ratio:.1f}x ruff's cold {ruff.wall:.2f} s (target at most 2x): {verdict}.")

    peak = max(r.peak_mb for r in results if r.corpus == "Lib/" and r.tool.startswith("asynclint"))
    verdict = "met" if peak < 300 else f"not met, {peak - 300:.0f} MB over"
    out.append(f"- Peak memory on the whole Lib/: {peak:.0f} MB (target under 300 MB): {verdict}.")

    rates = [find(results, "asynclint cold, -j 1", name) for name in ("Lib/ 10%", "Lib/ 50%", "Lib/")]
    spread = max(r.lines_per_cpu_second for r in rates) / min(r.lines_per_cpu_second for r in rates)
    listing = ", ".join(f"{r.corpus} {r.lines_per_cpu_second:,.0f}" for r in rates)
    out.append(f"- Linear cost: lines per CPU-second {listing}; the fastest is {spread:.2f}x the slowest.")
    return out


def write_section(path: Path, section: str) -> None:
    """Replace the linter section of ``path``, or append it, keeping every other section."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    lines = text.splitlines(keepends=True)

    start = next((i for i, line in enumerate(lines) if line.rstrip() == SECTION), None)
    if start is None:
        body = text.rstrip("\n") + "\n\n" + section
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        tail = "".join(lines[end:])
        body = "".join(lines[:start]) + section + ("\n" + tail if tail else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".md.tmp")
    temporary.write_text(body, encoding="utf-8")
    os.replace(temporary, path)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
