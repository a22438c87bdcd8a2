"""The trigger-word prefilter: files that no rule can fire on are not parsed by LibCST."""

from __future__ import annotations

import re
from pathlib import Path

import libcst as cst
import pytest

from asynclint import engine
from asynclint.engine import active_rules, lint_text
from asynclint.rules import ALL_RULES, RULES_BY_CODE

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "lint"
EXPECT = re.compile(r"# expect: ([A-Z0-9@, ]+)")

INVALID = [
    pytest.param(rule, example, id=f"{rule.code}-invalid-{index}")
    for rule in ALL_RULES
    for index, example in enumerate(rule.invalid)
]


@pytest.fixture
def no_libcst_parse(monkeypatch):
    """Make any LibCST parse fail the test."""

    def parse_module(*args, **kwargs):
        raise AssertionError("LibCST parsed a file that the prefilter should have skipped")

    monkeypatch.setattr(engine.cst, "parse_module", parse_module)


def test_every_rule_declares_triggers():
    for rule in ALL_RULES:
        assert rule.triggers, f"{rule.code} declares no trigger words"
        assert all(rule.triggers), f"{rule.code} has an empty trigger word, which matches every file"


@pytest.mark.parametrize(("rule", "example"), INVALID)
def test_invalid_example_contains_trigger(rule, example):
    assert any(word in example.source for word in rule.triggers)


def _fixture_expectations():
    for bad in sorted(FIXTURES.glob("*/bad*.py")):
        if bad.name.endswith("fixed.py"):
            continue
        text = bad.read_text(encoding="utf-8")
        codes = {entry.split("@")[0].strip() for match in EXPECT.finditer(text) for entry in match.group(1).split(",")}
        for code in sorted(codes & RULES_BY_CODE.keys()):
            yield pytest.param(bad, code, id=f"{bad.parent.name}/{bad.name}-{code}")


@pytest.mark.parametrize(("path", "code"), list(_fixture_expectations()))
def test_fixture_with_findings_contains_trigger(path, code):
    text = path.read_text(encoding="utf-8")

    assert RULES_BY_CODE[code] in active_rules(ALL_RULES, text)


def test_file_without_triggers_is_not_parsed(no_libcst_parse):
    text = "import time\n\ndef wait():\n    time.sleep(1)\n"

    assert lint_text(text, "plain.py", ALL_RULES) == []


def test_syntax_error_without_triggers_still_reported():
    findings = lint_text("def broken(:\n    pass\n", "broken.py", ALL_RULES)

    assert [d.code for d in findings] == ["AIO001"]
    assert findings[0].start.line == 1


def test_null_byte_without_triggers_still_reported():
    findings = lint_text("x = 1\x00\n", "null.py", ALL_RULES)

    assert [d.code for d in findings] == ["AIO001"]


def test_only_rules_with_present_words_run():
    triggered = {word for rule in ALL_RULES for word in rule.triggers}
    for word in sorted(triggered):
        text = f"{word}\n"
        expected = [rule for rule in ALL_RULES if any(w in text for w in rule.triggers)]

        assert active_rules(ALL_RULES, text) == expected


def test_word_inside_longer_name_counts():
    # "asyncio" contains "async": a file that only imports asyncio still runs
    # the async rules, which is the safe direction.
    text = "import asyncio\n"

    assert active_rules(ALL_RULES, text) == [rule for rule in ALL_RULES if "async" in rule.triggers]


def test_parse_happens_when_a_trigger_is_present(monkeypatch):
    calls = []
    real_parse = cst.parse_module

    def counting_parse(source, *args, **kwargs):
        calls.append(source)
        return real_parse(source, *args, **kwargs)

    monkeypatch.setattr(engine.cst, "parse_module", counting_parse)
    lint_text("async def main():\n    pass\n", "main.py", ALL_RULES)

    assert len(calls) == 1
