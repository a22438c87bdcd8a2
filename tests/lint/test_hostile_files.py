"""Hostile files and file systems: asynclint reports them clearly and never loses a byte.

Most cases run the real command in a subprocess, so that a crash of the
process (a stack overflow in a native parser) fails the test instead of
killing pytest.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import threading
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import libcst as cst
import pytest

from asynclint import cli
from asynclint.diagnostic import Fix, FixSafety
from asynclint.engine import LintOptions, lint_text
from asynclint.fixer import fix_text
from asynclint.rule import Rule
from asynclint.rules import ALL_RULES
from asynclint.rules.blocking import BlockingSleep
from asynclint.runner import FileMode, process_file

SLEEPY = "import asyncio\nimport time\n\n\nasync def poll():\n    time.sleep(1)\n"
SLEEPY_FIXED = "import asyncio\nimport time\n\n\nasync def poll():\n    await asyncio.sleep(1)\n"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def asynclint(*arguments: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asynclint", *arguments],
        cwd=cwd, capture_output=True, text=True, timeout=timeout,
    )


def findings(done: subprocess.CompletedProcess[str]) -> list[dict]:
    return json.loads(done.stdout)


def codes(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [finding["code"] for finding in findings(done)]


# -- odd contents --------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b"# only a comment", b"# one\n# two\n#!/usr/bin/env python\n", b"\n\n\n", b"\xef\xbb\xbf"],
    ids=["empty", "comment-without-newline", "comments", "blank-lines", "bom-only"],
)
def test_files_without_code_are_clean_and_untouched(tmp_path, data):
    path = tmp_path / "nothing.py"
    path.write_bytes(data)

    done = asynclint("--fix", "--unsafe-fixes", "--no-cache", "--format", "json", "nothing.py", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert findings(done) == []
    assert path.read_bytes() == data


def test_ten_megabyte_module_is_linted_and_fixed(tmp_path):
    # Long lines keep LibCST's work (and the test) short while the file is
    # 10 MB; a finding at the very end checks line numbers across the file.
    line = "DATA_{0} = '" + "x" * 1000 + "'  # {0}\n"
    chunks = ["import asyncio\nimport time\n"]
    chunks.extend(line.format(number) for number in range(10_300))
    chunks.append("\n\nasync def poll():\n    time.sleep(1)\n")
    data = "".join(chunks).encode("utf-8")
    assert len(data) > 10_000_000
    path = tmp_path / "big.py"
    path.write_bytes(data)
    last_line = data.count(b"\n")

    checked = asynclint("--no-cache", "--format", "json", "big.py", cwd=tmp_path, timeout=300)
    fixed = asynclint("--fix", "--no-cache", "--format", "json", "big.py", cwd=tmp_path, timeout=300)

    assert checked.returncode == 1, checked.stderr
    assert [(f["code"], f["line"]) for f in findings(checked)] == [("AIO201", last_line)]
    assert fixed.returncode == 0, fixed.stderr
    assert path.read_bytes() == data.replace(b"    time.sleep(1)\n", b"    await asyncio.sleep(1)\n")


# Each form nests far beyond what CPython's parser accepts. LibCST's native
# parser used to overflow the C stack on them and kill the process (exit -11).
DEEP_FORMS = {
    "parentheses": lambda n: "x = " + "(" * n + "1" + ")" * n,
    "subscripts": lambda n: "x = a" + "[0]" * n,
    "unary-minus": lambda n: "x = " + "-" * n + "1",
    "lambdas": lambda n: "x = " + "lambda: " * n + "1",
    "calls": lambda n: "x = f" + "()" * n,
    "additions": lambda n: "x = " + "+".join(["1"] * n),
    "indentation": lambda n: "".join(" " * i + "if x:\n" for i in range(n)) + " " * n + "pass\n",
}


# Indentation grows the file quadratically, so it stops at 5,000 levels.
DEEP_CASES = [(form, depth) for form in sorted(DEEP_FORMS) for depth in (5_000, 100_000)]
DEEP_CASES.remove(("indentation", 100_000))


@pytest.mark.parametrize(("form", "depth"), DEEP_CASES)
def test_deep_nesting_is_aio001_not_a_crash(tmp_path, form, depth):
    source = "import time\nasync def poll():\n    time.sleep(1)\n" + DEEP_FORMS[form](depth) + "\n"
    (tmp_path / "deep.py").write_text(source, encoding="utf-8")

    done = asynclint("--fix", "--no-cache", "--format", "json", "deep.py", cwd=tmp_path)

    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert codes(done) == ["AIO001"]
    assert "nested too deeply" in findings(done)[0]["message"]
    assert (tmp_path / "deep.py").read_text(encoding="utf-8") == source


def test_nesting_python_accepts_is_still_linted():
    # 1,000 unary operators is within CPython's limit (about 2,990 at the top
    # of the stack, less inside pytest), so the rules must run.
    source = "import time\nasync def poll():\n    time.sleep(1)\n    x = " + "-" * 1_000 + "1\n"

    assert [d.code for d in lint_text(source, "deep.py", ALL_RULES)] == ["AIO201"]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("invalid_utf8.py", b"x = '\xff\xfe'\nasync def f():\n    pass\n", "cannot decode"),
        ("null_byte.py", b"import time\nasync def f():\n    time.sleep(1)\x00\n", "null byte"),
        ("python2.py", b"print 'hello'\nexec 'x = 1'\nasync = 1\n", "cannot parse"),
        ("wrong_cookie.py", b"# -*- coding: no-such-codec -*-\nx = 1\n", "cannot decode"),
        ("utf16.py", "import time\nasync def f():\n    time.sleep(1)\n".encode("utf-16"), "cannot"),
    ],
)
def test_unparsable_files_are_aio001_and_untouched(tmp_path, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)

    done = asynclint("--fix", "--unsafe-fixes", "--no-cache", "--format", "json", name, cwd=tmp_path)

    assert done.returncode == 1, done.stderr
    assert codes(done) == ["AIO001"]
    assert reason in findings(done)[0]["message"]
    assert path.read_bytes() == data


def test_latin1_coding_cookie_is_written_back_in_latin1(tmp_path):
    source = "# -*- coding: latin-1 -*-\nimport asyncio\nimport time\n\n\nasync def caf\u00e9():\n    time.sleep(1)  # d\u00e9j\u00e0 vu\n"
    path = tmp_path / "latin.py"
    path.write_bytes(source.encode("latin-1"))

    done = asynclint("--fix", "--no-cache", "--format", "json", "latin.py", cwd=tmp_path)
    data = path.read_bytes()

    assert done.returncode == 0, done.stderr
    assert data == source.replace("time.sleep(1)", "await asyncio.sleep(1)").encode("latin-1")
    assert b"caf\xe9" in data


def test_fix_keeps_crlf_bom_and_no_final_newline(tmp_path):
    source = SLEEPY.replace("\n", "\r\n").rstrip("\r\n")
    path = tmp_path / "windows.py"
    path.write_bytes(b"\xef\xbb\xbf" + source.encode("utf-8"))

    done = asynclint("--fix", "--no-cache", "--format", "json", "windows.py", cwd=tmp_path)
    expected = SLEEPY_FIXED.replace("\n", "\r\n").rstrip("\r\n")

    assert done.returncode == 0, done.stderr
    assert path.read_bytes() == b"\xef\xbb\xbf" + expected.encode("utf-8")


# -- odd file systems ----------------------------------------------------------


def test_symbolic_link_loops_end_with_a_diagnostic(tmp_path):
    (tmp_path / "good.py").write_text(SLEEPY, encoding="utf-8")
    os.symlink("loop_b.py", tmp_path / "loop_a.py")
    os.symlink("loop_a.py", tmp_path / "loop_b.py")
    os.symlink("itself.py", tmp_path / "itself.py")
    (tmp_path / "sub").mkdir()
    os.symlink("..", tmp_path / "sub" / "parent")
    os.symlink(tmp_path, tmp_path / "sub" / "root")

    done = asynclint("--no-cache", "--format", "json", ".", cwd=tmp_path, timeout=60)
    by_path = {finding["path"]: finding["code"] for finding in findings(done)}

    assert done.returncode == 1, done.stderr
    assert by_path["good.py"] == "AIO201"
    assert by_path["loop_a.py"] == "AIO001"
    assert by_path["itself.py"] == "AIO001"
    assert not any("parent" in path or "root" in path for path in by_path)


def test_fifo_and_device_named_py_do_not_hang(tmp_path):
    """Root ignores permission bits, so the unreadable paths here are ones no
    one can read as source: a FIFO (reading it blocks until a writer comes) and
    a link to /dev/zero (reading it never ends)."""
    (tmp_path / "good.py").write_text(SLEEPY, encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.py")
    os.symlink("/dev/zero", tmp_path / "zero.py")

    in_folder = asynclint("--no-cache", "--format", "json", ".", cwd=tmp_path, timeout=60)
    named = asynclint("--no-cache", "--format", "json", "pipe.py", cwd=tmp_path, timeout=60)
    by_path = {finding["path"]: finding for finding in findings(in_folder)}

    assert in_folder.returncode == 1, in_folder.stderr
    assert by_path["good.py"]["code"] == "AIO201"
    assert by_path["pipe.py"]["code"] == "AIO001"
    assert "not a regular file" in by_path["pipe.py"]["message"]
    assert by_path["zero.py"]["code"] == "AIO001"
    assert codes(named) == ["AIO001"]


def test_folder_in_place_of_file_is_aio001(tmp_path):
    # The error path of an unreadable file, reachable as root: the runner is
    # handed a path that is now a folder.
    folder = tmp_path / "was_a_file.py"
    folder.mkdir()

    report = process_file(str(folder), ALL_RULES, LintOptions(), FileMode(fix=True))

    assert [d.code for d in report.diagnostics] == ["AIO001"]
    assert "cannot read" in report.diagnostics[0].message


@pytest.mark.skipif(IS_ROOT, reason="root reads files whatever their permission bits; the FIFO and folder tests cover the error path")
def test_permission_denied_is_aio001(tmp_path):
    (tmp_path / "secret.py").write_text(SLEEPY, encoding="utf-8")
    (tmp_path / "closed").mkdir()
    (tmp_path / "closed" / "hidden.py").write_text(SLEEPY, encoding="utf-8")
    os.chmod(tmp_path / "secret.py", 0)
    os.chmod(tmp_path / "closed", 0)
    try:
        done = asynclint("--fix", "--no-cache", "--format", "json", ".", cwd=tmp_path)
    finally:
        os.chmod(tmp_path / "closed", stat.S_IRWXU)
        os.chmod(tmp_path / "secret.py", stat.S_IRUSR | stat.S_IWUSR)
    by_path = {finding["path"]: finding for finding in findings(done)}

    assert done.returncode == 1, done.stderr
    assert by_path["secret.py"]["code"] == "AIO001"
    assert "closed" in by_path
    assert (tmp_path / "secret.py").read_text(encoding="utf-8") == SLEEPY


def test_file_deleted_between_discovery_and_reading(tmp_path, monkeypatch):
    (tmp_path / "kept.py").write_text(SLEEPY, encoding="utf-8")
    (tmp_path / "gone.py").write_text(SLEEPY, encoding="utf-8")
    real_collect = cli.collect

    def collect_then_delete(*arguments, **keywords):  # type: ignore[no-untyped-def]
        found = real_collect(*arguments, **keywords)
        (tmp_path / "gone.py").unlink()
        return found

    monkeypatch.setattr(cli, "collect", collect_then_delete)
    monkeypatch.chdir(tmp_path)
    output = io.StringIO()
    with redirect_stdout(output), redirect_stderr(io.StringIO()):
        exit_code = cli.main(["--fix", "--no-cache", "-j", "1", "--format", "json", "."])
    by_path = {finding["path"]: finding for finding in json.loads(output.getvalue())}

    assert exit_code == 1
    assert by_path["gone.py"]["code"] == "AIO001"
    assert "cannot read" in by_path["gone.py"]["message"]
    assert "kept.py" not in by_path
    assert (tmp_path / "kept.py").read_text(encoding="utf-8") == SLEEPY_FIXED
    assert not (tmp_path / "gone.py").exists()


def test_paths_with_spaces_and_non_ascii_names(tmp_path):
    folder = tmp_path / "my project" / "d\u00e9j\u00e0 vu"
    folder.mkdir(parents=True)
    path = folder / "s\u00fc\u00df \u540d\u524d.py"
    path.write_text(SLEEPY, encoding="utf-8")

    checked = asynclint("--no-cache", "--format", "json", "my project", cwd=tmp_path)
    fixed = asynclint("--fix", "--no-cache", "--format", "json", "my project", cwd=tmp_path)

    assert checked.returncode == 1, checked.stderr
    assert [f["path"] for f in findings(checked)] == [os.path.join("my project", "d\u00e9j\u00e0 vu", path.name)]
    assert fixed.returncode == 0, fixed.stderr
    assert path.read_text(encoding="utf-8") == SLEEPY_FIXED


def test_two_fix_processes_on_one_tree(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    variants = [SLEEPY.replace("poll", f"poll_{number}") + "\n" * (number % 3) for number in range(60)]
    for number, source in enumerate(variants):
        (tree / f"module_{number:02}.py").write_text(source, encoding="utf-8")
    expected = [fix_text(source, "x.py", ALL_RULES).text for source in variants]

    command = [sys.executable, "-m", "asynclint", "--fix", "--format", "json", "tree"]
    first = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outputs = [process.communicate(timeout=300) for process in (first, second)]

    assert first.returncode in (0, 1), outputs[0][1]
    assert second.returncode in (0, 1), outputs[1][1]
    for (stdout, stderr) in outputs:
        # A file the other process fixed first is reported as changed, never half-done.
        for line in stderr.splitlines():
            assert "changed while it was being fixed" in line or "fixes not written" in line or not line.strip(), line
    for number, source in enumerate(expected):
        assert (tree / f"module_{number:02}.py").read_text(encoding="utf-8") == source, number
    assert sorted(p.name for p in tree.iterdir() if not p.name.startswith("module_")) == []
    assert lint_text(expected[0], "x.py", ALL_RULES) == []


# -- a broken rule -------------------------------------------------------------


class BrokenOnSomeFiles(Rule):
    code = "AIO999"
    name = "broken-on-some-files"
    summary = "a rule that raises on files named broken*.py"
    triggers = ("async",)

    def visit_Call(self, node: cst.Call) -> None:
        if os.path.basename(self.context.path).startswith("broken"):
            raise RuntimeError("deliberately broken")


class BrokenFix(Rule):
    code = "AIO998"
    name = "broken-fix"
    summary = "a rule whose fix raises"
    fix_safety = FixSafety.SAFE

    def visit_Await(self, node: cst.Await) -> None:
        def build(builder) -> Fix:  # type: ignore[no-untyped-def]
            raise ValueError("no fix today")

        self.report(node, "an await", build)


def test_crashing_rule_is_aio003_others_run():
    diagnostics = lint_text(SLEEPY, "broken_module.py", [BrokenOnSomeFiles, BlockingSleep])
    by_code = {d.code: d for d in diagnostics}

    assert sorted(by_code) == ["AIO003", "AIO201"]
    assert "AIO999" in by_code["AIO003"].message
    assert "broken-on-some-files" in by_code["AIO003"].message
    assert "broken_module.py" in by_code["AIO003"].message
    assert "deliberately broken" in by_code["AIO003"].message


def test_crashing_rule_spares_other_files(tmp_path):
    (tmp_path / "broken_one.py").write_text(SLEEPY, encoding="utf-8")
    (tmp_path / "healthy.py").write_text(SLEEPY, encoding="utf-8")
    rules = [BrokenOnSomeFiles, BlockingSleep]

    broken = process_file(str(tmp_path / "broken_one.py"), rules, LintOptions(), FileMode(fix=True))
    healthy = process_file(str(tmp_path / "healthy.py"), rules, LintOptions(), FileMode(fix=True))

    assert "AIO003" in [d.code for d in broken.diagnostics]
    assert [d.code for d in healthy.diagnostics] == []
    assert (tmp_path / "healthy.py").read_text(encoding="utf-8") == SLEEPY_FIXED


def test_crashing_fix_is_aio003_finding_stays():
    source = "async def f(x):\n    await x\n"
    diagnostics = lint_text(source, "module.py", [BrokenFix])
    by_code = {d.code: d for d in diagnostics}

    assert sorted(by_code) == ["AIO003", "AIO998"]
    assert "AIO998" in by_code["AIO003"].message
    assert "module.py" in by_code["AIO003"].message
    assert by_code["AIO998"].fix is None
    assert fix_text(source, "module.py", [BrokenFix]).text == source


def test_crashing_rule_in_worker_thread():
    # Rules run in the main thread and in worker threads of a pool alike.
    results: list[list[str]] = []
    worker = threading.Thread(
        target=lambda: results.append([d.code for d in lint_text(SLEEPY, "broken.py", [BrokenOnSomeFiles, BlockingSleep])])
    )
    worker.start()
    worker.join(timeout=60)

    assert results == [["AIO003", "AIO201"]]
