"""Linting and fixing real files through the command line, as users run it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import libcst as cst

from asynclint.diagnostic import Edit, Fix, FixSafety, Position
from asynclint.fixer import fix_text
from asynclint.rule import Rule

SLEEPY = "import time\n\n\nasync def poll():\n    time.sleep(1)\n"
SLEEPY_FIXED = "import time\nimport asyncio\n\n\nasync def poll():\n    await asyncio.sleep(1)\n"


def run_cli(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asynclint", *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_clean_file_exits_zero(tmp_path):
    (tmp_path / "ok.py").write_text("import asyncio\n\nasync def main():\n    await asyncio.sleep(1)\n")

    completed = run_cli(str(tmp_path))

    assert completed.returncode == 0
    assert "No errors found." in completed.stdout


def test_finding_line_format(tmp_path):
    target = tmp_path / "poll.py"
    target.write_text(SLEEPY)

    completed = run_cli(str(target))

    assert completed.returncode == 1
    assert f"{target}:5:5: AIO201 [*] time.sleep() in async function poll blocks the event loop" in completed.stdout
    assert "Found 1 error (1 fixable with --fix)." in completed.stdout


def test_fix_rewrites_and_keeps_mode(tmp_path):
    target = tmp_path / "poll.py"
    target.write_text(SLEEPY)
    os.chmod(target, 0o640)

    completed = run_cli("--fix", str(target))

    assert completed.returncode == 0, completed.stdout
    assert target.read_text() == SLEEPY_FIXED
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert "1 fixed, 0 remaining" in completed.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["poll.py"], "a temporary file was left behind"


def test_fix_twice_changes_nothing(tmp_path):
    target = tmp_path / "poll.py"
    target.write_text(SLEEPY)
    run_cli("--fix", str(target))
    before = target.stat().st_mtime_ns

    completed = run_cli("--fix", str(target))

    assert completed.returncode == 0
    assert target.read_text() == SLEEPY_FIXED
    assert target.stat().st_mtime_ns == before


def test_fix_leaves_unfixable_findings(tmp_path):
    target = tmp_path / "fetch.py"
    target.write_text("import requests\n\nasync def fetch(url):\n    return requests.get(url)\n")

    completed = run_cli("--fix", str(target))

    assert completed.returncode == 1
    assert "requests.get(url)" in target.read_text()
    assert "1 more fixable with --unsafe-fixes" in completed.stdout


def test_unsafe_fixes_apply(tmp_path):
    target = tmp_path / "fetch.py"
    target.write_text("import requests\n\nasync def fetch(url):\n    return requests.get(url)\n")

    completed = run_cli("--fix", "--unsafe-fixes", str(target))

    assert completed.returncode == 0
    assert "return await asyncio.to_thread(requests.get, url)" in target.read_text()


def test_diff_writes_nothing(tmp_path):
    target = tmp_path / "poll.py"
    target.write_text(SLEEPY)

    completed = run_cli("--diff", str(target))

    assert completed.returncode == 1
    assert target.read_text() == SLEEPY
    assert "-    time.sleep(1)" in completed.stdout
    assert "+    await asyncio.sleep(1)" in completed.stdout


def test_syntax_error_reported_and_run_goes_on(tmp_path):
    (tmp_path / "broken.py").write_text("async def f(:\n    pass\n")
    (tmp_path / "poll.py").write_text(SLEEPY)

    completed = run_cli(str(tmp_path))

    assert completed.returncode == 1
    assert "broken.py:1:13: AIO001 cannot parse" in completed.stdout
    assert "poll.py:5:5: AIO201" in completed.stdout


def test_missing_path_is_usage_error(tmp_path):
    completed = run_cli(str(tmp_path / "nope.py"))

    assert completed.returncode == 2
    assert "nope.py: no such file or folder" in completed.stderr


def test_unknown_select_code_is_usage_error(tmp_path):
    completed = run_cli("--select", "AIO999", str(tmp_path))

    assert completed.returncode == 2
    assert "AIO999" in completed.stderr


def test_select_and_ignore_prefixes(tmp_path):
    target = tmp_path / "mixed.py"
    target.write_text("import time, requests\n\nasync def f(u):\n    time.sleep(1)\n    requests.get(u)\n")

    only_http = run_cli("--select", "AIO202", str(target))
    no_sleep = run_cli("--ignore", "AIO201", str(target))
    family = run_cli("--select", "AIO2", str(target))

    assert "AIO202" in only_http.stdout
    assert "AIO201" not in only_http.stdout
    assert "AIO202" in no_sleep.stdout
    assert "AIO201" not in no_sleep.stdout
    assert "AIO201" in family.stdout
    assert "AIO202" in family.stdout


def test_check_subcommand_is_the_default(tmp_path):
    (tmp_path / "poll.py").write_text(SLEEPY)

    completed = run_cli("check", str(tmp_path))

    assert completed.returncode == 1
    assert "AIO201" in completed.stdout


def test_latin1_cookie_round_trip(tmp_path):
    target = tmp_path / "legacy.py"
    source = "# -*- coding: latin-1 -*-\nimport time\n\nasync def caf\u00e9():\n    time.sleep(1)  # d\u00e9j\u00e0\n"
    target.write_bytes(source.encode("latin-1"))

    completed = run_cli("--fix", str(target))

    assert completed.returncode == 0, completed.stdout
    data = target.read_bytes()
    assert data.decode("latin-1").endswith("    await asyncio.sleep(1)  # d\u00e9j\u00e0\n")
    assert b"\xe9" in data  # still Latin-1, not UTF-8


def test_bom_crlf_and_missing_newline_kept(tmp_path):
    target = tmp_path / "windows.py"
    target.write_bytes(b"\xef\xbb\xbfimport time\r\n\r\nasync def poll():\r\n\ttime.sleep(1)")

    completed = run_cli("--fix", str(target))

    assert completed.returncode == 0, completed.stdout
    assert target.read_bytes() == b"\xef\xbb\xbfimport time\r\nimport asyncio\r\n\r\nasync def poll():\r\n\tawait asyncio.sleep(1)"


def test_file_without_fixes_is_not_rewritten(tmp_path):
    target = tmp_path / "clean.py"
    original = b"import asyncio\r\nasync def f():\r\n    await asyncio.sleep(0)"
    target.write_bytes(original)
    before = target.stat().st_mtime_ns

    completed = run_cli("--fix", "--unsafe-fixes", str(target))

    assert completed.returncode == 0
    assert target.read_bytes() == original
    assert target.stat().st_mtime_ns == before


def test_invalid_utf8_reported(tmp_path):
    (tmp_path / "bad.py").write_bytes(b"x = '\xff'\nasync def f():\n    pass\n")

    completed = run_cli(str(tmp_path))

    assert completed.returncode == 1
    assert "AIO001 cannot decode" in completed.stdout


def test_discovery_skips_environments_and_excludes(tmp_path):
    for folder in (".venv/lib", "env/lib", "__pycache__", "build", "src/generated"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "poll.py").write_text(SLEEPY)
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "src" / "poll.py").write_text(SLEEPY)

    completed = run_cli("--exclude", "generated", str(tmp_path))

    assert completed.stdout.count("AIO201") == 1
    assert os.path.join("src", "poll.py") + ":5:5" in completed.stdout


class _BreakingFix(Rule):
    """Offers a fix whose output does not parse, to exercise the verifier."""

    code = "AIO999"
    name = "breaking-fix"
    summary = "test only"
    fix_safety = FixSafety.SAFE

    def visit_Call(self, node: cst.Call) -> None:
        def build(builder):
            return Fix("break", FixSafety.SAFE, (Edit(builder.start(node), builder.start(node), "def ("),))

        self.report(node, "call", build)


def test_fix_that_breaks_code_is_rejected():
    source = "async def f():\n    g()\n"

    result = fix_text(source, "x.py", [_BreakingFix])

    assert result.text == source
    assert result.rejected is not None and "does not parse" in result.rejected
    assert "the fix was not applied" in result.diagnostics[0].message
    assert result.diagnostics[0].start == Position(2, 4)


def test_fix_keeps_hard_links(tmp_path):
    target = tmp_path / "poll.py"
    target.write_text(SLEEPY)
    other = tmp_path / "linked.py"
    os.link(target, other)

    completed = run_cli("--fix", str(target))

    assert completed.returncode == 0, completed.stdout
    assert other.read_text() == SLEEPY_FIXED
    assert os.path.samefile(target, other)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".asynclint_cache")) == ["linked.py", "poll.py"]


def test_diff_summary_counts_fixes(tmp_path):
    target = tmp_path / "poll.py"
    target.write_text(SLEEPY)

    completed = run_cli("--diff", "--no-cache", str(target))

    assert "The diff above would fix 1 error; 0 would remain." in completed.stdout
    assert "No errors found." not in completed.stdout


def test_non_utf8_pyproject_is_config_error(tmp_path):
    (tmp_path / "pyproject.toml").write_bytes(b"\xff\xfe[tool.asynclint]\n")
    (tmp_path / "a.py").write_text("x = 1\n")

    completed = run_cli("a.py", cwd=tmp_path)

    assert completed.returncode == 2
    assert "pyproject.toml: invalid TOML: not UTF-8" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_sarif_with_non_utf8_file_name(tmp_path):
    (tmp_path / os.fsdecode(b"bad\xff.py")).write_text(SLEEPY)

    completed = run_cli("--format", "sarif", "--no-cache", ".", cwd=tmp_path)

    assert completed.returncode == 1, completed.stderr
    assert '"uri": "bad%FF.py"' in completed.stdout
