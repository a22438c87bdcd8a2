"""The rule registry, docs/rules/, fixtures/lint/ and the README's rule table name the same codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from asynclint.rules import ALL_RULES
from asynclint.selection import ENGINE_CODES

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "rules"
FIXTURES = ROOT / "fixtures" / "lint"
README = ROOT / "README.md"

RULE_CODES = {rule.code for rule in ALL_RULES}
_CODE = re.compile(r"\bAIO\d{3}\b")


def readme_table_codes(text: str) -> set[str]:
    """Return the codes in the first cell of Markdown table rows.

    Any table layout is accepted: the code may be plain, in backticks or a link.
    """
    codes = set()
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("|"):
            continue
        cells = stripped.strip("|").split("|")
        match = _CODE.search(cells[0])
        if match:
            codes.add(match.group(0))
    return codes


def test_codes_and_names_unique():
    codes = [rule.code for rule in ALL_RULES]
    names = [rule.name for rule in ALL_RULES]

    assert len(codes) == len(set(codes))
    assert len(names) == len(set(names))
    assert not set(codes) & set(ENGINE_CODES)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_rule_metadata_shape(rule):
    assert re.fullmatch(r"AIO[1-9]\d{2}", rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert rule.summary.strip()


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_rule_has_doc_page(rule):
    page = DOCS / f"{rule.code}.md"

    assert page.is_file(), f"docs/rules/{rule.code}.md is missing"
    text = page.read_text(encoding="utf-8")
    assert rule.code in text.splitlines()[0], "the page title names the code"
    assert rule.name in text


def test_doc_pages_have_rules():
    pages = {page.stem for page in DOCS.glob("*.md")} if DOCS.is_dir() else set()

    assert pages - RULE_CODES - set(ENGINE_CODES) == set()


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_rule_has_fixtures(rule):
    folder = FIXTURES / rule.code

    assert (folder / "bad.py").is_file(), f"fixtures/lint/{rule.code}/bad.py is missing"
    assert (folder / "good.py").is_file(), f"fixtures/lint/{rule.code}/good.py is missing"


def test_fixture_folders_have_rules():
    folders = {path.name for path in FIXTURES.iterdir() if path.is_dir()}

    assert folders - RULE_CODES == set()


def test_readme_table_lists_every_rule():
    assert README.is_file(), "README.md is missing"
    codes = readme_table_codes(README.read_text(encoding="utf-8"))

    assert codes - set(ENGINE_CODES) == RULE_CODES


def test_readme_table_parser_tolerates_layouts():
    text = "\n".join(
        [
            "| Code | Name |",
            "|---|---|",
            "| AIO101 | nested-event-loop |",
            "| `AIO201` | blocking-sleep |",
            "|[AIO301](docs/rules/AIO301.md)|x|",
            "| text | mentions AIO999 in a later cell |",
            "AIO555 outside a table",
        ]
    )

    assert readme_table_codes(text) == {"AIO101", "AIO201", "AIO301"}
