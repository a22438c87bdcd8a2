"""The ``asynclint`` command line."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from . import __version__
from .diagnostic import Diagnostic
from .engine import INTERNAL_ERROR, LintOptions
from .files import DEFAULT_EXCLUDES, discover
from .fixer import is_applicable
from .report import FORMATS, Summary
from .runner import FileMode, FileReport, process_file, unreadable
from .selection import Selection, SelectionError, split_codes

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asynclint",
        description="Find asyncio mistakes that corrupt or stall programs, and fix the safe ones.",
    )
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="files or folders to lint (default: .)")
    parser.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    parser.add_argument("--unsafe-fixes", action="store_true", help="also apply (or show, with --diff) fixes that may change behaviour")
    parser.add_argument("--diff", action="store_true", help="print the fixes as a unified diff and write nothing")
    parser.add_argument("--select", type=split_codes, metavar="CODES", help="only these codes or prefixes, comma-separated (default: all)")
    parser.add_argument("--ignore", type=split_codes, metavar="CODES", help="skip these codes or prefixes, comma-separated")
    parser.add_argument(
        "--exclude", type=lambda v: [p for p in v.split(",") if p], metavar="GLOBS", default=[],
        help="comma-separated glob patterns of files and folders to skip, added to the built-in list",
    )
    parser.add_argument("--format", choices=sorted(FORMATS), default="text", help="output format (default: text)")
    parser.add_argument("--exit-zero", action="store_true", help="exit with 0 even when findings remain")
    parser.add_argument("--version", action="version", version=f"asynclint {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    # `asynclint check PATH` and `asynclint PATH` are the same command.
    if arguments[:1] == ["check"]:
        arguments = arguments[1:]

    parser = build_parser()
    options = parser.parse_args(arguments)
    try:
        selection = Selection.from_options(options.select, options.ignore)
    except SelectionError as error:
        parser.exit(EXIT_ERROR, f"asynclint: error: {error}\n")

    return run(options, selection)


def run(options: argparse.Namespace, selection: Selection) -> int:
    files, errors = discover(options.paths, [*DEFAULT_EXCLUDES, *options.exclude])
    for error in errors:
        if error.reason == "no such file or folder":
            print(f"asynclint: error: {error.path}: no such file or folder", file=sys.stderr)
            return EXIT_ERROR

    mode = FileMode(fix=options.fix and not options.diff, unsafe=options.unsafe_fixes, diff=options.diff)
    lint_options = LintOptions()
    rules = selection.rules

    reports = [process_file(path, rules, lint_options, mode) for path in files]
    reports.extend(FileReport(e.path, [unreadable(e.path, f"cannot read {e.path}: {e.reason}")]) for e in errors)
    return finish(reports, selection, options, mode)


def finish(reports: list[FileReport], selection: Selection, options: argparse.Namespace, mode: FileMode) -> int:
    diagnostics: list[Diagnostic] = sorted(
        (d for report in reports for d in report.diagnostics if d.code in selection.codes),
        key=lambda d: d.sort_key,
    )

    for report in reports:
        if report.diff:
            sys.stdout.write(report.diff)
        for note in report.notes:
            print(f"asynclint: warning: {note}", file=sys.stderr)

    summary = Summary(
        remaining=len(diagnostics),
        fixed=sum(report.fixed for report in reports),
        fixable=sum(1 for d in diagnostics if is_applicable(d.fix, unsafe=False)),
        unsafe_fixable=sum(1 for d in diagnostics if d.fix is not None and not is_applicable(d.fix, unsafe=False)),
        fix_mode=mode.fix,
        unsafe=mode.unsafe,
    )
    FORMATS[options.format](diagnostics, summary, sys.stdout, mode.unsafe)

    if any(d.code == INTERNAL_ERROR[0] for d in diagnostics):
        return EXIT_ERROR
    if options.exit_zero:
        return EXIT_CLEAN
    if mode.diff and any(report.diff for report in reports):
        return EXIT_FINDINGS
    return EXIT_FINDINGS if diagnostics else EXIT_CLEAN
