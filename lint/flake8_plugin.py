"""asynclint as a flake8 plugin (codes AIOxxx).

flake8 reads and decodes the file, handles ``# noqa``, ``--select``,
``--ignore`` and ``per-file-ignores``, and prints the findings. The plugin
only parses the lines flake8 already read and runs every rule on them; it
never reads or writes the file itself.

Extra blocking calls come from the flake8 option
``--asynclint-extra-blocking-calls`` (also ``asynclint-extra-blocking-calls``
in setup.cfg, tox.ini or .flake8) and from ``extra-blocking-calls`` in the
nearest pyproject.toml with a ``[tool.asynclint]`` table, the same table the
``asynclint`` command reads.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
from typing import Any, ClassVar, Iterator

from flake8.exceptions import PluginExecutionFailed

from . import __version__
from .catalogue import CATEGORIES, BlockingCall
from .config import ConfigError, find_config, load_config, parse_blocking_calls
from .engine import LintOptions, lint_text
from .rules import ALL_RULES

OPTION = "--asynclint-extra-blocking-calls"


class Flake8Plugin:
    """The tree plugin that flake8 loads from the ``flake8.extension`` entry point."""

    name = "asynclint"
    version = __version__

    # Rows from the flake8 option, set once by parse_options.
    option_rows: ClassVar[tuple[BlockingCall, ...]] = ()
    _options_by_config: ClassVar[dict[str | None, LintOptions]] = {}

    # flake8 passes arguments by parameter name. It needs ``tree`` to class
    # this as a tree plugin, but the rules work on LibCST's tree, not ast's.
    def __init__(self, tree: ast.AST, lines: list[str], filename: str) -> None:
        self.lines = lines
        self.filename = filename

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        option_manager.add_option(
            OPTION,
            default="",
            parse_from_config=True,
            help=(
                "Calls that block the event loop, one per line or comma-separated, as NAME=CATEGORY "
                "or NAME=CATEGORY:REPLACEMENT, for example mysdk.Client.fetch=http:mysdk.AsyncClient.fetch. "
                f"Categories: {', '.join(CATEGORIES)}."
            ),
        )

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        value = getattr(options, OPTION.lstrip("-").replace("-", "_"), "") or ""
        try:
            cls.option_rows = parse_option_rows(value)
        except ConfigError as error:
            # flake8 has no error type for a bad plugin option; stop the way argparse does.
            sys.stderr.write(f"flake8: error: {error}\n")
            raise SystemExit(2) from None
        cls._options_by_config = {}

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        text = "".join(self.lines)
        try:
            options = self._lint_options()
        except ConfigError as error:
            # flake8 prints this error and exits with 1 instead of a traceback.
            raise PluginExecutionFailed(self.filename, self.name, error) from None
        for diagnostic in lint_text(text, self.filename, ALL_RULES, options):
            # flake8 takes 0-based columns from tree plugins and prints them 1-based.
            yield diagnostic.start.line, diagnostic.start.column, f"{diagnostic.code} {diagnostic.message}", type(self)

    def _lint_options(self) -> LintOptions:
        start = self.filename if os.path.exists(self.filename) else os.getcwd()
        config_path = find_config(start)
        cache = type(self)._options_by_config
        if config_path not in cache:
            rows = load_config(config_path).extra_blocking_calls if config_path else ()
            extra = (*rows, *type(self).option_rows)
            cache[config_path] = LintOptions.with_extra_blocking_calls(extra) if extra else LintOptions()
        return cache[config_path]


def parse_option_rows(value: str) -> tuple[BlockingCall, ...]:
    """Parse ``NAME=CATEGORY[:REPLACEMENT]`` entries, separated by newlines or commas."""
    entries = [entry.strip() for line in value.splitlines() for entry in line.split(",")]
    table: dict[str, dict[str, str]] = {}
    for entry in entries:
        if not entry:
            continue
        name, separator, rest = entry.partition("=")
        if not separator:
            raise ConfigError(
                f"{OPTION}: {entry!r} must be NAME=CATEGORY or NAME=CATEGORY:REPLACEMENT "
                f"(categories: {', '.join(CATEGORIES)})"
            )
        category, _, replacement = rest.partition(":")
        row = {"category": category.strip()}
        if replacement.strip():
            row["replacement"] = replacement.strip()
        table[name.strip()] = row
    return parse_blocking_calls(table, OPTION, label=OPTION)
