"""Linting and fixing files on disk, one file at a time.

The engine and the fixer import LibCST, so they load inside the functions
that lint: this module is also imported by runs whose results all come from
the result cache.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence

from .codes import PARSE_ERROR
from .diagnostic import Diagnostic, Position
from .noqa import UNUSED_NOQA, NoqaFilter
from .source import SourceDecodeError, SourceText, decode_source

if TYPE_CHECKING:
    from .config import Settings
    from .engine import LintOptions
    from .project import ProjectSummary
    from .rule import Rule

# Drops findings that the source suppresses (``# noqa``) and may add its own;
# called with the text, the path and the findings of every lint pass. The
# same alias is in fixer.py, which imports LibCST.
Suppress = Callable[[str, str, list[Diagnostic]], list[Diagnostic]]


@dataclass(frozen=True)
class FileMode:
    """The handling of fixes: none, written to the file, or shown as a diff."""

    fix: bool = False
    unsafe: bool = False
    diff: bool = False

    @property
    def changes_files(self) -> bool:
        """Tell whether fixes are computed, to write them or to show them."""
        return self.fix or self.diff


@dataclass
class FileReport:
    """The result for one file."""

    path: str
    diagnostics: list[Diagnostic]
    fixed: int = 0
    diff: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """A file's report and the bytes its findings describe.

    ``data`` is what the file contains after this run (the fixed bytes when
    fixes were written), or None when the findings describe no file on disk:
    the file could not be read, or ``--diff`` showed fixes that were not
    written. The result cache stores findings only when ``data`` is set.
    """

    report: FileReport
    data: bytes | None


def check_data(
    path: str, data: bytes, settings: Settings, mode: FileMode, project: ProjectSummary | None = None
) -> Outcome:
    """Check the bytes read from ``path`` with the settings of its configuration file.

    This is the per-file work of a run. Everything that changes the result
    is in ``settings`` and ``mode``, so worker processes and the result
    cache can run it in place of the command line.
    """
    codes = settings.codes_for(path)
    rules = settings.rules_for(path)
    file_mode = FileMode(fix=mode.fix, unsafe=settings.unsafe_fixes, diff=mode.diff)
    suppress = NoqaFilter(report_unused=UNUSED_NOQA[0] in codes)
    options = settings.lint_options
    if project is not None:
        options = dataclasses.replace(options, project=project)
    outcome = process_data(path, data, rules, options, file_mode, suppress)
    outcome.report.diagnostics = [d for d in outcome.report.diagnostics if d.code in codes]
    return outcome


def process_file(
    path: str, rules: Sequence[type[Rule]], options: LintOptions, mode: FileMode, suppress: Suppress | None = None
) -> FileReport:
    """Lint one file, and fix it when ``mode`` requests it.

    ``suppress`` filters the findings of each lint pass (``# noqa``), so
    suppressed findings are neither reported nor fixed.
    """
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as error:
        return FileReport(path, [unreadable(path, f"cannot read {path}: {error.strerror or error}")])

    return process_data(path, data, rules, options, mode, suppress).report


def process_data(
    path: str,
    data: bytes,
    rules: Sequence[type[Rule]],
    options: LintOptions,
    mode: FileMode,
    suppress: Suppress | None = None,
) -> Outcome:
    """Lint ``data``, the bytes read from ``path``, and fix the file when ``mode`` requests it."""
    try:
        source = decode_source(data)
    except SourceDecodeError as error:
        return Outcome(FileReport(path, [unreadable(path, f"cannot decode {path}: {error}")]), data)

    if not mode.changes_files:
        return Outcome(FileReport(path, _lint(source.text, path, rules, options, suppress)), data)
    return _fix_file(path, data, source, rules, options, mode, suppress)


def _lint(
    text: str, path: str, rules: Sequence[type[Rule]], options: LintOptions, suppress: Suppress | None
) -> list[Diagnostic]:
    from .engine import lint_text

    diagnostics = lint_text(text, path, rules, options)
    return diagnostics if suppress is None else suppress(text, path, diagnostics)


def _fix_file(
    path: str,
    data: bytes,
    source: SourceText,
    rules: Sequence[type[Rule]],
    options: LintOptions,
    mode: FileMode,
    suppress: Suppress | None = None,
) -> Outcome:
    from .fixer import ConcurrentModificationError, fix_text, write_atomically

    result = fix_text(source.text, path, rules, options, unsafe=mode.unsafe, suppress=suppress)
    report = FileReport(path, result.diagnostics)
    if result.text == source.text:
        return Outcome(report, data)

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
        return Outcome(report, None)

    try:
        fixed_data = source.encode(result.text)
        write_atomically(path, fixed_data, expected=data)
    except (ConcurrentModificationError, OSError, UnicodeEncodeError) as error:
        # Nothing was written; report the findings of the file as it is.
        report.diagnostics = _lint(source.text, path, rules, options, suppress)
        report.notes.append(f"{path}: fixes not written: {error}")
        return Outcome(report, data)

    report.fixed = result.applied
    return Outcome(report, fixed_data)


def unreadable(path: str, message: str) -> Diagnostic:
    code, name = PARSE_ERROR
    where = Position(1, 0)
    return Diagnostic(code=code, name=name, message=message, path=path, start=where, end=where)
