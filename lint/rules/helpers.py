"""AIO103 and AIO210: sync helpers that start an event loop or block, called from a coroutine.

A coroutine that calls ``self.insert(doc)`` looks harmless, but when
``insert`` runs ``loop.run_until_complete`` or ``requests.get`` the effect on
the running loop is the same as writing that call in the coroutine. The
analysis follows calls between the functions and methods of one module
(``self.method`` and ``cls.method`` of the same class included), several
steps deep, and the message shows the chain of calls. Functions imported
from other modules of the run are looked up in ``LintOptions.project``.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from ..catalogue import BlockingCall, Catalogue
from ..context import LintContext, is_generator
from ..diagnostic import Fix, FixSafety
from ..fixes import FixBuilder, await_to_thread
from ..rule import Invalid, Rule
from ..scope import OwnCodeVisitor, Scope
from ..walk import walk
from ..project import FunctionSummary
from ._common import describe, display_name, imported_function, is_coroutine_function, is_statement_value, loop_starter, row_applies

# Chains longer than this are not followed; real helper chains are short,
# and the bound keeps the analysis of large modules cheap.
_MAX_CHAIN = 6

# Calls that show a helper checks for a running loop before it starts one,
# as sync wrappers of async APIs do.
_LOOP_CHECKS = frozenset({"asyncio.get_running_loop", "asyncio._get_running_loop", "asyncio.events._get_running_loop"})

# The async twin of `insert` is looked up under these names.
_TWIN_PATTERNS = ("a{}", "async_{}", "{}_async")


@dataclass(frozen=True)
class HelperEffects:
    """The effects of calling a sync function, each as the chain of calls that leads to it.

    A chain starts with the function itself and ends with the call that
    starts a loop or blocks: ``("DocIndex.insert", "loop.run_until_complete")``.
    """

    starts_loop: tuple[str, ...] | None
    blocks: tuple[str, ...] | None


_NO_EFFECTS = HelperEffects(None, None)


def helper_effects(context: LintContext, catalogue: Catalogue, function: cst.FunctionDef, owner: Scope) -> HelperEffects:
    """Return the effects of calling the sync ``function`` defined in ``owner``, memoised per module."""
    return _effects(context, catalogue, function, owner, frozenset())


def _effects(
    context: LintContext, catalogue: Catalogue, function: cst.FunctionDef, owner: Scope, visiting: frozenset[int]
) -> HelperEffects:
    key = ("helper-effects", id(function))
    if key in context.memo:
        return context.memo[key]  # type: ignore[return-value]
    if function.asynchronous is not None or is_generator(function) or len(visiting) >= _MAX_CHAIN:
        return _NO_EFFECTS

    label = _function_label(function, owner)
    scope = Scope(function, owner)
    collector = _CallCollector()
    walk(function.body, collector)

    starts_loop: tuple[str, ...] | None = None
    blocks: tuple[str, ...] | None = None
    checks_loop = False
    inner_visiting = visiting | {id(function)}
    for call in collector.calls:
        if context.qualified_name(call.func, scope) in _LOOP_CHECKS or _is_is_running(call):
            checks_loop = True
        if starts_loop is None:
            starter = loop_starter(context, call.func, scope)
            if starter is not None:
                starts_loop = (label, starter)
        if blocks is None:
            row = blocking_row_in(context, catalogue, call, scope)
            if row is not None:
                blocks = (label, _call_label(context, call, row, scope))
        if starts_loop is not None and blocks is not None:
            break

        callee = context.resolve_definition(call.func, scope)
        if callee is None or id(callee[0]) in inner_visiting:
            continue
        inner = _effects(context, catalogue, callee[0], callee[1], inner_visiting)
        if starts_loop is None and inner.starts_loop is not None:
            starts_loop = (label, *inner.starts_loop)
        if blocks is None and inner.blocks is not None:
            blocks = (label, *inner.blocks)

    if checks_loop:
        # A sync wrapper that checks for a running loop takes another path
        # when one is running, so it does not start a nested loop.
        starts_loop = None
    result = HelperEffects(starts_loop, blocks)
    # NOTE: inside a cycle (A calls B calls A) the result for B omits what
    # only A does, because A is being analysed; that can miss an alarm but
    # never raises a false one, and memoising keeps large modules linear.
    context.memo[key] = result
    return result


def blocking_row_in(context: LintContext, catalogue: Catalogue, call: cst.Call, scope: Scope | None) -> BlockingCall | None:
    """Return the catalogue row of a blocking call, looking names up from ``scope``."""
    func = call.func
    name = context.qualified_name(func, scope)
    row = catalogue.calls.get(name) if name else None
    if row is None and isinstance(func, cst.Attribute) and func.attr.value in catalogue.method_names:
        receiver = context.type_of(func.value, scope)
        if receiver is not None:
            row = catalogue.calls.get(f"{receiver}.{func.attr.value}")
    if row is not None and not row_applies(row, call):
        return None
    return row


class _HelperCallRule(Rule):
    """Base of the rules that report calls, on the event loop, of sync functions of the run.

    The helper is a function or method of this module, or a function that
    another module of the run defines and this one imports.
    """

    cross_module = True

    def visit_Call(self, node: cst.Call) -> None:
        if not self.context.on_event_loop() or isinstance(self.context.parent(node), cst.Await):
            return
        effects: HelperEffects | FunctionSummary | None
        callee = self.context.resolve_definition(node.func)
        if callee is not None:
            if callee[0].asynchronous is not None:
                return
            helper = callee[0].name.value
            effects = helper_effects(self.context, self.options.catalogue, *callee)
        else:
            helper = describe(node.func)
            effects = imported_function(self.context, self.options, node.func)
        if effects is None:
            return

        chain = self._chain(effects)
        if chain is None:
            return
        function = self.context.function_label()
        self.report_chain(node, helper, " -> ".join((function, *chain)))

    def _chain(self, effects: HelperEffects | FunctionSummary) -> tuple[str, ...] | None:
        raise NotImplementedError

    def report_chain(self, node: cst.Call, helper: str, chain: str) -> None:
        raise NotImplementedError


class EventLoopStartingHelper(_HelperCallRule):
    code = "AIO103"
    name = "event-loop-starting-helper"
    summary = "A sync helper that starts an event loop (`asyncio.run`, `run_until_complete`), called from a coroutine"

    valid = (
        "import asyncio\ndef main():\n    asyncio.run(serve())\nif __name__ == '__main__':\n    main()\n",
        "import asyncio\ndef insert(d):\n    asyncio.run(save(d))\nasync def ingest(d):\n    await asyncio.to_thread(insert, d)\n",
        "import asyncio\ndef insert(d):\n    try:\n        asyncio.get_running_loop()\n    except RuntimeError:\n"
        "        return asyncio.run(save(d))\n    return save(d)\nasync def ingest(d):\n    pending = insert(d)\n",
        "import asyncio\ndef insert(d):\n    asyncio.run(save(d))\nasync def ingest(index, d):\n    index.insert(d)\n",
        "import asyncio\ndef insert(d):\n    def later():\n        asyncio.run(save(d))\n    return later\nasync def ingest(d):\n    insert(d)\n",
    )
    invalid = (
        Invalid(
            "import asyncio\nclass DocIndex:\n    def insert(self, d):\n"
            "        return asyncio.get_event_loop().run_until_complete(self.ainsert(d))\n"
            "    async def ainsert(self, d):\n        return d\n    async def ingest(self, d):\n        self.insert(d)\n",
            8, 9,
        ),
        Invalid(
            "import asyncio as aio\ndef _run(c):\n    return aio.run(c)\ndef load(t):\n    return _run(fetch(t))\n"
            "async def refresh(t):\n    rows = load(t)\n",
            7, 12,
        ),
    )

    def _chain(self, effects: HelperEffects | FunctionSummary) -> tuple[str, ...] | None:
        return effects.starts_loop

    def report_chain(self, node: cst.Call, helper: str, chain: str) -> None:
        twin = self._async_twin(node.func)
        advice = f"await {twin}() instead" if twin else f"make {helper} async and await it"
        message = f"{describe(node.func)}() starts an event loop inside the running one ({chain}); {advice}"
        self.report(node, message)

    def _async_twin(self, func: cst.BaseExpression) -> str | None:
        """Return how to call the async version of the helper, such as ``self.ainsert``."""
        if isinstance(func, cst.Name):
            name, make = func.value, (lambda twin: cst.Name(twin))
        elif isinstance(func, cst.Attribute):
            name, make = func.attr.value, (lambda twin: func.with_changes(attr=cst.Name(twin)))
        else:
            return None

        for pattern in _TWIN_PATTERNS:
            candidate = make(pattern.format(name))
            if is_coroutine_function(self.context, self.options, candidate):
                return describe(candidate)
        return None


class BlockingHelperCall(_HelperCallRule):
    code = "AIO210"
    name = "blocking-helper-call"
    summary = "A sync helper that makes a blocking call (AIO201 to AIO206), called from a coroutine"
    fix_safety = FixSafety.UNSAFE

    valid = (
        "import time\ndef pause():\n    time.sleep(1)\nasync def poll():\n    await asyncio.to_thread(pause)\n",
        "import time\ndef pause():\n    time.sleep(1)\ndef poll():\n    pause()\n",
        "import requests\ndef fetch(u):\n    return requests.get(u)\nasync def poll(client, u):\n    client.fetch(u)\n",
        "def fetch(requests, u):\n    return requests.get(u)\nasync def poll(r, u):\n    fetch(r, u)\n",
        "import requests\ndef fetch(u):\n    yield requests.get(u)\nasync def poll(u):\n    return fetch(u)\n",
    )
    invalid = (
        Invalid(
            "import asyncio\nimport requests\ndef fetch(u):\n    return requests.get(u)\n"
            "async def poll(u):\n    page = fetch(u)\n",
            6, 12,
            "import asyncio\nimport requests\ndef fetch(u):\n    return requests.get(u)\n"
            "async def poll(u):\n    page = await asyncio.to_thread(fetch, u)\n",
        ),
        Invalid(
            "import sqlite3\nclass Store:\n    def __init__(self, path):\n        self.db = sqlite3.connect(path)\n"
            "    def _save(self, row):\n        self.db.execute('insert', row)\n"
            "    def save(self, row):\n        self._save(row)\n"
            "    async def ingest(self, row):\n        if row:\n            self.save(row)\n",
            11, 13,
            "import sqlite3\nimport asyncio\nclass Store:\n    def __init__(self, path):\n        self.db = sqlite3.connect(path)\n"
            "    def _save(self, row):\n        self.db.execute('insert', row)\n"
            "    def save(self, row):\n        self._save(row)\n"
            "    async def ingest(self, row):\n        if row:\n            await asyncio.to_thread(self.save, row)\n",
        ),
    )

    def _chain(self, effects: HelperEffects | FunctionSummary) -> tuple[str, ...] | None:
        return effects.blocks

    def report_chain(self, node: cst.Call, helper: str, chain: str) -> None:
        name = describe(node.func)
        message = f"{name}() blocks the event loop ({chain}); await asyncio.to_thread({name}, ...) or make it async"
        self.report(node, message, self._fix_for(node))

    def _fix_for(self, node: cst.Call):  # type: ignore[no-untyped-def]
        if not is_statement_value(self.context, node):
            return None
        asyncio = self.context.module_reference("asyncio")
        if asyncio is None:
            return None

        def build(builder: FixBuilder) -> Fix:
            edits = await_to_thread(builder, node, asyncio)
            return Fix(f"Run `{describe(node.func)}()` in a worker thread with `await asyncio.to_thread()`", FixSafety.UNSAFE, tuple(edits))

        return build


class _CallCollector(OwnCodeVisitor):
    """Collect the calls that run when a function runs, in source order.

    Nested functions, lambdas and classes run later or elsewhere, so their
    bodies are skipped.
    """

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)



def _function_label(function: cst.FunctionDef, owner: Scope) -> str:
    if isinstance(owner.node, cst.ClassDef):
        return f"{owner.node.name.value}.{function.name.value}"
    return function.name.value


def _call_label(context: LintContext, call: cst.Call, row: BlockingCall, scope: Scope) -> str:
    """Name a blocking call in a chain: its canonical name, or the source for a method on a typed value."""
    name = context.qualified_name(call.func, scope)
    if name == row.name:
        return display_name(name)
    return describe(call.func)


def _is_is_running(call: cst.Call) -> bool:
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == "is_running"
