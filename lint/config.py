"""The ``[tool.asynclint]`` table of pyproject.toml, and the settings of a run.

A file's configuration comes from the nearest pyproject.toml above it that
has a ``[tool.asynclint]`` table, or from the file named with ``--config``.
Command-line options override the file. Every key, type and code is checked:
a mistake is a ConfigError naming the file, the key and the accepted values,
never a setting that is silently ignored.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from .catalogue import CATEGORIES, BlockingCall
from .files import is_excluded
from .selection import Layer, Selection, SelectionError, expand

# The engine and the rules import LibCST, which a run answered from the
# result cache never needs, so they load where they are used.
if TYPE_CHECKING:
    from .engine import LintOptions
    from .rule import Rule

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

PYPROJECT = "pyproject.toml"

# Key -> the type it takes, as named in error messages.
KEYS: dict[str, str] = {
    "select": "list of codes",
    "ignore": "list of codes",
    "extend-select": "list of codes",
    "per-file-ignores": "table of glob = list of codes",
    "exclude": "list of globs",
    "extend-exclude": "list of globs",
    "unsafe-fixes": "boolean",
    "extra-blocking-calls": "table of qualified name = category or inline table",
}
BLOCKING_CALL_KEYS = ("category", "replacement", "attribute", "min-args")


class ConfigError(ValueError):
    """An invalid configuration file, or an invalid option value."""


@dataclass(frozen=True)
class FileConfig:
    """The checked contents of one ``[tool.asynclint]`` table."""

    path: str | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    unsafe_fixes: bool | None = None
    extra_blocking_calls: tuple[BlockingCall, ...] = ()

    @property
    def root(self) -> str:
        """Return the folder that relative globs of this file start from."""
        return os.path.dirname(os.path.abspath(self.path)) if self.path else os.getcwd()


@dataclass(frozen=True)
class Overrides:
    """The command-line options that override the configuration file."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    unsafe_fixes: bool | None = None


@dataclass(frozen=True)
class Settings:
    """Everything that decides the findings for a file, in one hashable value.

    Worker processes receive it by pickling and a result cache can use it as
    part of its key, so it contains plain values only.
    """

    codes: frozenset[str]
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()
    excludes: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    extra_blocking_calls: tuple[BlockingCall, ...] = ()
    # The folder that relative globs start from, and the file they came from.
    root: str = ""
    config_path: str | None = field(default=None, compare=False)

    def codes_for(self, path: str) -> frozenset[str]:
        """Return the codes in force for ``path`` after its per-file ignores."""
        relative = self._relative(path)
        ignored: set[str] = set()
        for pattern, codes in self.per_file_ignores:
            if _glob_matches(relative, pattern):
                ignored |= codes
        return self.codes - ignored

    def rules_for(self, path: str) -> list[type[Rule]]:
        from .rules import ALL_RULES

        codes = self.codes_for(path)
        return [rule for rule in ALL_RULES if rule.code in codes]

    def is_excluded(self, path: str) -> bool:
        """Tell whether an exclude pattern matches the file or one of its folders."""
        relative = self._relative(path)
        parts = relative.split("/")
        candidates = ["/".join(parts[: index + 1]) for index in range(len(parts))]
        return any(is_excluded(candidate, self.excludes) for candidate in candidates)

    @functools.cached_property
    def lint_options(self) -> LintOptions:
        from .engine import LintOptions

        if not self.extra_blocking_calls:
            return LintOptions()
        return LintOptions.with_extra_blocking_calls(self.extra_blocking_calls)

    def _relative(self, path: str) -> str:
        absolute = os.path.abspath(path)
        root = self.root or os.getcwd()
        try:
            relative = os.path.relpath(absolute, root)
        except ValueError:  # another drive on Windows
            relative = absolute
        if relative.startswith(".."):
            relative = absolute
        return relative.replace(os.sep, "/")


def _glob_matches(relative: str, pattern: str) -> bool:
    """Match a per-file-ignores glob against a path relative to the config's folder.

    A pattern without a slash also matches the file name alone, so
    ``"test_*.py"`` covers test files in every folder.
    """
    if fnmatch.fnmatchcase(relative, pattern):
        return True
    if "/" not in pattern:
        return fnmatch.fnmatchcase(relative.rsplit("/", 1)[-1], pattern)
    return False


