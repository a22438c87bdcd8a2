"""AIO3xx: coroutines handed to threads, executors and callbacks.

A worker thread calls what it is given. Given an ``async def``, that call
only creates a coroutine object, which is never awaited: the work silently
never happens, and Python warns "coroutine ... was never awaited" at best.
Given a coroutine object instead of a callable, the call fails with
``TypeError`` in the worker, and the coroutine is never awaited either.
Loop callbacks (``call_soon``, ``add_done_callback``) behave the same way.
"""

from __future__ import annotations

import libcst as cst

from ..context import LintContext
from ..diagnostic import Edit, Fix, FixSafety
from ..fixes import FixBuilder, unwrap_to_awaited
from ..rule import Invalid, Rule
from ._common import ThreadDispatch, awaiting_statement, describe, is_coroutine_function, partial_target, thread_dispatch

# Loop and future methods that take a plain callback, with the position of
# the callback among the positional arguments.
_CALLBACK_METHODS = {
    "call_soon": 0,
    "call_soon_threadsafe": 0,
    "call_later": 1,
    "call_at": 1,
    "add_done_callback": 0,
}


class CoroutineFunctionInThread(Rule):
    code = "AIO301"
    cross_module = True
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
        if not is_coroutine_function(self.context, self.options, target):
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
        if target is not dispatch.target:
            return None
        awaited = _awaited_dispatch(self.context, node, dispatch)
        if awaited is None:
            return None

        def build(builder: FixBuilder) -> Fix:
            title = f"Await `{describe(target)}()` directly"
            call_target = f"await {builder.source(target)}("
            if not dispatch.arguments:
                return Fix(title, FixSafety.UNSAFE, (builder.replace(awaited, f"{call_target})"),))

            # Keep the arguments as written, comments included: only the text
            # up to the first of them changes.
            first = dispatch.arguments[0]
            edit = Edit(builder.start(awaited), builder.start(first), call_target)
            return Fix(title, FixSafety.UNSAFE, (edit,))

        return build


class CoroutinePassedAsCallable(Rule):
    code = "AIO302"
    cross_module = True
    name = "coroutine-passed-as-callable"
    summary = "A coroutine object given to a thread pool, or a coroutine given to `call_soon` or `add_done_callback`"
    fix_safety = FixSafety.UNSAFE

    valid = (
        "import asyncio\nasync def fetch(t):\n    return t\nasync def load(loop):\n    await fetch(1)\n    loop.call_soon(print, 1)\n",
        "def make(t):\n    return lambda: t\nasync def load(loop):\n    await loop.run_in_executor(None, make(1))\n",
        "import asyncio\nasync def fetch(t):\n    return t\nasync def load(task):\n    task.add_done_callback(lambda t: asyncio.create_task(fetch(t)))\n",
        "async def fetch(t):\n    return t\nasync def load(loop, fetch):\n    loop.call_soon(fetch)\n",
        "async def fetch(t):\n    return t\ndef done(f):\n    pass\nasync def load(task):\n    task.add_done_callback(done)\n",
    )
    invalid = (
        Invalid(
            "async def fetch(t):\n    return t\nasync def load(loop, t):\n    return await loop.run_in_executor(None, fetch(t))\n",
            4, 18,
            "async def fetch(t):\n    return t\nasync def load(loop, t):\n    return await fetch(t)\n",
        ),
        Invalid(
            "import asyncio\nasync def handler(msg):\n    return msg\ndef on_message(loop, msg):\n"
            "    loop.call_soon_threadsafe(handler, msg)\n",
            5, 5,
        ),
        Invalid(
            "import functools\nclass Feed:\n    async def _done(self, f):\n        pass\n"
            "    async def start(self, task):\n        task.add_done_callback(functools.partial(self._done))\n",
            6, 9,
        ),
        Invalid(
            "import threading\nasync def serve(port):\n    pass\ndef main():\n    threading.Thread(target=serve(80)).start()\n",
            5, 5,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        dispatch = thread_dispatch(self.context, node)
        if dispatch is not None:
            self._check_dispatch(node, dispatch)
            return

        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in _CALLBACK_METHODS:
            return
        positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
        index = _CALLBACK_METHODS[func.attr.value]
        if len(positional) <= index:
            return

        callback = partial_target(self.context, positional[index].value)
        where = _where(self)
        method = f"{describe(func)}()"
        if isinstance(callback, cst.Call) and is_coroutine_function(self.context, self.options, callback.func):
            message = (
                f"{method} in {where} is given the coroutine object {describe(callback)}, not a callable; "
                "schedule the coroutine with asyncio.create_task() instead"
            )
        elif is_coroutine_function(self.context, self.options, callback):
            message = (
                f"async function {describe(callback)} passed to {method} in {where} is called as a plain callback, "
                "which only creates a coroutine that never runs; wrap it in a function that calls asyncio.create_task()"
            )
        else:
            return
        self.report(node, message)

    def _check_dispatch(self, node: cst.Call, dispatch: ThreadDispatch) -> None:
        target = dispatch.target
        if not isinstance(target, cst.Call) or not is_coroutine_function(self.context, self.options, target.func):
            return

        where = _where(self)
        if self.context.on_event_loop():
            advice = f"await {describe(target.func)}() on the event loop instead"
        else:
            advice = f"give it a function that runs the coroutine, such as lambda: asyncio.run({describe(target)})"
        message = f"{dispatch.label} in {where} is given the coroutine object {describe(target)}, not a callable; {advice}"
        self.report(node, message, self._fix_for(node, dispatch, target))

    def _fix_for(self, node: cst.Call, dispatch: ThreadDispatch, coroutine: cst.Call):  # type: ignore[no-untyped-def]
        if dispatch.arguments:
            return None
        awaited = _awaited_dispatch(self.context, node, dispatch)
        if awaited is None:
            return None

        def build(builder: FixBuilder) -> Fix:
            title = f"Await `{describe(coroutine.func)}()` on the event loop"
            return unwrap_to_awaited(builder, awaited, coroutine, title, FixSafety.UNSAFE)

        return build


def _where(rule: Rule) -> str:
    kind = "async function" if rule.context.on_event_loop() else "function"
    return f"{kind} {rule.context.function_label()}"


def _awaited_dispatch(context: LintContext, node: cst.Call, dispatch: ThreadDispatch) -> cst.Await | None:
    """Return the ``await`` of a ``run_in_executor`` or ``to_thread`` dispatch that is a whole statement on the loop.

    Only those two return an awaitable that ``await coroutine()`` can replace.
    """
    if not context.on_event_loop():
        return None
    if not (dispatch.label.endswith(".run_in_executor()") or dispatch.label == "asyncio.to_thread()"):
        return None
    return awaiting_statement(context, node)
