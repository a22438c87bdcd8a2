"""Findings and the fixes attached to them.

Both are frozen dataclasses of plain values, so worker processes can pickle
them and the result cache can store them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class FixSafety(str, enum.Enum):
    """Whether a fix may be applied without the user asking for unsafe fixes.

    Safe means the program behaves the same afterwards (or stops crashing) and
    no comment is lost. Everything else is unsafe and needs ``--unsafe-fixes``.
    """

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True, order=True)
class Position:
    """A place in a source file: 1-based line, 0-based column in code points."""

    line: int
    column: int


@dataclass(frozen=True)
class Edit:
    """Replacement of the text between two positions (end exclusive)."""

    start: Position
    end: Position
    content: str


@dataclass(frozen=True)
class Fix:
    """A rewrite that resolves one finding; all of its edits apply together."""

    title: str
    safety: FixSafety
    edits: tuple[Edit, ...]


def is_applicable(fix: Fix | None, unsafe: bool) -> bool:
    """Tell whether ``fix`` exists and may be applied, with or without ``--unsafe-fixes``."""
    return fix is not None and (fix.safety is FixSafety.SAFE or unsafe)


@dataclass(frozen=True)
class Diagnostic:
    """One finding of one rule in one file."""

    code: str
    name: str
    message: str
    path: str
    start: Position
    end: Position
    fix: Fix | None = field(default=None, compare=False)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.start.line, self.start.column, self.code)

    def to_json(self) -> dict[str, object]:
        """Return the finding as the plain dict that ``--format json`` prints."""
        fix = None
        if self.fix is not None:
            fix = {"title": self.fix.title, "safety": self.fix.safety.value}

        return {
            "path": self.path,
            "line": self.start.line,
            "column": self.start.column + 1,
            "end_line": self.end.line,
            "end_column": self.end.column + 1,
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "fix": fix,
        }
