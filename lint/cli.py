"""The ``asynclint`` command line."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from dataclasses import dataclass
from typing import Sequence, TextIO

from . import __version__
from .config import ConfigCache, ConfigError, Overrides, Settings
from .cache import ResultCache, default_cache_dir
from .codes import INTERNAL_ERROR, PARSE_ERROR
from .diagnostic import Diagnostic, is_applicable
from .files import DEFAULT_EXCLUDES, discover, is_excluded
from .formats import FORMATS, Output, Summary, rule_page, write_statistics
from .noqa import UNUSED_NOQA, NoqaFilter, add_noqa
from .parallel import add_arguments as add_speed_arguments
from .parallel import check_files, check_one, usable_cores
from .runner import FileMode, FileReport, unreadable
from .source import SourceDecodeError, decode_source
from .selection import split_codes
from .summaries import build_project, refresh_summaries

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


def _globs(value: str) -> list[str]:
    return [pattern for pattern in value.split(",") if pattern]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asynclint",
        description=(
            "Find asyncio mistakes that corrupt or stall programs, and fix the safe ones. "
            "Run `asynclint rule --all` for the list of rules."
        ),
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to lint (default: .)")

    fixing = parser.add_argument_group("fixing")
    fixing.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    fixing.add_argument(
        "--unsafe-fixes", action="store_true", default=None,
        help="also apply (or show, with --diff) fixes that may change behaviour",
    )
    fixing.add_argument(
        "--no-unsafe-fixes", action="store_false", dest="unsafe_fixes",
        help="do not apply unsafe fixes, even when the configuration file enables them",
    )
    fixing.add_argument("--diff", action="store_true", help="print the fixes as a unified diff and write nothing")
    fixing.add_argument(
        "--add-noqa", action="store_true",
        help="add a `# noqa: CODE` comment to every line with a finding, keeping existing comments",
    )

    selecting = parser.add_argument_group("selecting codes and files")
    selecting.add_argument("--select", type=split_codes, metavar="CODES", help="only these codes or prefixes, comma-separated (replaces the configured list)")
    selecting.add_argument("--extend-select", type=split_codes, metavar="CODES", default=[], help="add these codes or prefixes to the selection, for example AIO002")
    selecting.add_argument("--ignore", type=split_codes, metavar="CODES", default=[], help="skip these codes or prefixes, comma-separated")
    selecting.add_argument(
        "--exclude", type=_globs, metavar="GLOBS",
        help="comma-separated glob patterns of files and folders to skip, added to the built-in list "
        "(replaces `exclude` of the configuration file)",
    )
    selecting.add_argument("--extend-exclude", type=_globs, metavar="GLOBS", default=[], help="more patterns to skip, added to all others")
    selecting.add_argument(
        "--force-exclude", action="store_true",
        help="apply the exclude patterns to files named on the command line too (pre-commit passes files this way)",
    )
    selecting.add_argument("--config", metavar="FILE", help="read settings from FILE instead of the nearest pyproject.toml with [tool.asynclint]")

    output = parser.add_argument_group("output")
    output.add_argument("--format", choices=list(FORMATS), default="text", help="output format (default: text)")
    output.add_argument("--statistics", action="store_true", help="print the number of findings per code instead of each finding")
    output.add_argument("--show-fixes", action="store_true", help="show the fix of each finding, and with --fix the files that were fixed")
    output.add_argument("--quiet", "-q", action="store_true", help="print the findings only, without the closing summary")
    output.add_argument("--exit-zero", action="store_true", help="exit with 0 even when findings remain")
    output.add_argument(
        "--stdin-filename", metavar="NAME",
        help="read the source from standard input and report it as NAME; with --fix, print the fixed source to standard output",
    )
    add_speed_arguments(parser.add_argument_group("speed"))
    parser.add_argument("--version", action="version", version=f"asynclint {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`asynclint src | head`): stop quietly, as
        # other Unix tools do, without a traceback on the way out.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FINDINGS


def _main(argv: Sequence[str] | None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["rule"]:
        return rule_command(arguments[1:])
    # `asynclint check PATH` and `asynclint PATH` are the same command.
    if arguments[:1] == ["check"]:
        arguments = arguments[1:]

    parser = build_parser()
    options = parser.parse_args(arguments)
    problem = _conflicting_options(options)
    if problem:
        parser.error(problem)

    overrides = Overrides(
        select=tuple(options.select) if options.select is not None else None,
        ignore=tuple(options.ignore),
        extend_select=tuple(options.extend_select),
        exclude=tuple(options.exclude) if options.exclude is not None else None,
        extend_exclude=tuple(options.extend_exclude),
        unsafe_fixes=options.unsafe_fixes,
    )
    if options.config and not os.path.isfile(options.config):
        parser.exit(EXIT_ERROR, f"asynclint: error: --config: {options.config}: no such file\n")
    configs = ConfigCache(overrides, options.config)
    try:
        # Resolve the settings of the working folder first, so that a wrong
        # code on the command line is reported even when no file is found.
        configs.settings_for(options.stdin_filename or (options.paths or ["."])[0])
        return run(options, configs)
    except ConfigError as error:
        parser.exit(EXIT_ERROR, f"asynclint: error: {error}\n")


def _conflicting_options(options: argparse.Namespace) -> str | None:
    if options.add_noqa and (options.fix or options.diff):
        return "--add-noqa cannot be combined with --fix or --diff"
    if options.add_noqa and options.stdin_filename:
        return "--add-noqa needs files, not --stdin-filename"
    if options.stdin_filename and options.paths:
        return "--stdin-filename reads standard input; do not name paths as well"
    if options.statistics and options.format not in ("text", "grouped"):
        return f"--statistics prints a text table and cannot be combined with --format {options.format}"
    return None


@dataclass(frozen=True)
class Job:
    """One file to check, with the settings of its configuration file."""

    path: str
    settings: Settings


def check_path(path: str, settings: Settings, mode: FileMode) -> FileReport:
    """Check one file on disk with its settings: the per-file work of a run.

    Everything that changes the result is in ``settings`` and ``mode``, so a
    pool of worker processes or a result cache can call this in its place.
    """
    return check_one(path, settings, mode, cache=None, key=None)


def run(options: argparse.Namespace, configs: ConfigCache) -> int:
    if options.stdin_filename:
        return run_stdin(options, configs)

    jobs, reports, missing = collect(options.paths or ["."], configs, options.force_exclude)
    if missing:
        print(f"asynclint: error: {missing}: no such file or folder", file=sys.stderr)
        return EXIT_ERROR
    if options.add_noqa:
        return run_add_noqa(jobs)

    mode = FileMode(fix=options.fix and not options.diff, unsafe=False, diff=options.diff)
    cache = None if options.no_cache else ResultCache(options.cache_dir or default_cache_dir(options.paths or ["."]))
    project = build_project(jobs, cache)
    checked = check_files(jobs, mode, processes=options.jobs or usable_cores(), cache=cache, project=project)
    if project is not None and mode.fix:
        rewritten = {report.path for report in checked if report.fixed}
        refresh_summaries([job for job in jobs if job.path in rewritten], cache)
    reports = checked + reports
    unsafe = any(job.settings.unsafe_fixes for job in jobs)
    return finish(reports, options, mode, unsafe, sys.stdout)


def collect(paths: Sequence[str], configs: ConfigCache, force_exclude: bool) -> tuple[list[Job], list[FileReport], str | None]:
    """Find the files under ``paths`` with their settings.

    Returns the jobs, reports for paths that cannot be read, and the first
    path that does not exist (None when all exist).
    """
    jobs: dict[str, Job] = {}
    reports: list[FileReport] = []
    for raw in paths:
        root_settings = configs.settings_for(raw)
        named_file = os.path.isfile(raw)
        files, errors = discover([raw], [*DEFAULT_EXCLUDES, *root_settings.excludes])
        for error in errors:
            if error.reason == "no such file or folder":
                return [], [], error.path
            reports.append(FileReport(error.path, [unreadable(error.path, f"cannot read {error.path}: {error.reason}")]))

        for found in files:
            # os.walk(".") yields "./a.py"; report it as "a.py".
            path = os.path.normpath(found)
            settings = configs.settings_for(path)
            excluded = settings.is_excluded(path)
            if named_file and force_exclude:
                excluded = excluded or is_excluded(path, DEFAULT_EXCLUDES)
            elif named_file:
                # A file named directly is linted whatever the excludes,
                # because the user asked for it.
                excluded = False
            if not excluded:
                jobs.setdefault(path, Job(path, settings))
    return sorted(jobs.values(), key=lambda job: job.path), reports, None


def run_stdin(options: argparse.Namespace, configs: ConfigCache) -> int:
    """Check standard input as if it were the file ``--stdin-filename``."""
    from .engine import lint_text
    from .fixer import fix_text
    from .rules import ALL_RULES

    name = options.stdin_filename
    settings = configs.settings_for(name)
    codes = settings.codes_for(name)
    rules = [rule for rule in ALL_RULES if rule.code in codes]
    suppress = NoqaFilter(report_unused=UNUSED_NOQA[0] in codes)
    mode = FileMode(fix=options.fix and not options.diff, unsafe=settings.unsafe_fixes, diff=options.diff)

    data = sys.stdin.buffer.read()
    try:
        source = decode_source(data)
    except SourceDecodeError as error:
        report = FileReport(name, [unreadable(name, f"cannot decode {name}: {error}")])
        if mode.fix:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        return finish([report], options, mode, settings.unsafe_fixes, sys.stderr if mode.fix else sys.stdout)

    if not (mode.fix or mode.diff):
        diagnostics = suppress(source.text, name, lint_text(source.text, name, rules, settings.lint_options))
        report = FileReport(name, [d for d in diagnostics if d.code in codes])
        return finish([report], options, mode, settings.unsafe_fixes, sys.stdout)

    result = fix_text(source.text, name, rules, settings.lint_options, unsafe=mode.unsafe, suppress=suppress)
    report = FileReport(name, [d for d in result.diagnostics if d.code in codes], fixed=result.applied)
    if mode.diff:
        report.diff = "".join(
            difflib.unified_diff(
                source.text.splitlines(keepends=True),
                result.text.splitlines(keepends=True),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
            )
        )
        return finish([report], options, mode, settings.unsafe_fixes, sys.stdout)

    # The fixed source is the output; the findings go to standard error.
    sys.stdout.flush()
    sys.stdout.buffer.write(source.encode(result.text))
    sys.stdout.flush()
    return finish([report], options, mode, settings.unsafe_fixes, sys.stderr)


def run_add_noqa(jobs: list[Job]) -> int:
    """Add ``# noqa`` comments for every current finding, file by file."""
    added = 0
    for job in jobs:
        count, note = _add_noqa_to_file(job)
        added += count
        if note:
            print(f"asynclint: warning: {note}", file=sys.stderr)
    print(f"Added {added} noqa comment{'' if added == 1 else 's'}.", file=sys.stderr)
    return EXIT_CLEAN


