"""Printing findings: one function per ``--format``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable, TextIO

from .diagnostic import Diagnostic
from .fixer import is_applicable


@dataclass(frozen=True)
class Summary:
    """Counts for the closing line of the text format."""

    remaining: int
    fixed: int
    fixable: int
    unsafe_fixable: int
    fix_mode: bool
    unsafe: bool


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def write_text(diagnostics: list[Diagnostic], summary: Summary, stream: TextIO, unsafe: bool) -> None:
    for diagnostic in diagnostics:
        marker = " [*]" if is_applicable(diagnostic.fix, unsafe) else ""
        start = diagnostic.start
        stream.write(f"{diagnostic.path}:{start.line}:{start.column + 1}: {diagnostic.code}{marker} {diagnostic.message}\n")
    stream.write(summary_line(summary) + "\n")


def summary_line(summary: Summary) -> str:
    if summary.fix_mode:
        if summary.fixed == 0 and summary.remaining == 0:
            return "No errors found."
        line = f"Found {plural(summary.fixed + summary.remaining, 'error')} ({summary.fixed} fixed, {summary.remaining} remaining)."
        if summary.unsafe_fixable and not summary.unsafe:
            line += f" {summary.unsafe_fixable} more fixable with --unsafe-fixes."
        return line

    if summary.remaining == 0:
        return "No errors found."
    details = []
    if summary.fixable:
        details.append(f"{summary.fixable} fixable with --fix")
    if summary.unsafe_fixable:
        details.append(f"{summary.unsafe_fixable} more with --unsafe-fixes")
    extra = f" ({', '.join(details)})" if details else ""
    return f"Found {plural(summary.remaining, 'error')}{extra}."


def write_json(diagnostics: list[Diagnostic], summary: Summary, stream: TextIO, unsafe: bool) -> None:
    json.dump([d.to_json() for d in diagnostics], stream, indent=2)
    stream.write("\n")


Writer = Callable[[list[Diagnostic], Summary, TextIO, bool], None]

FORMATS: dict[str, Writer] = {
    "text": write_text,
    "json": write_json,
}
