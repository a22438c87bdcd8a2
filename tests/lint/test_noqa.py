"""``# noqa`` comments: suppression as flake8 does it, unused comments (AIO002), ``--add-noqa``."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from asynclint.engine import lint_text
from asynclint.fixer import fix_text
from asynclint.noqa import NoqaFilter, add_noqa
from asynclint.rules import ALL_RULES

from .test_cli import run_cli, write


def codes_after_noqa(source: str, report_unused: bool = False) -> list[tuple[int, str]]:
    found = NoqaFilter(report_unused)(source, "x.py", lint_text(source, "x.py", ALL_RULES))
    return [(d.start.line, d.code) for d in found]


def module(body: str) -> str:
    return "import time\nimport subprocess\n\n\nasync def job():\n" + textwrap.indent(textwrap.dedent(body), "    ")


@pytest.mark.parametrize(
    "comment",
    ["# noqa", "# noqa: AIO201", "# noqa:AIO201", "# NOQA: AIO201", "# noqa: AIO201,AIO204", "# noqa: AIO2", "# fine # noqa: AIO201"],
)
def test_comment_suppresses_finding(comment):
    source = module(f"time.sleep(1)  {comment}\n")

    assert codes_after_noqa(source) == []


@pytest.mark.parametrize("comment", ["# noqa: AIO204", "# noqa: AIO3", "# no qa"])
def test_comment_for_other_code_keeps_finding(comment):
    source = module(f"time.sleep(1)  {comment}\n")

    assert codes_after_noqa(source) == [(6, "AIO201")]


def test_two_codes_on_one_line():
    source = module("time.sleep(1); subprocess.run(['ls'])  # noqa: AIO201,AIO204\n")

    assert codes_after_noqa(source) == []


def test_one_of_two_codes_suppressed():
    source = module("time.sleep(1); subprocess.run(['ls'])  # noqa: AIO204\n")

    assert codes_after_noqa(source) == [(6, "AIO201")]


def test_multiline_call_needs_comment_on_start_line():
    on_start = module("time.sleep(  # noqa: AIO201\n    1,\n)\n")
    on_end = module("time.sleep(\n    1,\n)  # noqa: AIO201\n")

    assert codes_after_noqa(on_start) == []
    assert codes_after_noqa(on_end) == [(6, "AIO201")]


def test_multiline_string_comment_after_string():
    source = module('subprocess.run(["echo", """\nmulti\nline"""])  # noqa: AIO204\n')

    assert codes_after_noqa(source) == []


def test_unused_noqa_reported_when_asked():
    source = module("time.sleep(1)  # noqa: AIO201,AIO204\nreturn 1  # noqa\n")

    found = codes_after_noqa(source, report_unused=True)

    assert found == [(6, "AIO002"), (7, "AIO002")]


def test_unused_noqa_message_names_code():
    source = module("time.sleep(1)  # noqa: AIO201,AIO204\n")

    found = NoqaFilter(True)(source, "x.py", lint_text(source, "x.py", ALL_RULES))

    assert [d.message.split(":")[0] for d in found] == ["unused noqa code AIO204"]
    assert found[0].start.column == source.splitlines()[5].index("# noqa")


def test_used_noqa_not_reported():
    source = module("time.sleep(1)  # noqa: AIO201\n")

    assert codes_after_noqa(source, report_unused=True) == []


def test_fix_skips_suppressed_finding():
    source = module("time.sleep(1)  # noqa: AIO201\ntime.sleep(2)\n")

    result = fix_text(source, "x.py", ALL_RULES, suppress=NoqaFilter())

    assert "time.sleep(1)  # noqa: AIO201" in result.text
    assert "await asyncio.sleep(2)" in result.text


def test_add_noqa_appends_and_keeps_comment():
    source = module("time.sleep(1)  # poll slowly\nsubprocess.run(['ls'])  # noqa: AIO201\n")
    found = NoqaFilter()(source, "x.py", lint_text(source, "x.py", ALL_RULES))

    text, count = add_noqa(source, found)

    lines = text.splitlines()
    assert count == 2
    assert lines[5] == "    time.sleep(1)  # poll slowly  # noqa: AIO201"
    assert lines[6] == "    subprocess.run(['ls'])  # noqa: AIO201,AIO204"


def test_add_noqa_multiline_string_goes_after_string():
    source = module('subprocess.run(["echo", """\nmulti\nline"""])\n')
    found = lint_text(source, "x.py", ALL_RULES)

    text, _ = add_noqa(source, found)

    assert text.splitlines()[7] == '    line"""])  # noqa: AIO204'
    assert codes_after_noqa(text) == []


