"""AIO3xx: coroutine functions handed to threads and executors.

A worker thread calls what it is given. Given an ``async def``, that call
only creates a coroutine object, which is never awaited: the work silently
never happens, and Python warns "coroutine ... was never awaited" at best.
"""

from __future__ import annotations

import libcst as cst

from ..diagnostic import Fix, FixSafety
from ..fixes import FixBuilder
from ..rule import Invalid, Rule
from ._common import ThreadDispatch, awaiting_statement, describe, partial_target, thread_dispatch


class CoroutineFunctionInThread(Rule):
    code = "AIO301"
    name = "coroutine-function-in-thread"
    summary = "An `async def` function passed to a thread pool, `to_thread` or `threading.Thread`"
    fix_safety = FixSafety.UNSAFE

    valid = (
        "import asyncio\ndef fetch(t):\n    return t\nasync def load(loop):\n    await loop.run_in_executor(None, fetch, 1)\n",
        "import asyncio\nasync def fetch(t):\n    return t\nasync def load():\n    await asyncio.gather(fetch(1))\n",
        "async def fetch(t):\n    return t\ndef schedule(bot):\n    bot.submit(fetch)\n",
        "async def stream(t):\n    yield t\nasync def load(loop):\n    await loop.run_in_executor(None, stream, 1)\n",
    )
    invalid = (
        Invalid(
            "import asyncio\nasync def fetch(t):\n    return t\nasync def load(loop):\n    return await loop.run_in_executor(None, fetch, 1)\n",
            5, 18,
            "import asyncio\nasync def fetch(t):\n    return t\nasync def load(loop):\n    return await fetch(1)\n",
        ),
        Invalid(
            "from concurrent.futures import ThreadPoolExecutor\nasync def fetch(t):\n    return t\n"
            "def load(items):\n    with ThreadPoolExecutor(4) as pool:\n        return list(pool.map(fetch, items))\n",
            6, 21,
        ),
        Invalid(
            "import asyncio\nclass Loader:\n    async def fetch(self, t):\n        return t\n"
            "    async def load(self, t):\n        await asyncio.to_thread(self.fetch, t, retries=2)\n",
            6, 15,
            "import asyncio\nclass Loader:\n    async def fetch(self, t):\n        return t\n"
            "    async def load(self, t):\n        await self.fetch(t, retries=2)\n",
        ),
        Invalid(
            "import threading, functools\nasync def serve(port):\n    pass\n"
            "def main():\n    threading.Thread(target=functools.partial(serve, 80)).start()\n",
            5, 5,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        dispatch = thread_dispatch(self.context, node)
        if dispatch is None:
            return
        target = partial_target(self.context, dispatch.target)
        if not self.context.is_coroutine_function(target):
            return

        name = describe(target)
        where = self.context.function_label()
        message = (
            f"async function {name} passed to {dispatch.label} in {where} never runs: the worker only "
            f"creates a coroutine object; await {name}() on the event loop instead"
        )
        self.report(node, message, self._fix_for(node, dispatch, target))

    def _fix_for(self, node: cst.Call, dispatch: ThreadDispatch, target: cst.BaseExpression):  # type: ignore[no-untyped-def]
        # Only the plain forms: the target itself (not a partial), awaited on the loop.
        if target is not dispatch.target or not self.context.on_event_loop():
            return None
        if not (dispatch.label.endswith(".run_in_executor()") or dispatch.label == "asyncio.to_thread()"):
            return None
        awaited = awaiting_statement(self.context, node)
        if awaited is None:
            return None

        def build(builder: FixBuilder) -> Fix:
            arguments = ", ".join(_argument_source(builder, arg) for arg in dispatch.arguments)
            replacement = f"await {builder.source(target)}({arguments})"
            edit = builder.replace(awaited, replacement)
            return Fix(f"Await `{describe(target)}()` directly", FixSafety.UNSAFE, (edit,))

        return build


def _argument_source(builder: FixBuilder, arg: cst.Arg) -> str:
    keyword = f"{arg.keyword.value}=" if arg.keyword is not None else ""
    return f"{arg.star}{keyword}{builder.source(arg.value)}"
