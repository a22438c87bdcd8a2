"""The annotated fixture files under fixtures/lint/<CODE>/.

bad.py marks each expected finding with a trailing ``# expect: CODE@COLUMN``
comment on the line where the finding starts (several separated by commas;
columns are 1-based). bad.fixed.py is the expected output of ``--fix`` and
bad.unsafe-fixed.py that of ``--fix --unsafe-fixes``; a missing one means
that mode changes nothing (or, for the unsafe one, nothing beyond the safe
fixes). good.py must produce no finding.
"""

from __future__ import annotations

import re
from pathlib import Path

import libcst as cst
import pytest

from asynclint.engine import lint_text
from asynclint.fixer import fix_text
from asynclint.rules import ALL_RULES

from .sync_twin import sync_twin

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "lint"
FOLDERS = sorted(path for path in FIXTURES.iterdir() if path.is_dir())
_EXPECT = re.compile(r"#\s*expect:\s*(?P<items>[A-Z0-9@,\s]+)$")


def expected_findings(source: str) -> list[tuple[int, str, int]]:
    expected = []
    for number, line in enumerate(source.splitlines(), start=1):
        match = _EXPECT.search(line)
        if not match:
            continue
        for item in match.group("items").replace(",", " ").split():
            code, column = item.split("@")
            expected.append((number, code, int(column)))
    return sorted(expected)


def read(folder: Path, name: str) -> str | None:
    path = folder / name
    return path.read_text(encoding="utf-8") if path.exists() else None


def assert_sound(text: str, path: str, unsafe: bool) -> None:
    cst.parse_module(text)
    compile(text, path, "exec")
    assert fix_text(text, path, ALL_RULES, unsafe=unsafe).text == text, "fixing again changed the output"


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda folder: folder.name)
def test_bad_fixture_findings(folder):
    source = read(folder, "bad.py")
    expected = expected_findings(source)

    found = sorted((d.start.line, d.code, d.start.column + 1) for d in lint_text(source, str(folder / "bad.py"), ALL_RULES))

    assert expected, "bad.py marks no expected finding"
    assert found == expected


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda folder: folder.name)
def test_bad_fixture_safe_fix(folder):
    source = read(folder, "bad.py")
    expected = read(folder, "bad.fixed.py")

    result = fix_text(source, "bad.py", ALL_RULES, unsafe=False)

    assert result.rejected is None
    assert result.text == (source if expected is None else expected)
    assert_sound(result.text, "bad.fixed.py", unsafe=False)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda folder: folder.name)
def test_bad_fixture_unsafe_fix(folder):
    source = read(folder, "bad.py")
    expected = read(folder, "bad.unsafe-fixed.py") or read(folder, "bad.fixed.py") or source

    result = fix_text(source, "bad.py", ALL_RULES, unsafe=True)

    assert result.rejected is None
    assert result.text == expected
    assert_sound(result.text, "bad.unsafe-fixed.py", unsafe=True)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda folder: folder.name)
def test_good_fixture_is_clean(folder):
    source = read(folder, "good.py")

    assert source is not None, "each fixture folder needs a good.py"
    assert lint_text(source, "good.py", ALL_RULES) == []


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda folder: folder.name)
def test_sync_twin_is_clean(folder):
    twin = sync_twin(read(folder, "bad.py"))

    assert lint_text(twin, "twin.py", ALL_RULES) == []
