"""Linting and fixing files on disk, one file at a time."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Sequence

from .diagnostic import Diagnostic, Position
from .engine import PARSE_ERROR, LintOptions, lint_text
from .fixer import ConcurrentModificationError, fix_text, write_atomically
from .rule import Rule
from .source import SourceDecodeError, SourceText, decode_source


@dataclass(frozen=True)
class FileMode:
    """What to do with the fixes: nothing, write them, or show them as a diff."""

    fix: bool = False
    unsafe: bool = False
    diff: bool = False


@dataclass
class FileReport:
    """The result for one file."""

    path: str
    diagnostics: list[Diagnostic]
    fixed: int = 0
    diff: str = ""
    notes: list[str] = field(default_factory=list)


def process_file(path: str, rules: Sequence[type[Rule]], options: LintOptions, mode: FileMode) -> FileReport:
    """Lint one file, and fix it when ``mode`` asks for it."""
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as error:
        return FileReport(path, [unreadable(path, f"cannot read {path}: {error.strerror or error}")])

    try:
        source = decode_source(data)
    except SourceDecodeError as error:
        return FileReport(path, [unreadable(path, f"cannot decode {path}: {error}")])

    if not (mode.fix or mode.diff):
        return FileReport(path, lint_text(source.text, path, rules, options))
    return _fix_file(path, data, source, rules, options, mode)


def _fix_file(
    path: str, data: bytes, source: SourceText, rules: Sequence[type[Rule]], options: LintOptions, mode: FileMode
) -> FileReport:
    result = fix_text(source.text, path, rules, options, unsafe=mode.unsafe)
    report = FileReport(path, result.diagnostics)
    if result.text == source.text:
        return report

    if mode.diff:
        report.diff = "".join(
            difflib.unified_diff(
                source.text.splitlines(keepends=True),
                result.text.splitlines(keepends=True),
                fromfile=f"a/{path}",
                tofile=f"b/{path}",
            )
        )
        report.fixed = result.applied
        return report

    try:
        write_atomically(path, source.encode(result.text), expected=data)
    except (ConcurrentModificationError, OSError, UnicodeEncodeError) as error:
        # Nothing was written; report the findings of the file as it is.
        report.diagnostics = lint_text(source.text, path, rules, options)
        report.notes.append(f"{path}: fixes not written: {error}")
        return report

    report.fixed = result.applied
    return report


def unreadable(path: str, message: str) -> Diagnostic:
    code, name = PARSE_ERROR
    where = Position(1, 0)
    return Diagnostic(code=code, name=name, message=message, path=path, start=where, end=where)
