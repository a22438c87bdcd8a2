"""Every rule's own good and bad examples, and the fixes the bad ones expect."""

from __future__ import annotations

import pytest
import libcst as cst

from asynclint.engine import lint_text
from asynclint.fixer import fix_text
from asynclint.rules import ALL_RULES

VALID = [pytest.param(rule, source, id=f"{rule.code}-valid-{index}") for rule in ALL_RULES for index, source in enumerate(rule.valid)]
INVALID = [pytest.param(rule, example, id=f"{rule.code}-invalid-{index}") for rule in ALL_RULES for index, example in enumerate(rule.invalid)]


@pytest.mark.parametrize(("rule", "source"), VALID)
def test_valid_example_has_no_finding(rule, source):
    assert lint_text(source, "example.py", [rule]) == []


@pytest.mark.parametrize(("rule", "example"), INVALID)
def test_invalid_example_has_one_finding(rule, example):
    findings = lint_text(example.source, "example.py", [rule])

    assert [(d.code, d.start.line, d.start.column + 1) for d in findings] == [(rule.code, example.line, example.column)]


@pytest.mark.parametrize(("rule", "example"), INVALID)
def test_invalid_example_fix(rule, example):
    result = fix_text(example.source, "example.py", [rule], unsafe=True)

    if example.fixed is None:
        assert result.text == example.source
        return
    assert result.text == example.fixed
    assert result.rejected is None
    cst.parse_module(result.text)
    compile(result.text, "example.py", "exec")
    again = fix_text(result.text, "example.py", [rule], unsafe=True)
    assert again.text == result.text


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_rule_metadata(rule):
    assert rule.code.startswith("AIO")
    assert len(rule.code) == 6
    assert rule.name == rule.name.lower()
    assert " " not in rule.name
    assert rule.summary
    assert rule.valid, "each rule needs at least one valid example"
    assert rule.invalid, "each rule needs at least one invalid example"


def test_codes_and_names_unique():
    codes = [rule.code for rule in ALL_RULES]
    names = [rule.name for rule in ALL_RULES]

    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
