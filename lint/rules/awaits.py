"""AIO404 and AIO405: coroutines that are never awaited, and thread waits on the loop.

Calling an ``async def`` only creates a coroutine object, which is always
true in a test and does nothing as a statement. Waiting for a thread's
future, event, lock or queue inside a coroutine stops the whole event loop,
and deadlocks it when the awaited work needs the loop to finish.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from ..context import LintContext
from ..diagnostic import Fix, FixSafety
from ..fixes import FixBuilder
from ..rule import Invalid, Rule
from ..typeinfo import FUTURE
from ..walk import walk
from ._common import describe, function_scope, imported_function, inside_comprehension

# Decorators that keep an `async def` a coroutine function. Any other
# decorator may wrap it into something else (a sync adapter, a task
# factory, a property), so calls to such functions are not reported.
_TRANSPARENT_DECORATORS = frozenset(
    {
        "builtins.staticmethod",
        "builtins.classmethod",
        "abc.abstractmethod",
        "functools.wraps",
        "typing.override",
        "typing_extensions.override",
    }
)

# (receiver type, method) -> what the call waits for, and the advice.
_BLOCKING_WAITS: dict[tuple[str, str], tuple[str, str]] = {
    (FUTURE, "result"): ("a concurrent.futures.Future", "await asyncio.wrap_future() on it instead"),
    (FUTURE, "exception"): ("a concurrent.futures.Future", "await asyncio.wrap_future() on it instead"),
    ("threading.Event", "wait"): ("a threading.Event", "use asyncio.Event, or await asyncio.to_thread() on the wait"),
    ("threading.Lock", "acquire"): ("a threading lock", "use asyncio.Lock for code on the event loop"),
    ("threading.Semaphore", "acquire"): ("a threading semaphore", "use asyncio.Semaphore for code on the event loop"),
    ("threading.Condition", "acquire"): ("a threading condition", "use asyncio.Condition for code on the event loop"),
    ("threading.Condition", "wait"): ("a threading condition", "use asyncio.Condition for code on the event loop"),
    ("threading.Condition", "wait_for"): ("a threading condition", "use asyncio.Condition for code on the event loop"),
    ("threading.Barrier", "wait"): ("a threading barrier", "use asyncio.Barrier, or await asyncio.to_thread() on the wait"),
    ("queue.Queue", "get"): ("a thread queue", "use asyncio.Queue, or await asyncio.to_thread() on the get"),
    ("queue.Queue", "join"): ("a thread queue", "use asyncio.Queue, or await asyncio.to_thread() on the join"),
    ("threading.Thread", "join"): ("a thread", "await asyncio.to_thread() on the join"),
    ("multiprocessing.Process", "join"): ("a process", "await asyncio.to_thread() on the join"),
}
_BLOCKING_WAIT_FUNCTIONS: dict[str, tuple[str, str]] = {
    "concurrent.futures.wait": ("concurrent.futures futures", "use asyncio.wait() on asyncio.wrap_future() of each"),
}
_BLOCKING_METHODS = frozenset(method for _, method in _BLOCKING_WAITS)

# Keyword arguments that make a wait return at once.
_NON_BLOCKING_KEYWORDS = {"blocking": "False", "block": "False", "timeout": "0"}


class UnawaitedCoroutine(Rule):
    code = "AIO404"
    cross_module = True
    name = "unawaited-coroutine"
    summary = "A coroutine function called without `await`, as a statement or a truth value"
    fix_safety = FixSafety.UNSAFE

    valid = (
        "async def check(u):\n    return u\nasync def main(u):\n    if await check(u):\n        pass\n",
        "import asyncio\nasync def check(u):\n    return u\nasync def main(u):\n    task = asyncio.create_task(check(u))\n    await task\n",
        "def check(u):\n    return u\nasync def main(u):\n    check(u)\n",
        "async def stream(u):\n    yield u\nasync def main(u):\n    stream(u)\n",
        "import functools\ndef to_sync(f):\n    return f\n@to_sync\nasync def check(u):\n    return u\ndef main(u):\n    check(u)\n",
        "async def check(u):\n    return u\nasync def main(u):\n    coroutine = check(u)\n    await coroutine\n",
        "async def check(u):\n    return u\nclass Other:\n    def check(self, u):\n        return u\n    async def main(self, u):\n        self.check(u)\n",
    )
    invalid = (
        Invalid(
            "async def save(u):\n    return u\nasync def main(u):\n    save(u)  # persist\n",
            4, 5,
            "async def save(u):\n    return u\nasync def main(u):\n    await save(u)  # persist\n",
        ),
        Invalid(
            "class Users:\n    async def allowed(self, u):\n        return u\n"
            "    async def login(self, u):\n        if not self.allowed(u):\n            raise PermissionError(u)\n",
            5, 16,
            "class Users:\n    async def allowed(self, u):\n        return u\n"
            "    async def login(self, u):\n        if not await self.allowed(u):\n            raise PermissionError(u)\n",
        ),
        Invalid(
            "async def ready(x):\n    return x\ndef poll(cb, x):\n    return bool(cb and ready(x))\n",
            4, 24,
        ),
        Invalid(
            "async def ready(x):\n    return x\nasync def main(xs):\n    return [x for x in xs if ready(x)]\n",
            4, 30,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if not self._calls_coroutine_function(node.func):
            return
        parent = self.context.parent(node)
        if isinstance(parent, cst.Expr):
            consequence = "the coroutine never runs"
        elif self._truth_tested(node):
            consequence = "the test sees a coroutine object, which is always true"
        else:
            return

        kind = "async function" if self.context.on_event_loop() else "function"
        function = self.context.function_label()
        message = f"{describe(node.func)}() in {kind} {function} is called without await, so {consequence}; await it"
        self.report(node, message, self._fix_for(node))

    def _calls_coroutine_function(self, func: cst.BaseExpression) -> bool:
        function = self.context.resolve_function(func)
        if function is None:
            imported = imported_function(self.context, self.options, func)
            return imported is not None and imported.is_coroutine
        if not self.context.is_coroutine_function(func):
            return False
        return has_transparent_decorators(self.context, function)

    def _truth_tested(self, node: cst.BaseExpression) -> bool:
        """Tell whether Python takes the truth value of ``node``."""
        parent = self.context.parent(node)
        if isinstance(parent, (cst.If, cst.While, cst.IfExp, cst.Assert, cst.CompIf)):
            return parent.test is node
        if isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not):
            return True
        if isinstance(parent, cst.BooleanOperation):
            # The left operand is always tested; the right one only when the
            # whole expression is.
            return parent.left is node or self._truth_tested(parent)
        if isinstance(parent, cst.Arg):
            call = self.context.parent(parent)
            return isinstance(call, cst.Call) and self.context.qualified_name(call.func) == "builtins.bool" and len(call.args) == 1
        return False

    def _fix_for(self, node: cst.Call):  # type: ignore[no-untyped-def]
        if not self.context.on_event_loop() or inside_comprehension(self.context):
            return None

        def build(builder: FixBuilder) -> Fix:
            edit = builder.insert(builder.start(node), "await ")
            return Fix(f"Await `{describe(node.func)}()`", FixSafety.UNSAFE, (edit,))

        return build


class BlockingWaitOnLoop(Rule):
    code = "AIO405"
    name = "blocking-wait-on-loop"
    summary = "A wait on a thread's future, event, lock, queue or join inside a coroutine"

    valid = (
        "import asyncio\nasync def main():\n    event = asyncio.Event()\n    await event.wait()\n",
        "import asyncio\nasync def main(loop, pool, f):\n    return await loop.run_in_executor(pool, f)\n",
        "import threading\ndef worker(event: threading.Event):\n    event.wait()\n",
        "import threading\nasync def main():\n    lock = threading.Lock()\n    if lock.acquire(blocking=False):\n        lock.release()\n",
        "import queue\nasync def main():\n    q = queue.Queue()\n    return q.get(block=False)\n",
        "async def main(fut):\n    return fut.result()\n",
        "import asyncio\nasync def main():\n    fut = asyncio.get_running_loop().create_future()\n    return fut.result()\n",
        # Completion is awaited or checked first, so these waits return at once.
        "import asyncio\nasync def main(coro, loop, done_event):\n"
        "    future = asyncio.run_coroutine_threadsafe(coro, loop)\n"
        "    future.add_done_callback(lambda f: done_event.set())\n    await done_event.wait()\n    return future.result()\n",
        "import threading\nasync def shutdown(loop, work):\n    future = loop.create_future()\n"
        "    thread = threading.Thread(target=work, args=(future,))\n    thread.start()\n"
        "    try:\n        await future\n    finally:\n        thread.join()\n",
    )
    invalid = (
        Invalid(
            "from concurrent.futures import ThreadPoolExecutor\nasync def main(f):\n"
            "    with ThreadPoolExecutor() as pool:\n        fut = pool.submit(f)\n        return fut.result()\n",
            5, 16,
        ),
        Invalid("import threading\nasync def main(event: threading.Event):\n    event.wait()\n", 3, 5),
        Invalid("import queue as q\nasync def main():\n    jobs = q.Queue()\n    return jobs.get()\n", 4, 12),
        Invalid(
            "import threading\nclass Feed:\n    def __init__(self):\n        self.worker = threading.Thread(target=print)\n"
            "    async def stop(self):\n        self.worker.join()\n",
            6, 9,
        ),
        Invalid(
            "import asyncio\nasync def main(coro, loop):\n    return asyncio.run_coroutine_threadsafe(coro, loop).result()\n",
            3, 12,
        ),
        Invalid("import concurrent.futures as cf\nasync def main(futures):\n    cf.wait(futures)\n", 3, 5),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if not self.context.on_event_loop() or isinstance(self.context.parent(node), cst.Await):
            return
        wait = self._blocking_wait(node)
        if wait is None or _returns_at_once(node) or self._already_complete(node):
            return

        waits_for, advice = wait
        function = self.context.function_label()
        message = f"{describe(node.func)}() in async function {function} blocks the event loop while it waits for {waits_for}; {advice}"
        self.report(node, message)

    def _blocking_wait(self, node: cst.Call) -> tuple[str, str] | None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _BLOCKING_METHODS:
            receiver = self.context.type_of(func.value)
            if receiver is not None:
                return _BLOCKING_WAITS.get((receiver, func.attr.value))

        name = self.context.qualified_name(func)
        return _BLOCKING_WAIT_FUNCTIONS.get(name) if name else None


    def _already_complete(self, node: cst.Call) -> bool:
        """Tell whether the function waits for completion on the loop before this call.

        ``fut.result()`` after ``fut.done()`` or ``fut.add_done_callback()``,
        and ``thread.join()`` after awaiting the future that the thread was
        given (``Thread(target=work, args=(future,))``), return at once or
        after a thread exit that has already been signalled.
        """
        func = node.func
        if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name):
            return False
        receiver = func.value.value
        signals = _completion_signals(self.context)
        if receiver in signals.checked:
            return True

        if func.attr.value != "join":
            return False
        found = self.context.lookup(receiver)
        if found is None:
            return False
        for binding in found[1]:
            value = getattr(binding, "value", None)
            if isinstance(value, cst.Call) and _thread_arguments(value) & signals.awaited:
                return True
        return False


@dataclass(frozen=True)
class _CompletionSignals:
    """Names in one function whose completion the code checks or awaits."""

    checked: frozenset[str]
    awaited: frozenset[str]


def _completion_signals(context: LintContext) -> _CompletionSignals:
    scope = function_scope(context)
    key = ("completion-signals", id(scope.node))
    if key not in context.memo:
        finder = _CompletionSignalFinder()
        walk(scope.node.body, finder)
        context.memo[key] = _CompletionSignals(frozenset(finder.checked), frozenset(finder.awaited))
    return context.memo[key]  # type: ignore[return-value]


class _CompletionSignalFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.checked: set[str] = set()
        self.awaited: set[str] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            if func.attr.value in ("done", "cancelled", "add_done_callback"):
                self.checked.add(func.value.value)

    def visit_Await(self, node: cst.Await) -> None:
        if isinstance(node.expression, cst.Name):
            self.awaited.add(node.expression.value)


def _thread_arguments(call: cst.Call) -> set[str]:
    """Return the plain names passed in ``args=(...)`` of a thread or process constructor."""
    names: set[str] = set()
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "args" and isinstance(arg.value, (cst.Tuple, cst.List)):
            for element in arg.value.elements:
                if isinstance(element.value, cst.Name):
                    names.add(element.value.value)
    return names


def has_transparent_decorators(context: LintContext, function: cst.FunctionDef) -> bool:
    """Tell whether every decorator of ``function`` keeps an ``async def`` a coroutine function."""
    for decorator in function.decorators:
        expression = decorator.decorator
        if isinstance(expression, cst.Call):
            expression = expression.func
        if context.qualified_name(expression) not in _TRANSPARENT_DECORATORS:
            return False
    return True


def _returns_at_once(node: cst.Call) -> bool:
    """Tell whether arguments make the wait non-blocking: ``blocking=False``, ``timeout=0``, ``get(False)``."""
    for arg in node.args:
        value = arg.value
        literal = value.value if isinstance(value, (cst.Name, cst.Integer, cst.Float)) else None
        if arg.keyword is not None:
            if _NON_BLOCKING_KEYWORDS.get(arg.keyword.value) == literal:
                return True
        elif arg is node.args[0] and literal in ("False", "0"):
            return True
    return False