def _add_noqa_to_file(job: Job) -> tuple[int, str | None]:
    from .engine import lint_text
    from .fixer import ConcurrentModificationError, verify, write_atomically
    from .rules import ALL_RULES

    path = job.path
    try:
        with open(path, "rb") as stream:
            data = stream.read()
        source = decode_source(data)
    except (OSError, SourceDecodeError) as error:
        return 0, f"{path}: no noqa comments added: {error}"

    codes = job.settings.codes_for(path)
    rules = [rule for rule in ALL_RULES if rule.code in codes]
    found = NoqaFilter()(source.text, path, lint_text(source.text, path, rules, job.settings.lint_options))
    if any(d.code in (PARSE_ERROR[0], INTERNAL_ERROR[0]) for d in found):
        return 0, f"{path}: no noqa comments added because the file could not be fully checked"
    found = [d for d in found if d.code in codes]
    if not found:
        return 0, None

    text, count = add_noqa(source.text, found)
    problem = verify(source.text, text, path)
    if problem is not None:
        return 0, f"{path}: no noqa comments added because the result {problem}"
    try:
        write_atomically(path, source.encode(text), expected=data)
    except (ConcurrentModificationError, OSError, UnicodeEncodeError) as error:
        return 0, f"{path}: no noqa comments written: {error}"
    return count, None


