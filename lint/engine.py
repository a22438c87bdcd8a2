"""Linting one source text: parse once, run every rule in one traversal.

Rules never walk the tree themselves. The engine builds one table from node
type to the rule callbacks interested in it and makes a single pass over the
tree, keeping the shared context (scopes, ancestors) up to date as it goes.
Positions are computed only for files that have findings.
"""

from __future__ import annotations

import ast
import contextlib
import re
import sys
import warnings
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from .catalogue import BlockingCall, Catalogue
from .codes import INTERNAL_ERROR, PARSE_ERROR
from .context import LintContext
from .diagnostic import Diagnostic, Position
from .fixes import FixBuilder
from .project import ProjectSummary
from .rule import Report, Rule
from .scope import COMPREHENSIONS, Scope
from .walk import walk


# LibCST's message carries the real position as "error at LINE:COL"; the
# exception's raw_line and raw_column often point at the start of the file.
_PARSER_POSITION = re.compile(r"error at (\d+):(\d+)")

# CPython's messages for code nested beyond its parser's limits.
_TOO_DEEP = ("the parser stopped with", "too many nested parentheses", "too many levels of indentation", "too many statically nested blocks")

_SCOPE_NODES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
# The fields whose on_visit_attribute and on_leave_attribute the batched
# visitor acts on; walk() skips those calls for every other field.
_HOOKED_ATTRIBUTES = frozenset({"body"})
_COMPREHENSION_TYPES = frozenset(COMPREHENSIONS)

# The traversal recurses once per tree level, and long implicit string
# concatenations (hundreds of lines) nest that deep. Python 3.11 and newer do
# not use the C stack for these pure-Python calls, so a high limit is safe
# there; Python 3.10 does, so it gets a smaller raise.
_TRAVERSAL_RECURSION_LIMIT = 20_000 if sys.version_info >= (3, 11) else 6_000


@dataclass(frozen=True)
class LintOptions:
    """Settings that change what rules find, shared by all files of a run."""

    catalogue: Catalogue = field(default_factory=Catalogue.default)
    # Summaries of the other modules of the run, for rules that follow
    # imports (see asynclint.project); None lints each file on its own.
    project: ProjectSummary | None = None

    @classmethod
    def with_extra_blocking_calls(cls, extra: Iterable[BlockingCall]) -> LintOptions:
        return cls(catalogue=Catalogue.default().extended(extra))


def lint_text(
    text: str,
    path: str,
    rules: Sequence[type[Rule]],
    options: LintOptions | None = None,
) -> list[Diagnostic]:
    """Return the findings of ``rules`` on one decoded source text."""
    options = options or LintOptions()
    active = active_rules(rules, text, options.project)
    # LibCST's native parser has no depth guard: on code nested deeper than
    # CPython accepts it overflows the C stack and kills the process. CPython's
    # parser stops cleanly, so it reads every file first.
    python_error = _python_syntax_error(text, path)
    if python_error is not None and any(words in str(python_error.msg) for words in _TOO_DEEP):
        line, column = python_error.lineno or 1, max((python_error.offset or 1) - 1, 0)
        message = f"{path} is nested too deeply for Python's parser ({python_error.msg}); split the deepest expression"
        return [_error(PARSE_ERROR, path, Position(line, column), message)]
    if not active:
        # No rule can fire, so skip LibCST. A syntax error must still be
        # reported, and CPython's parser finds one much faster.
        if python_error is None:
            return []
        active = []

    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        return [_parse_error(path, text, error)]
    except RecursionError:
        return [_error(PARSE_ERROR, path, Position(1, 0), f"{path} is nested too deeply for the parser; split the deepest expression")]

    if "\x00" in text:
        return [_error(PARSE_ERROR, path, Position(1, 0), f"{path} contains a null byte, which Python source cannot contain")]
    # LibCST reads some code that this Python rejects (syntax of a newer
    # version, for one): report that next to the findings, never instead.
    syntax = [] if python_error is None else [_python_parse_error(path, python_error)]
    if not active:
        return syntax

    reports: list[Report] = []
    context = LintContext(module, path)
    context.declared_types = options.catalogue.declared_types
    visitor = _BatchedVisitor(context, [rule(context, options, reports) for rule in active])
    try:
        with _recursion_limit(_TRAVERSAL_RECURSION_LIMIT):
            walk(module, visitor, _HOOKED_ATTRIBUTES)
            diagnostics = _materialize(module, text, path, reports)
    except RecursionError:
        return [_error(PARSE_ERROR, path, Position(1, 0), f"{path} is nested too deeply to analyse; split the deepest expression")]

    diagnostics.extend(visitor.internal_errors)
    diagnostics.extend(syntax)
    return sorted(diagnostics, key=lambda d: d.sort_key)


