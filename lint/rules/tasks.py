"""AIO4xx: tasks, as_completed and the running loop.

These rules find coroutine code that runs but gives wrong results or loses
work: results paired with the wrong input, tasks that the garbage collector
may destroy mid-flight, and a loop lookup whose meaning depends on context.
"""

from __future__ import annotations

import libcst as cst

from ..diagnostic import Fix, FixSafety
from ..fixes import FixBuilder
from ..rule import Invalid, Rule
from ..scope import OwnCodeVisitor, Scope
from ..walk import walk
from ._common import describe, function_scope, is_event_loop

_AS_COMPLETED = frozenset({"asyncio.as_completed", "asyncio.tasks.as_completed"})
_GET_EVENT_LOOP = frozenset({"asyncio.get_event_loop", "asyncio.events.get_event_loop"})
_TASK_FACTORIES = frozenset(
    {"asyncio.create_task", "asyncio.tasks.create_task", "asyncio.ensure_future", "asyncio.tasks.ensure_future"}
)

_ORDER_ADVICE = (
    "as_completed() yields in completion order, not input order; return each input with its result, "
    "or use asyncio.gather()"
)


class AsCompletedOrder(Rule):
    code = "AIO401"
    name = "as-completed-order"
    summary = "Results of `asyncio.as_completed()` matched to their inputs by position"
    triggers = ("as_completed",)

    valid = (
        "import asyncio\nasync def load(tasks):\n    for done in asyncio.as_completed(tasks):\n        print(await done)\n",
        "import asyncio\nasync def load(names, coros):\n    return dict(zip(names, await asyncio.gather(*coros)))\n",
        "import asyncio\nasync def load(coros):\n"
        "    for i, done in enumerate(asyncio.as_completed(coros)):\n        print(i, await done)\n",
        "import asyncio\nasync def load(names, coros):\n    results = []\n"
        "    for done in asyncio.as_completed(coros):\n        results.append(await done)\n    return sorted(results)\n",
        "from concurrent.futures import as_completed\nasync def load(names, futures):\n"
        "    return list(zip(names, as_completed(futures)))\n",
        "import asyncio\ndef as_completed(x):\n    return x\nasync def load(names, coros):\n"
        "    return list(zip(names, as_completed(coros)))\n",
    )
    invalid = (
        Invalid(
            "import asyncio\nasync def load(names, coros):\n"
            "    for name, done in zip(names, asyncio.as_completed(coros)):\n        print(name, await done)\n",
            3, 23,
        ),
        Invalid(
            "import asyncio as aio\nasync def load(names, coros):\n"
            "    for i, done in enumerate(aio.as_completed(coros)):\n        print(names[i], await done)\n",
            3, 20,
        ),
        Invalid(
            "from asyncio import as_completed\nasync def load(names, coros):\n    prices = []\n"
            "    for done in as_completed(coros):\n        prices.append(await done)\n"
            "    return dict(zip(names, prices))\n",
            6, 17,
        ),
        Invalid(
            "import asyncio\nasync def load(names, coros):\n"
            "    prices = [await done for done in asyncio.as_completed(coros)]\n"
            "    return list(zip(prices, names))\n",
            4, 17,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if not self.context.on_event_loop():
            return
        if self.context.qualified_name(node.func) != "builtins.zip":
            return

        for arg in node.args:
            origin = self._completion_ordered(arg.value)
            if origin is None:
                continue

            others = [describe(other.value) for other in node.args if other is not arg]
            paired = ", ".join(others) or "another sequence"
            function = self.context.function_label()
            message = f"zip() in async function {function} pairs {paired} with {origin} by position, but {_ORDER_ADVICE}"
            self.report(node, message)
            return

    def visit_For(self, node: cst.For) -> None:
        if not self.context.on_event_loop():
            return
        iterator = node.iter
        if not isinstance(iterator, cst.Call) or self.context.qualified_name(iterator.func) != "builtins.enumerate":
            return
        if not iterator.args or not self._is_as_completed(iterator.args[0].value):
            return
        target = node.target
        if not isinstance(target, (cst.Tuple, cst.List)) or not target.elements:
            return
        index = target.elements[0].value
        if not isinstance(index, cst.Name):
            return

        finder = _IndexUseFinder(index.value)
        walk(node.body, finder)
        if finder.sequence is None:
            return

        function = self.context.function_label()
        message = (
            f"index {index.value} from enumerate(as_completed()) in async function {function} "
            f"looks up {describe(finder.sequence)}[{index.value}], but {_ORDER_ADVICE}"
        )
        self.report(iterator, message)

    def _is_as_completed(self, node: cst.BaseExpression, scope: Scope | None = None) -> bool:
        return isinstance(node, cst.Call) and self.context.qualified_name(node.func, scope) in _AS_COMPLETED

    def _completion_ordered(self, node: cst.BaseExpression) -> str | None:
        """Describe ``node`` when its items come in completion order, else None."""
        if self._is_as_completed(node):
            return "as_completed() results"
        if isinstance(node, cst.Name) and node.value in self._completion_lists():
            return f"{node.value} (filled from as_completed())"
        return None

    def _completion_lists(self) -> frozenset[str]:
        """Names in the current function filled from ``as_completed()`` in a loop or comprehension."""
        scope = function_scope(self.context)
        key = ("as-completed-lists", id(scope.node))
        memo = self.context.memo
        if key not in memo:
            finder = _CompletionListFinder(self, scope)
            walk(scope.node.body, finder)
            memo[key] = frozenset(finder.names)
        return memo[key]  # type: ignore[return-value]


class _CompletionListFinder(OwnCodeVisitor):
    """Collect ``x.append(...)`` in loops over ``as_completed()``, and comprehensions over it."""

    def __init__(self, rule: AsCompletedOrder, scope: Scope) -> None:
        super().__init__()
        self.rule = rule
        self.scope = scope
        self.names: set[str] = set()

    def visit_For(self, node: cst.For) -> None:
        if self.rule._is_as_completed(node.iter, self.scope):
            collector = _AppendCollector()
            walk(node.body, collector)
            self.names.update(collector.names)

    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value
        if isinstance(value, (cst.ListComp, cst.GeneratorExp)) and self.rule._is_as_completed(value.for_in.iter, self.scope):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self.names.add(target.target.value)


class _AppendCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "append" and isinstance(func.value, cst.Name):
            self.names.add(func.value.value)


class _IndexUseFinder(cst.CSTVisitor):
    """Find the first ``seq[index]`` in a loop body."""

    def __init__(self, index: str) -> None:
        super().__init__()
        self.index = index
        self.sequence: cst.BaseExpression | None = None

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if self.sequence is not None or len(node.slice) != 1:
            return
        element = node.slice[0].slice
        if isinstance(element, cst.Index) and isinstance(element.value, cst.Name) and element.value.value == self.index:
            self.sequence = node.value


class GetEventLoopInCoroutine(Rule):
    code = "AIO402"
    name = "get-event-loop-in-coroutine"
    summary = "`asyncio.get_event_loop()` called inside a coroutine instead of `get_running_loop()`"
    fix_safety = FixSafety.SAFE
    triggers = ("get_event_loop",)

    valid = (
        "import asyncio\nasync def load():\n    loop = asyncio.get_running_loop()\n",
        "import asyncio\ndef main():\n    loop = asyncio.get_event_loop()\n",
        "import asyncio\nasync def load(policy):\n    loop = policy.get_event_loop()\n",
        "import asyncio\nasync def load():\n    return lambda: asyncio.get_event_loop()\n",
        "async def load(asyncio):\n    loop = asyncio.get_event_loop()\n",
    )
    invalid = (
        Invalid(
            "import asyncio\nasync def load():\n    loop = asyncio.get_event_loop()\n",
            3, 12,
            "import asyncio\nasync def load():\n    loop = asyncio.get_running_loop()\n",
        ),
        Invalid(
            "from asyncio import get_event_loop\nasync def load(f):\n"
            "    return await get_event_loop().run_in_executor(None, f)\n",
            3, 18,
            "from asyncio import get_event_loop\nimport asyncio\nasync def load(f):\n"
            "    return await asyncio.get_running_loop().run_in_executor(None, f)\n",
        ),
        Invalid(
            "import asyncio as aio\nclass Feed:\n    async def start(self):\n        self.loop = aio.get_event_loop()\n",
            4, 21,
            "import asyncio as aio\nclass Feed:\n    async def start(self):\n        self.loop = aio.get_running_loop()\n",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if node.args or not self.context.on_event_loop():
            return
        if self.context.qualified_name(node.func) not in _GET_EVENT_LOOP:
            return

        function = self.context.function_label()
        message = (
            f"{describe(node.func)}() in async function {function} depends on the event loop policy; "
            "use asyncio.get_running_loop(), which returns the running loop"
        )
        self.report(node, message, self._fix_for(node))

    def _fix_for(self, node: cst.Call):  # type: ignore[no-untyped-def]
        func = node.func
        if isinstance(func, cst.Attribute):
            # `aio.get_event_loop()`: keep the module reference as written.
            def build_attribute(builder: FixBuilder) -> Fix:
                edit = builder.replace(func.attr, "get_running_loop")
                return Fix("Replace with `asyncio.get_running_loop()`", FixSafety.SAFE, (edit,))

            return build_attribute

        asyncio = self.context.module_reference("asyncio")
        if asyncio is None:
            return None
        reference, needs_import = asyncio

        def build(builder: FixBuilder) -> Fix:
            edits = [builder.replace(node.func, f"{reference}.get_running_loop")]
            if needs_import:
                edits.append(builder.import_edit(reference))
            return Fix("Replace with `asyncio.get_running_loop()`", FixSafety.SAFE, tuple(edits))

        return build


class DanglingTask(Rule):
    code = "AIO403"
    name = "dangling-task"
    summary = "A task created with `create_task()` or `ensure_future()` and not kept"
    triggers = ("create_task", "ensure_future")

    valid = (
        "import asyncio\nasync def main():\n    task = asyncio.create_task(work())\n    await task\n",
        "import asyncio\nasync def main():\n    async with asyncio.TaskGroup() as tg:\n        tg.create_task(work())\n",
        "import asyncio\nasync def main(tasks: set):\n    tasks.add(asyncio.create_task(work()))\n",
        "import asyncio\ndef on_message(loop):\n    loop.create_task(work())\n",
        "import asyncio\nasync def main(nursery):\n    nursery.create_task(work())\n",
        "async def main(asyncio):\n    asyncio.create_task(work())\n",
    )
    invalid = (
        Invalid("import asyncio\nasync def main():\n    asyncio.create_task(work())\n", 3, 5),
        Invalid("from asyncio import ensure_future as spawn\nasync def main():\n    spawn(work())\n", 3, 5),
        Invalid("import asyncio\nasync def main():\n    asyncio.get_running_loop().create_task(work())\n", 3, 5),
        Invalid(
            "import asyncio\nclass Feed:\n    def __init__(self):\n        self.loop = asyncio.new_event_loop()\n"
            "    async def start(self):\n        self.loop.create_task(self.poll())\n",
            6, 9,
        ),
    )

    def visit_Expr(self, node: cst.Expr) -> None:
        call = node.value
        if not isinstance(call, cst.Call) or not self.context.on_event_loop():
            return
        if not self._creates_task(call.func):
            return

        function = self.context.function_label()
        factory = self.context.qualified_name(call.func) or describe(call.func)
        message = (
            f"the task from {factory}() in async function {function} is discarded, "
            "so it can be garbage-collected before it finishes; keep a reference, or use asyncio.TaskGroup"
        )
        self.report(call, message)

    def _creates_task(self, func: cst.BaseExpression) -> bool:
        if self.context.qualified_name(func) in _TASK_FACTORIES:
            return True
        return isinstance(func, cst.Attribute) and func.attr.value == "create_task" and is_event_loop(self.context, func.value)