def test_cli_honours_noqa(tmp_path):
    write(tmp_path, "job.py", module("time.sleep(1)  # noqa: AIO201\n"))

    result = run_cli("job.py", cwd=tmp_path)

    assert result.returncode == 0
    assert result.stdout == "No errors found.\n"


def test_cli_extend_select_reports_unused(tmp_path):
    write(tmp_path, "job.py", module("return 1  # noqa: AIO201\n"))

    quiet = run_cli("job.py", cwd=tmp_path)
    loud = run_cli("--extend-select", "AIO002", "job.py", cwd=tmp_path)

    assert quiet.returncode == 0
    assert loud.returncode == 1
    assert "job.py:6:15: AIO002 unused noqa code AIO201" in loud.stdout


def test_cli_add_noqa_makes_run_clean(tmp_path):
    path = write(tmp_path, "job.py", module("time.sleep(1)  # poll\nsubprocess.run(['ls'])\n"))

    added = run_cli("--add-noqa", ".", cwd=tmp_path)
    after = run_cli(".", cwd=tmp_path)

    text = path.read_text(encoding="utf-8")
    assert added.returncode == 0
    assert "Added 2 noqa comments." in added.stderr
    assert "time.sleep(1)  # poll  # noqa: AIO201" in text
    assert "subprocess.run(['ls'])  # noqa: AIO204" in text
    assert after.returncode == 0


def test_cli_add_noqa_rejects_fix(tmp_path):
    result = run_cli("--add-noqa", "--fix", ".", cwd=tmp_path)

    assert result.returncode == 2
    assert "--add-noqa cannot be combined" in result.stderr


def test_flake8_agrees_on_noqa(tmp_path):
    source = module(
        "time.sleep(1)  # noqa: AIO201\n"
        "time.sleep(2)  # noqa: AIO204\n"
        "time.sleep(3)  # noqa\n"
        "time.sleep(  # noqa: AIO2\n    4,\n)\n"
        "time.sleep(\n    5,\n)  # noqa: AIO201\n"
    )
    write(tmp_path, "job.py", source)

    ours = run_cli("--quiet", "--exit-zero", "job.py", cwd=tmp_path)
    theirs = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "AIO", "job.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )

    assert [line.split(" ")[0] for line in ours.stdout.splitlines()] == ["job.py:7:5:", "job.py:12:5:"]
    assert [line.split(" ")[0] for line in theirs.stdout.splitlines()] == ["job.py:7:5:", "job.py:12:5:"]


def test_cli_fix_leaves_suppressed_line(tmp_path):
    path = write(tmp_path, "job.py", module("time.sleep(1)  # noqa: AIO201\ntime.sleep(2)\n"))

    result = run_cli("--fix", "job.py", cwd=tmp_path)

    text = path.read_text(encoding="utf-8")
    assert result.returncode == 0
    assert "    time.sleep(1)  # noqa: AIO201\n" in text
    assert "    await asyncio.sleep(2)\n" in text


def test_add_noqa_extends_comment_in_group():
    source = module("x = 1 + \\\n    2  # noqa: AIO204\ntime.sleep(x); \\\n    subprocess.run(['ls'])  # noqa: AIO204\n")
    found = NoqaFilter()(source, "x.py", lint_text(source, "x.py", ALL_RULES))

    text, count = add_noqa(source, found)

    assert count == 1
    assert "subprocess.run(['ls'])  # noqa: AIO204,AIO201" in text
    assert codes_after_noqa(text) == []