def active_rules(rules: Sequence[type[Rule]], text: str, project: ProjectSummary | None = None) -> list[type[Rule]]:
    """Return the rules whose trigger words occur in ``text``: the others cannot fire.

    Most rules share the word ``async``, so each distinct word is searched
    for once, not once per rule. A cross-module rule also fires on a file
    that names a module of ``project`` with a summarised function.
    """
    present: dict[str, bool] = {}
    active = []
    imports_summarised: bool | None = None
    for rule in rules:
        for word in rule.triggers:
            found = present.get(word)
            if found is None:
                found = present[word] = word in text
            if found:
                active.append(rule)
                break
        else:
            if rule.cross_module and project is not None:
                if imports_summarised is None:
                    imports_summarised = any(word in text for word in project.import_words)
                if imports_summarised:
                    active.append(rule)
    return active


def too_deep_for_libcst(text: str, path: str) -> bool:
    """Tell whether CPython stops on ``text`` for its nesting depth.

    LibCST's parser has no such guard and would overflow the C stack on
    that text, so no caller may hand it to ``cst.parse_module``.
    """
    error = _python_syntax_error(text, path)
    return error is not None and any(words in str(error.msg) for words in _TOO_DEEP)


def _compiles(text: str, path: str) -> bool:
    return _python_syntax_error(text, path) is None


@contextlib.contextmanager
def _recursion_limit(limit: int) -> Iterator[None]:
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def _parse_error(path: str, text: str, error: cst.ParserSyntaxError) -> Diagnostic:
    """Describe a file LibCST cannot parse, preferring CPython's own words.

    CPython's message and position are the ones users know from tracebacks;
    LibCST's are used only when CPython parses the file (a construct that
    LibCST does not support).
    """
    python_error = _python_syntax_error(text, path)
    if python_error is not None:
        line = python_error.lineno or 1
        column = max((python_error.offset or 1) - 1, 0)
        message = f"cannot parse {path} at line {line}, column {column + 1}: {python_error.msg}"
        return _error(PARSE_ERROR, path, Position(line, column), message)

    match = _PARSER_POSITION.search(error.message)
    if match:
        line, column = int(match.group(1)), max(int(match.group(2)) - 1, 0)
    else:
        line, column = error.raw_line, error.raw_column
    first_line = error.message.splitlines()[0] if error.message else "invalid syntax"
    detail = _PARSER_POSITION.sub("", first_line.removeprefix("parser error: ")).lstrip(": ")
    message = (
        f"LibCST cannot parse {path} at line {line}, column {column + 1}, although Python can: {detail}; "
        "exclude the file or report the construct to LibCST"
    )
    return _error(PARSE_ERROR, path, Position(line, column), message)


def _python_parse_error(path: str, error: SyntaxError) -> Diagnostic:
    line, column = error.lineno or 1, max((error.offset or 1) - 1, 0)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    message = f"Python {version} cannot parse {path} at line {line}, column {column + 1}: {error.msg}"
    return _error(PARSE_ERROR, path, Position(line, column), message)


def _python_syntax_error(text: str, path: str) -> SyntaxError | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text, filename=path)
    except SyntaxError as error:
        return error
    except ValueError as error:
        return SyntaxError(str(error), (path, 1, 1, ""))
    except (RecursionError, MemoryError) as error:
        return SyntaxError(f"the parser stopped with {type(error).__name__}", (path, 1, 1, ""))
    return None


def _error(kind: tuple[str, str], path: str, where: Position, message: str) -> Diagnostic:
    code, name = kind
    return Diagnostic(code=code, name=name, message=message, path=path, start=where, end=where)


def _internal_error(rule: type[Rule], path: str, error: Exception) -> Diagnostic:
    message = (
        f"internal error in rule {rule.code} ({rule.name}) on {path}: "
        f"{type(error).__name__}: {error}; please report it with this file"
    )
    return _error(INTERNAL_ERROR, path, Position(1, 0), message)