def resolve(config: FileConfig, overrides: Overrides) -> Settings:
    """Combine a configuration file with the command line into Settings."""
    file_layer = Layer(config.select, config.extend_select, config.ignore, label=_label(config, "{}"))
    cli_layer = Layer(overrides.select, overrides.extend_select, overrides.ignore)
    try:
        selection = Selection.from_layers([file_layer, cli_layer])
    except SelectionError as error:
        raise ConfigError(str(error)) from None

    excludes = overrides.exclude if overrides.exclude is not None else config.exclude
    unsafe = overrides.unsafe_fixes if overrides.unsafe_fixes is not None else bool(config.unsafe_fixes)
    return Settings(
        codes=selection.codes,
        per_file_ignores=tuple((pattern, frozenset(codes)) for pattern, codes in config.per_file_ignores),
        excludes=(*excludes, *config.extend_exclude, *overrides.extend_exclude),
        unsafe_fixes=unsafe,
        extra_blocking_calls=config.extra_blocking_calls,
        root=config.root,
        config_path=config.path,
    )


def _label(config: FileConfig, key: str) -> str:
    where = config.path or PYPROJECT
    return f"{where}: [tool.asynclint] {key}"


def find_config(start: str) -> str | None:
    """Return the nearest pyproject.toml with a [tool.asynclint] table at or above ``start``."""
    folder = os.path.abspath(start)
    if not os.path.isdir(folder):
        folder = os.path.dirname(folder)
    return _find_in_folder(folder)


@functools.lru_cache(maxsize=None)
def _find_in_folder(folder: str) -> str | None:
    candidate = os.path.join(folder, PYPROJECT)
    if os.path.isfile(candidate) and _has_table(candidate):
        return candidate
    parent = os.path.dirname(folder)
    if parent == folder:
        return None
    return _find_in_folder(parent)


def _has_table(path: str) -> bool:
    try:
        data = _read_toml(path)
    except ConfigError:
        # A broken pyproject.toml that may contain our table is an error for the
        # user to see, not a reason to look further up.
        return True
    return isinstance(data.get("tool"), dict) and "asynclint" in data["tool"]


@functools.lru_cache(maxsize=None)
def _read_toml(path: str) -> Mapping[str, Any]:
    try:
        with open(path, "rb") as stream:
            return tomllib.load(stream)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the configuration: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 ({error.reason} at byte {error.start}); save it as UTF-8") from None


@functools.lru_cache(maxsize=None)
def load_config(path: str) -> FileConfig:
    """Read and check the ``[tool.asynclint]`` table of ``path``.

    A file named with ``--config`` may also be a TOML file whose top level
    is the table itself (a dedicated ``asynclint.toml``).
    """
    data = _read_toml(path)
    tool = data.get("tool")
    if isinstance(tool, dict) and "asynclint" in tool:
        table = tool["asynclint"]
    elif os.path.basename(path) == PYPROJECT:
        table = {}
    else:
        table = data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.asynclint] must be a table, got {type(table).__name__}")
    return parse_table(table, path)


def parse_table(table: Mapping[str, Any], path: str) -> FileConfig:
    """Check every key of a ``[tool.asynclint]`` table and build a FileConfig."""
    for key in table:
        if key not in KEYS:
            raise ConfigError(f"{path}: unknown key {key!r} in [tool.asynclint]; accepted keys: {', '.join(KEYS)}")

    select = _codes(table, "select", path) if "select" in table else None
    return FileConfig(
        path=path,
        select=select,
        ignore=_codes(table, "ignore", path),
        extend_select=_codes(table, "extend-select", path),
        per_file_ignores=_per_file_ignores(table, path),
        exclude=_strings(table, "exclude", path),
        extend_exclude=_strings(table, "extend-exclude", path),
        unsafe_fixes=_boolean(table, "unsafe-fixes", path),
        extra_blocking_calls=parse_blocking_calls(table.get("extra-blocking-calls", {}), path),
    )


def _type_error(path: str, key: str, value: object) -> ConfigError:
    return ConfigError(f"{path}: [tool.asynclint] {key} must be a {KEYS[key]}, got {type(value).__name__} {value!r}")


