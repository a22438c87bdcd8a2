"""Summaries of the modules of one lint run, for rules that look across files.

A first pass records, per module, which of its top-level functions are
coroutine functions, which start an event loop and which block (with the
chain of calls that does it). The second pass lints every file with all
summaries in ``LintOptions.project``, so that ``from .helpers import load``
resolves to what ``load`` does in ``helpers.py``. AIO103, AIO210, AIO301,
AIO302 and AIO404 use it.

Summaries are frozen dataclasses of strings and tuples: they pickle for
worker processes and hash for the result cache. A file's lint result
depends on the summaries of the files it imports, so a cache must key
results on ``ProjectSummary.fingerprint()`` as well as on the file.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from dataclasses import dataclass, field
from typing import Iterable

from .catalogue import Catalogue
from .source import SourceDecodeError, decode_source


@dataclass(frozen=True)
class FunctionSummary:
    """The effects of calling one top-level function of a module.

    The chains start with the function's dotted name and end with the call
    that starts a loop or blocks: ``("pkg.index.insert", "asyncio.run")``.
    """

    is_coroutine: bool = False
    starts_loop: tuple[str, ...] | None = None
    blocks: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ModuleSummary:
    """The functions of one module that some rule cares about, by name."""

    module: str
    functions: tuple[tuple[str, FunctionSummary], ...] = ()


@dataclass(frozen=True)
class ProjectSummary:
    """The summaries of every module of a run, looked up by dotted name."""

    modules: tuple[ModuleSummary, ...] = ()
    _index: dict[str, FunctionSummary] = field(default_factory=dict, init=False, compare=False, hash=False, repr=False)

    @classmethod
    def from_modules(cls, modules: Iterable[ModuleSummary]) -> ProjectSummary:
        """Combine module summaries in a fixed order, so equal runs give equal summaries."""
        return cls(tuple(sorted(modules, key=lambda summary: summary.module)))

    def function(self, qualified: str) -> FunctionSummary | None:
        """Return the summary of ``pkg.module.function``, or None when no module of the run defines it."""
        if not self._index and self.modules:
            for module in self.modules:
                for name, summary in module.functions:
                    self._index[f"{module.module}.{name}"] = summary
        return self._index.get(qualified)

    @functools.cached_property
    def import_words(self) -> frozenset[str]:
        """Return the last parts of the module names that define a summarised function.

        A file can use such a function only by importing its module, so it
        names one of these words (``helpers`` in ``from .helpers import load``).
        """
        return frozenset(module.module.rsplit(".", 1)[-1] for module in self.modules if module.functions)

    def fingerprint(self) -> str:
        """Return a digest of the summaries, stable across processes, for cache keys."""
        digest = hashlib.sha256()
        for module in self.modules:
            digest.update(repr((module.module, module.functions)).encode())
        return digest.hexdigest()


def module_name(path: str) -> tuple[str, bool]:
    """Return the dotted module name of a file and whether it is a package's ``__init__``.

    The name runs up through every parent folder that contains an
    ``__init__.py``, so ``src/pkg/sub/mod.py`` is ``pkg.sub.mod``.
    """
    folder, filename = os.path.split(os.path.abspath(path))
    stem = filename.rsplit(".", 1)[0]
    is_package = stem == "__init__"
    parts = [] if is_package else [stem]

    while os.path.isfile(os.path.join(folder, "__init__.py")):
        folder, package = os.path.split(folder)
        parts.append(package)
        if not package:
            break
    return ".".join(reversed(parts)), is_package


def resolve_relative(relative: str, path: str) -> str | None:
    """Turn ``..helpers.load`` written in the file at ``path`` into an absolute dotted name."""
    level = len(relative) - len(relative.lstrip("."))
    rest = relative[level:]
    module, is_package = module_name(path)
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    # One dot is the current package; each further dot goes one level up.
    if level - 1 > len(parts):
        return None
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    if rest:
        parts.append(rest)
    return ".".join(parts) or None


def summarize_module(text: str, path: str, catalogue: Catalogue | None = None) -> ModuleSummary:
    """Record the coroutine functions, loop-starting and blocking functions at the top level of one file.

    A file that LibCST cannot parse gives an empty summary; the lint pass
    reports its syntax error.
    """
    name, _ = module_name(path)
    catalogue = catalogue or Catalogue.default()
    if not _may_matter(text, catalogue):
        return ModuleSummary(name)

    # LibCST loads only here: a run whose summaries all come from the result
    # cache must not import it.
    import libcst as cst

    from .context import LintContext, is_generator
    from .engine import too_deep_for_libcst

    # The lint pass reports such a file as AIO001; parsing it here would
    # crash the whole run before that.
    if too_deep_for_libcst(text, path):
        return ModuleSummary(name)
    try:
        module = cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError):
        return ModuleSummary(name)

    # Imported here because the rules import this module's types.
    from .rules.awaits import has_transparent_decorators
    from .rules.helpers import helper_effects

    context = LintContext(module, path)
    functions = []
    for statement in module.body:
        if not isinstance(statement, cst.FunctionDef):
            continue
        function = statement.name.value
        if statement.asynchronous is not None:
            if not is_generator(statement) and has_transparent_decorators(context, statement):
                functions.append((function, FunctionSummary(is_coroutine=True)))
            continue

        effects = helper_effects(context, catalogue, statement, context.module_scope)
        if effects.starts_loop is None and effects.blocks is None:
            continue
        functions.append((function, FunctionSummary(starts_loop=_qualify(effects.starts_loop, name), blocks=_qualify(effects.blocks, name))))
    return ModuleSummary(name, tuple(functions))


def summarize_paths(paths: Iterable[str], catalogue: Catalogue | None = None) -> ProjectSummary:
    """Read and summarise every file, in this process; unreadable files are left out."""
    modules = []
    for path in paths:
        try:
            with open(path, "rb") as handle:
                source = decode_source(handle.read())
        except (OSError, SourceDecodeError):
            # The lint pass reports the file as unreadable.
            continue
        modules.append(summarize_module(source.text, path, catalogue))
    return ProjectSummary.from_modules(modules)


def _may_matter(text: str, catalogue: Catalogue) -> bool:
    """Tell whether a file can define a coroutine function, a loop-starting or a blocking function.

    Parsing is most of a summary's cost, so files are screened first: a
    coroutine needs ``async def``, and every call the analysis recognises
    needs an import of its module (``import requests``, ``from os import
    path``), a builtin (``open(``) or ``run_until_complete``.
    """
    if "def " not in text:
        return False
    return _screen_for(catalogue).search(text) is not None


@functools.lru_cache(maxsize=8)
def _screen_for(catalogue: Catalogue) -> re.Pattern[str]:
    modules = {"asyncio", "uvloop"}
    builtins = set()
    for qualified in [*catalogue.calls, *catalogue.attributes]:
        head, _, rest = qualified.partition(".")
        if head == "builtins":
            builtins.add(rest.split(".", 1)[0])
        else:
            modules.add(head)
    imports = "|".join(sorted(map(re.escape, modules)))
    calls = "|".join(sorted(map(re.escape, builtins)))
    pattern = rf"^[ \t]*(?:import|from)[ \t]+(?:{imports})\b|\basync[ \t]+def\b|\brun_until_complete\b"
    if calls:
        pattern += rf"|\b(?:{calls})\("
    return re.compile(pattern, re.MULTILINE)


def _qualify(chain: tuple[str, ...] | None, module: str) -> tuple[str, ...] | None:
    """Prefix the module to each helper of a chain; the last element is the blocking or loop-starting call."""
    if chain is None:
        return None
    if not module:
        return chain
    return (*(f"{module}.{label}" for label in chain[:-1]), chain[-1])