def finish(reports: list[FileReport], options: argparse.Namespace, mode: FileMode, unsafe: bool, stream: TextIO) -> int:
    diagnostics: list[Diagnostic] = sorted((d for report in reports for d in report.diagnostics), key=lambda d: d.sort_key)

    for report in reports:
        if report.diff:
            stream.write(report.diff)
        for note in report.notes:
            print(f"asynclint: warning: {note}", file=sys.stderr)

    summary = Summary(
        remaining=len(diagnostics),
        fixed=sum(report.fixed for report in reports),
        # With unsafe fixes switched on (by option or configuration), a plain
        # --fix applies them too, so they count as fixable.
        fixable=sum(1 for d in diagnostics if is_applicable(d.fix, unsafe=unsafe)),
        unsafe_fixable=sum(1 for d in diagnostics if d.fix is not None and not is_applicable(d.fix, unsafe=unsafe)),
        fix_mode=mode.fix,
        diff_mode=mode.diff,
        unsafe=unsafe,
    )
    output = Output(
        unsafe=unsafe,
        colour=use_colour(stream),
        quiet=options.quiet,
        show_fixes=options.show_fixes,
        fixed_files=tuple((report.path, report.fixed) for report in reports if report.fixed and mode.fix),
    )
    writer = write_statistics if options.statistics else FORMATS[options.format]
    writer(diagnostics, summary, stream, output)
    stream.flush()

    if any(d.code == INTERNAL_ERROR[0] for d in diagnostics):
        return EXIT_ERROR
    if options.exit_zero:
        return EXIT_CLEAN
    if mode.diff and any(report.diff for report in reports):
        return EXIT_FINDINGS
    return EXIT_FINDINGS if diagnostics else EXIT_CLEAN