def _strings(table: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _type_error(path, key, value)
    return tuple(value)


def _codes(table: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
    codes = _strings(table, key, path)
    _check_codes(codes, path, key)
    return codes


def _check_codes(codes: Iterable[str], path: str, key: str) -> None:
    try:
        expand(codes, f"{path}: [tool.asynclint] {key}")
    except SelectionError as error:
        raise ConfigError(str(error)) from None


def _boolean(table: Mapping[str, Any], key: str, path: str) -> bool | None:
    if key not in table:
        return None
    value = table[key]
    if not isinstance(value, bool):
        raise _type_error(path, key, value)
    return value


def _per_file_ignores(table: Mapping[str, Any], path: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    key = "per-file-ignores"
    value = table.get(key, {})
    if not isinstance(value, dict):
        raise _type_error(path, key, value)

    entries = []
    for pattern, codes in value.items():
        if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
            raise ConfigError(
                f"{path}: [tool.asynclint] {key} {pattern!r} must be a list of codes, got {type(codes).__name__} {codes!r}"
            )
        _check_codes(codes, path, f"{key} {pattern!r}")
        expanded = tuple(sorted(expand(codes, key)))
        entries.append((pattern, expanded))
    return tuple(entries)


def parse_blocking_calls(value: object, path: str, label: str | None = None) -> tuple[BlockingCall, ...]:
    """Check an ``extra-blocking-calls`` table and turn it into catalogue rows.

    Each key is a qualified name. Its value is a category name, or an inline
    table with ``category`` and optional ``replacement``, ``attribute`` and
    ``min-args``. ``label`` names the setting in errors when it does not come
    from a ``[tool.asynclint]`` table.
    """
    key = "extra-blocking-calls"
    if not isinstance(value, dict):
        raise _type_error(path, key, value)

    categories = ", ".join(CATEGORIES)
    prefix = label or f"{path}: [tool.asynclint] {key}"
    rows = []
    for name, entry in value.items():
        where = f"{prefix} {name!r}"
        if not _is_qualified_name(name):
            raise ConfigError(f"{where}: the key must be a dotted qualified name such as 'mysdk.Client.fetch'")
        if isinstance(entry, str):
            entry = {"category": entry}
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a category ({categories}) or an inline table, got {type(entry).__name__}")

        unknown = [item for item in entry if item not in BLOCKING_CALL_KEYS]
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r}; accepted keys: {', '.join(BLOCKING_CALL_KEYS)}")
        category = entry.get("category")
        if category not in CATEGORIES:
            raise ConfigError(f"{where}: category must be one of {categories}, got {category!r}")
        replacement = entry.get("replacement")
        if replacement is not None and not isinstance(replacement, str):
            raise ConfigError(f"{where}: replacement must be a string, got {type(replacement).__name__}")
        attribute = entry.get("attribute", False)
        if not isinstance(attribute, bool):
            raise ConfigError(f"{where}: attribute must be a boolean, got {type(attribute).__name__}")
        min_args = entry.get("min-args", 0)
        if not isinstance(min_args, int) or isinstance(min_args, bool) or min_args < 0:
            raise ConfigError(f"{where}: min-args must be a non-negative integer, got {min_args!r}")
        rows.append(BlockingCall(name, category, replacement, attribute=attribute, min_args=min_args))
    return tuple(rows)


def _is_qualified_name(name: str) -> bool:
    parts = name.split(".")
    return len(parts) >= 2 and all(part.isidentifier() for part in parts)


class ConfigCache:
    """Settings per configuration file, for the files of one run."""

    def __init__(self, overrides: Overrides, config_file: str | None = None) -> None:
        self.overrides = overrides
        self.config_file = config_file
        self._settings: dict[str | None, Settings] = {}

    def settings_for(self, path: str) -> Settings:
        """Return the settings for a file or folder; raise ConfigError for a broken file."""
        config_path = self.config_file or find_config(path)
        if config_path not in self._settings:
            config = load_config(config_path) if config_path else FileConfig()
            self._settings[config_path] = resolve(config, self.overrides)
        return self._settings[config_path]
