"""AIO1xx: event loops started where one is already running.

``asyncio.run`` and ``run_until_complete`` start an event loop and block
until a coroutine finishes. Inside a coroutine the running loop is stalled
while they run (or they raise at once), and handed to a worker thread they
start a second loop whose futures are bound to the wrong loop.
"""

from __future__ import annotations

import libcst as cst

from ..diagnostic import Fix, FixSafety
from ..fixes import FixBuilder, unwrap_to_awaited
from ..rule import Invalid, Rule
from ..walk import walk
from ._common import awaiting_statement, describe, is_statement_value, loop_starter, partial_target, thread_dispatch


class NestedEventLoop(Rule):
    code = "AIO101"
    name = "nested-event-loop"
    summary = "`asyncio.run()` or `run_until_complete()` called inside a coroutine"
    fix_safety = FixSafety.SAFE

    valid = (
        "import asyncio\nasync def main():\n    await work()\nasyncio.run(main())\n",
        "import asyncio\ndef sync_entry():\n    asyncio.run(work())\n",
        "import asyncio\nasync def main(app):\n    app.run()\n",
        "import uvicorn\nasync def serve(app):\n    uvicorn.run(app)\n",
        "import asyncio\nasync def main(loop):\n    await loop.run_in_executor(None, lambda: asyncio.run(work()))\n",
        "def run(x):\n    pass\nasync def main():\n    run(work())\n",
    )
    invalid = (
        Invalid(
            "import asyncio\nasync def load():\n    asyncio.run(fetch())\n",
            3, 5,
            "import asyncio\nasync def load():\n    await fetch()\n",
        ),
        Invalid(
            "import asyncio as aio\nasync def load():\n    rows = aio.run(fetch(1))\n",
            3, 12,
            "import asyncio as aio\nasync def load():\n    rows = await fetch(1)\n",
        ),
        Invalid(
            "from asyncio import run\nasync def load():\n    return run(fetch())\n",
            3, 12,
            "from asyncio import run\nasync def load():\n    return await fetch()\n",
        ),
        Invalid(
            "import asyncio\nasync def load():\n    asyncio.get_event_loop().run_until_complete(fetch())\n",
            3, 5,
            "import asyncio\nasync def load():\n    await fetch()\n",
        ),
        Invalid(
            "import asyncio\nasync def load(coro):\n    asyncio.run(coro)\n",
            3, 5,
        ),
        Invalid(
            "import asyncio\nasync def load():\n    with asyncio.Runner() as runner:\n        runner.run(fetch())\n",
            4, 9,
            "import asyncio\nasync def load():\n    with asyncio.Runner() as runner:\n        await fetch()\n",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if not self.context.on_event_loop():
            return

        starter = loop_starter(self.context, node.func)
        if starter is None:
            return

        function = self.context.function_label()
        message = (
            f"{starter}() in async function {function} starts an event loop inside the running one; "
            "await the coroutine instead"
        )
        self.report(node, message, self._fix_for(node))

    def _fix_for(self, node: cst.Call):  # type: ignore[no-untyped-def]
        if len(node.args) != 1 or node.args[0].keyword is not None or node.args[0].star:
            return None
        coroutine = node.args[0].value
        if not isinstance(coroutine, cst.Call) or not is_statement_value(self.context, node):
            return None

        def build(builder: FixBuilder) -> Fix:
            return unwrap_to_awaited(builder, node, coroutine, f"Replace with `await {describe(coroutine.func)}()`", FixSafety.SAFE)

        return build


class EventLoopInWorkerThread(Rule):
    code = "AIO102"
    name = "event-loop-in-worker-thread"
    summary = "A coroutine hands `asyncio.run` to a worker thread, starting a second event loop"
    fix_safety = FixSafety.UNSAFE

    valid = (
        "import asyncio\nasync def load(loop, ex):\n    await loop.run_in_executor(ex, fetch_sync, 1)\n",
        "import asyncio\ndef worker(pool):\n    pool.submit(asyncio.run, main())\n",
        "import asyncio\nasync def load():\n    await asyncio.to_thread(print, 'x')\n",
    )
    invalid = (
        Invalid(
            "import asyncio\nasync def load(loop, ex):\n    await loop.run_in_executor(ex, lambda: asyncio.run(fetch(1)))\n",
            3, 11,
            "import asyncio\nasync def load(loop, ex):\n    await fetch(1)\n",
        ),
        Invalid(
            "import asyncio\nasync def load(t):\n    return await asyncio.to_thread(asyncio.run, fetch(t))\n",
            3, 18,
            "import asyncio\nasync def load(t):\n    return await fetch(t)\n",
        ),
        Invalid(
            "import asyncio\nfrom concurrent.futures import ThreadPoolExecutor\n"
            "async def load(items):\n    with ThreadPoolExecutor() as pool:\n"
            "        futures = [pool.submit(asyncio.run, fetch(i)) for i in items]\n",
            5, 20,
        ),
        Invalid(
            "import asyncio\nasync def load(loop, tickers):\n"
            "    futures = [loop.run_in_executor(None, lambda t=t: asyncio.run(fetch(t))) for t in tickers]\n",
            3, 16,
            "import asyncio\nasync def load(loop, tickers):\n"
            "    futures = [asyncio.create_task(fetch(t)) for t in tickers]\n",
        ),
        Invalid(
            "import asyncio, threading\nasync def load():\n"
            "    threading.Thread(target=lambda: asyncio.run(fetch())).start()\n",
            3, 5,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if not self.context.on_event_loop():
            return
        dispatch = thread_dispatch(self.context, node)
        if dispatch is None:
            return

        target = partial_target(self.context, dispatch.target)
        starter, coroutine = self._starter_in(target, dispatch.arguments)
        if starter is None:
            return

        function = self.context.function_label()
        message = (
            f"{dispatch.label} in async function {function} runs {starter}() in a worker thread, "
            "which starts a second event loop; await the coroutine on the running loop instead"
        )
        self.report(node, message, self._fix_for(node, dispatch.label, coroutine))

    def _starter_in(self, target: cst.BaseExpression, arguments: tuple[cst.Arg, ...]) -> tuple[str | None, cst.Call | None]:
        """Find the loop-starting call that the thread would run, and its coroutine call."""
        if isinstance(target, cst.Lambda):
            body = target.body
            if isinstance(body, cst.Call):
                starter = loop_starter(self.context, body.func)
                if starter is not None:
                    only = _only_call_argument(body.args)
                    return starter, only if _lambda_inlinable(target) else None
            finder = _LoopStarterFinder(self)
            walk(body, finder)
            return finder.found, None

        starter = loop_starter(self.context, target)
        if starter is None:
            return None, None
        return starter, _only_call_argument(arguments)

    def _fix_for(self, node: cst.Call, label: str, coroutine: cst.Call | None):  # type: ignore[no-untyped-def]
        if coroutine is None:
            return None

        awaited = awaiting_statement(self.context, node)
        if awaited is not None:
            def build_await(builder: FixBuilder) -> Fix:
                title = f"Replace the thread dispatch with `await {describe(coroutine.func)}()`"
                return unwrap_to_awaited(builder, awaited, coroutine, title, FixSafety.UNSAFE)

            return build_await

        # Not awaited here (collected in a list, say): run_in_executor and
        # to_thread hand back an awaitable at once, and so does create_task,
        # which schedules the coroutine on the running loop right away.
        if isinstance(self.context.parent(node), cst.Await):
            return None
        if not (label.endswith(".run_in_executor()") or label == "asyncio.to_thread()"):
            return None
        asyncio = self.context.module_reference("asyncio")
        if asyncio is None:
            return None

        def build_task(builder: FixBuilder) -> Fix:
            reference, needs_import = asyncio
            edits = [builder.replace(node, f"{reference}.create_task({builder.source(coroutine)})")]
            if needs_import:
                edits.append(builder.import_edit(reference))
            title = f"Schedule `{describe(coroutine.func)}()` on the running loop with `asyncio.create_task()`"
            return Fix(title, FixSafety.UNSAFE, tuple(edits))

        return build_task


class _LoopStarterFinder(cst.CSTVisitor):
    """Finds a loop-starting call anywhere inside a lambda body."""

    def __init__(self, rule: Rule) -> None:
        super().__init__()
        self.rule = rule
        self.found: str | None = None

    def visit_Call(self, node: cst.Call) -> None:
        if self.found is None:
            self.found = loop_starter(self.rule.context, node.func)


def _only_call_argument(arguments: tuple[cst.Arg, ...] | list[cst.Arg]) -> cst.Call | None:
    if len(arguments) == 1 and arguments[0].keyword is None and not arguments[0].star:
        value = arguments[0].value
        return value if isinstance(value, cst.Call) else None
    return None


def _lambda_inlinable(function: cst.Lambda) -> bool:
    """Tell whether the body means the same outside the lambda.

    That is so with no parameters, or only ``name=name`` defaults that
    capture a variable of the same name, as in ``lambda stock=stock: ...``.
    """
    params = function.params
    if params.star_arg is not cst.MaybeSentinel.DEFAULT and params.star_arg is not None:
        return False
    if params.star_kwarg is not None or params.posonly_params or params.kwonly_params:
        return False
    for param in params.params:
        default = param.default
        if not (isinstance(default, cst.Name) and default.value == param.name.value):
            return False
    return True
