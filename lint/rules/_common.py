"""Helpers shared by several rule modules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from ..catalogue import BlockingCall
from ..context import LintContext
from ..project import FunctionSummary, resolve_relative
from ..scope import ImportBinding, Scope
from ..typeinfo import EVENT_LOOP, EXECUTOR_TYPES

if TYPE_CHECKING:
    from ..engine import LintOptions

# Calls that start an event loop and run it until a coroutine finishes.
_LOOP_STARTING_FUNCTIONS = frozenset({"asyncio.run", "asyncio.runners.run", "uvloop.run"})


def row_applies(row: BlockingCall, call: cst.Call) -> bool:
    """Tell whether ``call`` passes what the catalogue row needs to do I/O."""
    positional = sum(1 for arg in call.args if arg.keyword is None and arg.star != "**")
    keywords = [arg.keyword.value for arg in call.args if arg.keyword is not None]
    return row.accepts(positional, keywords)


def describe(node: cst.BaseExpression) -> str:
    """Render a callee for messages: ``self.loop.run_until_complete``."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{describe(node.value)}.{node.attr.value}"
    if isinstance(node, cst.Call):
        return f"{describe(node.func)}()"
    return "(...)"


def display_name(qualified: str) -> str:
    """Show ``builtins.open`` as ``open``; other names stay as they are."""
    return qualified.removeprefix("builtins.")


def loop_starter(context: LintContext, func: cst.BaseExpression, scope: Scope | None = None) -> str | None:
    """Return a label when ``func`` starts an event loop, else None.

    ``run_until_complete`` exists only on asyncio event loops, so any
    receiver counts. ``run`` counts only on a known ``asyncio.Runner``,
    because ``app.run()`` and ``bot.run()`` are common and unrelated.
    """
    name = context.qualified_name(func, scope)
    if name in _LOOP_STARTING_FUNCTIONS:
        return name
    if not isinstance(func, cst.Attribute):
        return None

    method = func.attr.value
    if method == "run_until_complete":
        return describe(func)
    if method == "run" and context.type_of(func.value, scope) == "asyncio.Runner":
        return describe(func)
    return None


def is_statement_value(context: LintContext, node: cst.CSTNode) -> bool:
    """Tell whether ``node`` is a whole statement, or the value assigned or returned.

    Fixes that add ``await`` are offered only there, because no operator
    precedence or comprehension scoping can change the meaning. They are also
    offered only directly in an ``async def`` body, because ``await`` is a
    syntax error in a class body, even one nested in a coroutine.
    """
    innermost = context.scope.node
    if not (isinstance(innermost, cst.FunctionDef) and innermost.asynchronous is not None):
        return False
    parent = context.parent(node)
    if isinstance(parent, cst.Expr):
        return parent.value is node
    if isinstance(parent, (cst.Assign, cst.AnnAssign, cst.Return)):
        return parent.value is node
    return False


def awaiting_statement(context: LintContext, node: cst.CSTNode) -> cst.Await | None:
    """Return the ``await`` around ``node`` when that await is a whole statement or value."""
    parent = context.parent(node)
    if isinstance(parent, cst.Await) and is_statement_value(context, parent):
        return parent
    return None


def imported_function(context: LintContext, options: LintOptions, func: cst.BaseExpression) -> FunctionSummary | None:
    """Return the summary of a function that ``func`` imports from another module of the run.

    Absolute imports (``from pkg.helpers import load``, ``helpers.load``
    after ``import pkg.helpers as helpers``) and relative ones
    (``from .helpers import load``) are resolved; anything else gives None.
    """
    project = options.project
    if project is None:
        return None
    name = context.qualified_name(func) or _relative_name(context, func)
    return project.function(name) if name else None


def is_coroutine_function(context: LintContext, options: LintOptions, node: cst.BaseExpression) -> bool:
    """Tell whether ``node`` names an ``async def`` of this module, or one imported from another module of the run."""
    if context.resolve_function(node) is not None:
        return context.is_coroutine_function(node)
    imported = imported_function(context, options, node)
    return imported is not None and imported.is_coroutine


def _relative_name(context: LintContext, node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Attribute):
        base = _relative_name(context, node.value)
        return f"{base}.{node.attr.value}" if base else None
    if not isinstance(node, cst.Name):
        return None

    found = context.lookup(node.value)
    if found is None:
        return None
    relatives = {getattr(binding, "relative", None) for binding in found[1]}
    if len(relatives) != 1 or not all(isinstance(binding, ImportBinding) for binding in found[1]):
        return None
    relative = relatives.pop()
    return resolve_relative(relative, context.path) if relative else None


def function_scope(context: LintContext) -> Scope:
    """Return the innermost function, class or module scope, skipping comprehension scopes."""
    for scope in reversed(context.scopes):
        if isinstance(scope.node, (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.Module)):
            return scope
    return context.module_scope


def inside_comprehension(context: LintContext) -> bool:
    """Tell whether the node being visited is inside a comprehension of the current function.

    Adding ``await`` there would turn the comprehension into an asynchronous
    one, which changes what a generator expression produces.
    """
    for node in reversed(context.ancestors):
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)):
            return True
        if isinstance(node, (cst.FunctionDef, cst.Lambda)):
            return False
    return False


@dataclass(frozen=True)
class ThreadDispatch:
    """A call that runs a callable in a worker thread or process."""

    label: str
    target: cst.BaseExpression
    arguments: tuple[cst.Arg, ...]
    accepts_keywords: bool


def thread_dispatch(context: LintContext, call: cst.Call) -> ThreadDispatch | None:
    """Recognise ``run_in_executor``, ``submit``, ``map``, ``to_thread`` and ``Thread(target=...)``."""
    func = call.func
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]

    if isinstance(func, cst.Attribute):
        method = func.attr.value
        if method == "run_in_executor" and len(positional) >= 2:
            return ThreadDispatch(f"{describe(func)}()", positional[1].value, tuple(call.args[2:]), False)

        if method in ("submit", "map") and positional:
            receiver = context.type_of(func.value)
            if receiver in EXECUTOR_TYPES:
                short = receiver.rsplit(".", 1)[1]
                return ThreadDispatch(f"{short}.{method}()", positional[0].value, tuple(call.args[1:]), method == "submit")

    name = context.qualified_name(func)
    if name == "asyncio.to_thread" and positional:
        return ThreadDispatch("asyncio.to_thread()", positional[0].value, tuple(call.args[1:]), True)

    if name in ("threading.Thread", "threading.Timer", "multiprocessing.Process"):
        target = next((arg.value for arg in call.args if arg.keyword and arg.keyword.value == "target"), None)
        if name == "threading.Timer" and target is None and len(positional) >= 2:
            target = positional[1].value
        if target is not None:
            return ThreadDispatch(f"{name}()", target, (), False)
    return None


def partial_target(context: LintContext, node: cst.BaseExpression) -> cst.BaseExpression:
    """Return ``f`` for ``functools.partial(f, ...)``, else ``node`` itself."""
    if isinstance(node, cst.Call) and context.qualified_name(node.func) == "functools.partial" and node.args:
        first = node.args[0]
        if first.keyword is None and not first.star:
            return first.value
    return node


def is_event_loop(context: LintContext, node: cst.BaseExpression) -> bool:
    return context.type_of(node) == EVENT_LOOP
