"""The formats for people: one line per finding, or findings grouped by file."""

from __future__ import annotations

from collections import Counter
from itertools import groupby
from typing import TextIO

from ..diagnostic import Diagnostic, is_applicable
from ..selection import code_names
from .base import Output, Summary, plural

# ANSI SGR sequences, used only when the output is a terminal and NO_COLOR is unset.
_BOLD, _RED, _CYAN, _DIM, _RESET = "\x1b[1m", "\x1b[31m", "\x1b[36m", "\x1b[2m", "\x1b[0m"


class _Paint:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled:
            return text
        return "".join(styles) + text + _RESET


def write_text(diagnostics: list[Diagnostic], summary: Summary, stream: TextIO, output: Output) -> None:
    paint = _Paint(output.colour)
    for diagnostic in diagnostics:
        start = diagnostic.start
        where = paint(f"{diagnostic.path}:{start.line}:{start.column + 1}:", _BOLD)
        stream.write(f"{where} {_code(diagnostic, output, paint)} {diagnostic.message}\n")
        _write_fix_line(diagnostic, stream, output, paint, indent="    ")
    _write_closing(summary, stream, output)


def write_grouped(diagnostics: list[Diagnostic], summary: Summary, stream: TextIO, output: Output) -> None:
    paint = _Paint(output.colour)
    for path, group in groupby(diagnostics, key=lambda d: d.path):
        stream.write(paint(path, _BOLD) + ":\n")
        for diagnostic in group:
            start = diagnostic.start
            stream.write(f"  {start.line}:{start.column + 1} {_code(diagnostic, output, paint)} {diagnostic.message}\n")
            _write_fix_line(diagnostic, stream, output, paint, indent="      ")
        stream.write("\n")
    _write_closing(summary, stream, output)


def write_statistics(diagnostics: list[Diagnostic], summary: Summary, stream: TextIO, output: Output) -> None:
    """Print one line per code: count, code, whether --fix can fix them, name."""
    counts = Counter(d.code for d in diagnostics)
    fixable = {d.code for d in diagnostics if is_applicable(d.fix, output.unsafe)}
    names = code_names()
    width = len(str(max(counts.values(), default=0)))
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        marker = "[*]" if code in fixable else "   "
        stream.write(f"{count:>{width}}  {code}  {marker} {names.get(code, '')}\n")
    _write_closing(summary, stream, output)


def _code(diagnostic: Diagnostic, output: Output, paint: _Paint) -> str:
    marker = " [*]" if is_applicable(diagnostic.fix, output.unsafe) else ""
    return paint(diagnostic.code, _BOLD, _RED) + paint(marker, _CYAN)


def _write_fix_line(diagnostic: Diagnostic, stream: TextIO, output: Output, paint: _Paint, indent: str) -> None:
    if not output.show_fixes or diagnostic.fix is None:
        return
    fix = diagnostic.fix
    stream.write(paint(f"{indent}fix ({fix.safety.value}): {fix.title}", _DIM) + "\n")


def _write_closing(summary: Summary, stream: TextIO, output: Output) -> None:
    if output.quiet:
        return
    if output.show_fixes and output.fixed_files:
        total = sum(count for _, count in output.fixed_files)
        stream.write(f"Fixed {plural(total, 'error')}:\n")
        for path, count in output.fixed_files:
            stream.write(f"- {path}: {plural(count, 'fix')} applied\n")
    stream.write(summary_line(summary) + "\n")


def summary_line(summary: Summary) -> str:
    if summary.diff_mode and summary.fixed:
        return f"The diff above would fix {plural(summary.fixed, 'error')}; {summary.remaining} would remain."
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