def use_colour(stream: TextIO) -> bool:
    """Colour only a terminal, and never when NO_COLOR is set to a non-empty value."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def rule_command(arguments: Sequence[str]) -> int:
    """``asynclint rule CODE`` prints a rule's page; ``asynclint rule --all`` lists the rules."""
    from .rules import ALL_RULES, RULES_BY_CODE

    parser = argparse.ArgumentParser(prog="asynclint rule", description="Explain a rule, or list them all.")
    parser.add_argument("code", nargs="?", help="a rule code such as AIO201")
    parser.add_argument("--all", action="store_true", help="list every rule with its code, name, fix and summary")
    options = parser.parse_args(arguments)

    if options.all:
        for rule in ALL_RULES:
            fix = rule.fix_safety.value if rule.fix_safety is not None else "none"
            print(f"{rule.code}  {rule.name:<34} fix: {fix:<6}  {rule.summary}")
        return EXIT_CLEAN
    if not options.code:
        parser.error("name a rule code, such as AIO201, or use --all")

    code = options.code.upper()
    rule = RULES_BY_CODE.get(code)
    page = rule_page(code)
    if page is not None:
        sys.stdout.write(page.read_text(encoding="utf-8"))
        return EXIT_CLEAN
    if rule is None:
        parser.exit(EXIT_ERROR, f"asynclint rule: error: unknown rule {options.code!r}; run `asynclint rule --all` for the list\n")
    fix = rule.fix_safety.value if rule.fix_safety is not None else "none"
    # Without docs/rules/ (an installed wheel), print what the rule itself carries.
    print(f"# {rule.code} {rule.name}\n\n{rule.summary}\n\nFix: {fix}.")
    for example in rule.invalid[:1]:
        print(f"\nExample:\n\n{example.source}")
    return EXIT_CLEAN
