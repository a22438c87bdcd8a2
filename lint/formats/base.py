"""The counts and output switches that every writer receives besides the findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# The rule pages live in docs/rules/ of the source tree; an installed wheel
# does not carry them, and then rule_page() returns None.
DOCS_RULES = Path(__file__).resolve().parents[2] / "docs" / "rules"


@dataclass(frozen=True)
class Summary:
    """Counts for the closing line of the text formats."""

    remaining: int
    fixed: int
    fixable: int
    unsafe_fixable: int
    fix_mode: bool
    unsafe: bool
    diff_mode: bool = False


@dataclass(frozen=True)
class Output:
    """How to print: the switches of the command line that shape the output."""

    unsafe: bool = False
    colour: bool = False
    quiet: bool = False
    show_fixes: bool = False
    # (path, number of fixes applied) for each file that --fix changed.
    fixed_files: tuple[tuple[str, int], ...] = field(default=())


def rule_page(code: str) -> Path | None:
    """Return the documentation page of a code, or None when it is not available."""
    page = DOCS_RULES / f"{code}.md"
    return page if page.is_file() else None


def plural(count: int, noun: str) -> str:
    if count == 1:
        return f"{count} {noun}"
    suffix = "es" if noun.endswith(("s", "x", "ch", "sh")) else "s"
    return f"{count} {noun}{suffix}"