def _materialize(module: cst.Module, text: str, path: str, reports: list[Report]) -> list[Diagnostic]:
    """Turn reports into diagnostics, computing positions and fixes."""
    if not reports:
        return []

    builder = FixBuilder(module, text, _positions(module))

    diagnostics = []
    for report in reports:
        fix = None
        if report.fix is not None:
            try:
                fix = report.fix(builder)
            except Exception as error:  # noqa: BLE001 - report the finding without its fix
                diagnostics.append(_internal_error(report.rule, path, error))
        diagnostics.append(
            Diagnostic(
                code=report.rule.code,
                name=report.rule.name,
                message=report.message,
                path=path,
                start=builder.start(report.node),
                end=builder.end(report.node),
                fix=fix,
            )
        )
    return diagnostics


def _positions(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    """Return the position of every node, from one code generation pass.

    MetadataWrapper.resolve(PositionProvider) does the same code generation
    but first walks the whole tree once more for providers that this run does
    not use; on Python 3.11's asyncio package with LibCST 1.9 that walk cost
    about as much as the code generation. The provider's own generation step
    is LibCST's internal API, so any change there falls back to the wrapper.
    """
    try:
        provider = PositionProvider()
        provider._gen_impl(module)
        positions = provider._computed
        if module in positions:
            return positions  # type: ignore[return-value]
    except (AttributeError, TypeError):
        pass
    return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)


Callback = Callable[[cst.CSTNode], object]


class _BatchedVisitor(cst.CSTVisitor):
    """Dispatches each node to the rules that have a callback for its type."""

    def __init__(self, context: LintContext, rules: list[Rule]) -> None:
        super().__init__()
        self.context = context
        self.internal_errors: list[Diagnostic] = []
        self._visits: dict[str, list[tuple[Rule, Callback]]] = {}
        self._leaves: dict[str, list[tuple[Rule, Callback]]] = {}
        self._failed: set[int] = set()

        for rule in rules:
            for attribute in _callback_names(type(rule)):
                table = self._visits if attribute.startswith("visit_") else self._leaves
                node_type = attribute.split("_", 1)[1]
                table.setdefault(node_type, []).append((rule, getattr(rule, attribute)))

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.context.ancestors.append(node)
        callbacks = self._visits.get(type(node).__name__)
        if callbacks:
            self._dispatch(callbacks, node)
        # A comprehension's `for` targets are local to it; its callbacks above
        # still see the enclosing scope.
        if type(node) in _COMPREHENSION_TYPES:
            self.context.scopes.append(self._scope_for(node))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if type(original_node) in _COMPREHENSION_TYPES:
            self.context.scopes.pop()
        callbacks = self._leaves.get(type(original_node).__name__)
        if callbacks:
            self._dispatch(callbacks, original_node)
        self.context.ancestors.pop()

    # A function's decorators, defaults and annotations run in the enclosing
    # scope, so the new scope starts at its body, not at the `def`.
    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if attribute == "body" and isinstance(node, _SCOPE_NODES):
            self.context.scopes.append(self._scope_for(node))

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        if attribute == "body" and isinstance(original_node, _SCOPE_NODES):
            self.context.scopes.pop()

    def _scope_for(self, node: cst.CSTNode) -> Scope:
        return Scope(node, self.context.scope)  # type: ignore[arg-type]

    def _dispatch(self, callbacks: list[tuple[Rule, Callback]], node: cst.CSTNode) -> None:
        for rule, callback in callbacks:
            if id(rule) in self._failed:
                continue
            try:
                callback(node)
            except Exception as error:  # noqa: BLE001 - one broken rule must not stop the others
                self._failed.add(id(rule))
                self.internal_errors.append(_internal_error(type(rule), self.context.path, error))


_CALLBACK_CACHE: dict[type[Rule], tuple[str, ...]] = {}


def _callback_names(rule: type[Rule]) -> tuple[str, ...]:
    if rule not in _CALLBACK_CACHE:
        _CALLBACK_CACHE[rule] = tuple(
            name for name in dir(rule) if name.startswith(("visit_", "leave_")) and callable(getattr(rule, name))
        )
    return _CALLBACK_CACHE[rule]
