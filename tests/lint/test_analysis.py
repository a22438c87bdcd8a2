"""The shared analysis (LintContext) seen through small sources.

A probe rule reports every call of a function named ``probe`` together with
what the context returns at that point. That is whether the code runs on the
event loop, the label of the enclosing function, how a fix would refer to
asyncio, and the canonical name and type of the first argument. A few tests use the findings of real rules instead.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass

import libcst as cst
import pytest

from asynclint.engine import lint_text
from asynclint.fixer import fix_text
from asynclint.rule import Rule
from asynclint.rules import RULES_BY_CODE

BLOCKING_SLEEP = RULES_BY_CODE["AIO201"]
BLOCKING_HTTP = RULES_BY_CODE["AIO202"]


class ContextProbe(Rule):
    code = "AIO999"
    name = "context-probe"
    summary = "Reports what LintContext returns at each call of probe()"
    triggers = ("probe",)

    def visit_Call(self, node: cst.Call) -> None:
        if not (isinstance(node.func, cst.Name) and node.func.value == "probe"):
            return

        context = self.context
        observed: dict[str, object] = {
            "on_loop": context.on_event_loop(),
            "function": context.function_label(),
            "asyncio": context.module_reference("asyncio"),
        }
        if node.args:
            argument = node.args[0].value
            observed["name"] = context.qualified_name(argument)
            observed["type"] = context.type_of(argument)
            observed["coroutine_function"] = context.is_coroutine_function(argument)
        self.report(node, json.dumps(observed))


@dataclass(frozen=True)
class Observation:
    """What the context returned at one probe() call."""

    line: int
    on_loop: bool
    function: str
    asyncio: tuple[str, bool] | None
    name: str | None = None
    type: str | None = None
    coroutine_function: bool = False


def probe(source: str) -> list[Observation]:
    """Return what the context reported at each probe() call, in source order."""
    text = textwrap.dedent(source)
    observations = []
    for diagnostic in lint_text(text, "probe.py", [ContextProbe]):
        assert diagnostic.code == "AIO999", diagnostic.message
        fields = json.loads(diagnostic.message)
        if fields["asyncio"] is not None:
            fields["asyncio"] = tuple(fields["asyncio"])
        observations.append(Observation(line=diagnostic.start.line, **fields))
    return observations


def only(source: str) -> Observation:
    observations = probe(source)
    assert len(observations) == 1, observations
    return observations[0]


def lines_of(text: str, rule: type[Rule]) -> list[int]:
    return [d.start.line for d in lint_text(textwrap.dedent(text), "example.py", [rule])]


# -- canonical names through imports -------------------------------------------


def test_import_alias_resolves():
    observed = only(
        """
        import asyncio as aio
        async def main():
            probe(aio.run)
        """
    )

    assert observed.name == "asyncio.run"


def test_from_import_resolves():
    observed = only(
        """
        from asyncio import run
        async def main():
            probe(run)
        """
    )

    assert observed.name == "asyncio.run"


def test_from_import_alias_resolves():
    observed = only(
        """
        from time import sleep as nap
        async def main():
            probe(nap)
        """
    )

    assert observed.name == "time.sleep"


def test_dotted_import_binds_top_package():
    observed = only(
        """
        import os.path
        async def main(p):
            probe(os.path.exists)
        """
    )

    assert observed.name == "os.path.exists"


def test_import_inside_function_resolves():
    observed = only(
        """
        async def main():
            import requests as rq
            probe(rq.get)
        """
    )

    assert observed.name == "requests.get"


def test_free_builtin_resolves():
    observed = only(
        """
        async def main(p):
            probe(open)
        """
    )

    assert observed.name == "builtins.open"


def test_relative_import_has_no_name():
    observed = only(
        """
        from . import time
        async def main():
            probe(time.sleep)
        """
    )

    assert observed.name is None


def test_unknown_name_has_no_name():
    observed = only(
        """
        async def main(client):
            probe(client.get)
        """
    )

    assert observed.name is None


# -- shadowing -------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            """
            import time
            async def main(clock):
                time = clock
                probe(time.sleep)
            """,
            id="local-assignment",
        ),
        pytest.param(
            """
            import time
            async def main(time):
                probe(time.sleep)
            """,
            id="parameter",
        ),
        pytest.param(
            """
            import time
            async def main(clock: object, *, time=None):
                probe(time.sleep)
            """,
            id="keyword-only-parameter",
        ),
        pytest.param(
            """
            import time
            async def main(clocks):
                for time in clocks:
                    probe(time.sleep)
            """,
            id="for-target",
        ),
        pytest.param(
            """
            import time
            async def main(make_clock):
                with make_clock() as time:
                    probe(time.sleep)
            """,
            id="with-target",
        ),
        pytest.param(
            """
            import time
            async def main():
                try:
                    pass
                except RuntimeError as time:
                    probe(time.sleep)
            """,
            id="except-target",
        ),
        pytest.param(
            """
            import time
            async def main(clock):
                if (time := clock):
                    probe(time.sleep)
            """,
            id="walrus",
        ),
        pytest.param(
            """
            import time
            def outer(clock):
                time = clock
                async def inner():
                    nonlocal time
                    probe(time.sleep)
                return inner
            """,
            id="nonlocal",
        ),
        pytest.param(
            """
            import time
            def outer(clock):
                time = clock
                async def inner():
                    probe(time.sleep)
                return inner
            """,
            id="enclosing-function-local",
        ),
        pytest.param(
            """
            requests = {"https://example.org": b"cached"}
            async def main(url):
                probe(requests.get)
            """,
            id="module-level-dict",
        ),
        pytest.param(
            """
            import requests
            requests = {"https://example.org": b"cached"}
            async def main(url):
                probe(requests.get)
            """,
            id="module-level-rebinding",
        ),
        pytest.param(
            """
            import time
            def time():
                pass
            async def main():
                probe(time.sleep)
            """,
            id="module-level-def",
        ),
    ],
)
def test_shadowed_name_has_no_canonical_name(source):
    assert only(source).name is None


def test_comprehension_target_shadows():
    # The loop variable of a comprehension is local to it, like a for target.
    observed = only(
        """
        import time
        async def main(clocks):
            return [probe(time.sleep) for time in clocks]
        """
    )

    assert observed.name is None


def test_walrus_in_comprehension_shadows():
    # An assignment expression in a comprehension binds in the enclosing function.
    observed = only(
        """
        import time
        async def main(clocks):
            if any((time := clock) for clock in clocks):
                probe(time.sleep)
        """
    )

    assert observed.name is None


def test_global_declaration_uses_module_import():
    observed = only(
        """
        import time
        async def main():
            global time
            probe(time.sleep)
        """
    )

    assert observed.name == "time.sleep"


def test_global_declaration_sees_module_rebinding():
    observed = only(
        """
        time = None
        async def main():
            global time
            probe(time.sleep)
        """
    )

    assert observed.name is None


def test_import_error_fallback_keeps_import():
    observed = only(
        """
        try:
            import yfinance as yf
        except ImportError:
            yf = None
        async def main(t):
            probe(yf.download)
        """
    )

    assert observed.name == "yfinance.download"


def test_class_attribute_invisible_in_method():
    # A method cannot see the names of its class body, as in Python.
    observed = only(
        """
        import time
        class Clock:
            time = 0
            async def tick(self):
                probe(time.sleep)
        """
    )

    assert observed.name == "time.sleep"


def test_shadowing_ends_with_the_function():
    observations = probe(
        """
        import time
        async def shadowed(time):
            probe(time.sleep)
        async def plain():
            probe(time.sleep)
        """
    )

    assert [a.name for a in observations] == [None, "time.sleep"]


def test_shadowed_parameter_gives_no_finding():
    source = """
        import time
        async def wait(time):
            time.sleep(1)
        """

    assert lines_of(source, BLOCKING_SLEEP) == []


def test_module_dict_named_requests_gives_no_finding():
    source = """
        requests = {}
        async def cached(url):
            return requests.get(url)
        """

    assert lines_of(source, BLOCKING_HTTP) == []


# -- where code runs: the event-loop stack -------------------------------------


def test_coroutine_body_is_on_loop():
    observed = only(
        """
        async def main():
            probe()
        """
    )

    assert observed.on_loop is True
    assert observed.function == "main"


def test_module_level_is_off_loop():
    observed = only("probe()\n")

    assert observed.on_loop is False
    assert observed.function == "<module>"


def test_sync_function_is_off_loop():
    observed = only(
        """
        def main():
            probe()
        """
    )

    assert observed.on_loop is False


def test_nested_sync_def_is_off_loop():
    observed = only(
        """
        async def main():
            def helper():
                probe()
            return helper
        """
    )

    assert observed.on_loop is False
    assert observed.function == "helper"


def test_code_after_nested_def_is_on_loop():
    # The stack pops the nested def: a boolean reset by it would miss this.
    observations = probe(
        """
        async def main():
            def helper():
                probe()
            probe()
        """
    )

    assert [a.on_loop for a in observations] == [False, True]


def test_lambda_in_coroutine_is_off_loop():
    observed = only(
        """
        async def main(loop):
            loop.call_soon(lambda: probe())
        """
    )

    assert observed.on_loop is False
    assert observed.function == "<lambda>"


def test_lambda_default_is_on_loop():
    # A lambda's default value is evaluated where the lambda is created.
    observed = only(
        """
        async def main(loop):
            loop.call_soon(lambda value=probe(): value)
        """
    )

    assert observed.on_loop is True


def test_list_comprehension_in_coroutine_is_on_loop():
    observed = only(
        """
        async def main(items):
            return [probe(item) for item in items]
        """
    )

    assert observed.on_loop is True


def test_generator_expression_in_coroutine_is_on_loop():
    observed = only(
        """
        async def main(items):
            return sum(probe(item) for item in items)
        """
    )

    assert observed.on_loop is True


def test_async_def_in_sync_def_is_on_loop():
    observed = only(
        """
        def outer():
            async def inner():
                probe()
            return inner
        """
    )

    assert observed.on_loop is True
    assert observed.function == "inner"


def test_class_body_in_coroutine_is_on_loop():
    # A class body runs when the class statement runs, here inside the coroutine.
    observed = only(
        """
        async def main():
            class Config:
                timeout = probe()
            return Config
        """
    )

    assert observed.on_loop is True


def test_method_of_class_in_coroutine_is_off_loop():
    observed = only(
        """
        async def main():
            class Config:
                def load(self):
                    probe()
            return Config
        """
    )

    assert observed.on_loop is False
    assert observed.function == "Config.load"


def test_nested_def_default_is_on_loop():
    observed = only(
        """
        async def main():
            def helper(timeout=probe()):
                return timeout
            return helper
        """
    )

    assert observed.on_loop is True
    assert observed.function == "main"


def test_nested_def_decorator_is_on_loop():
    observed = only(
        """
        async def main(register):
            @register(probe())
            def helper():
                pass
            return helper
        """
    )

    assert observed.on_loop is True


def test_method_label_names_class():
    observed = only(
        """
        class Poller:
            async def run(self):
                probe()
        """
    )

    assert observed.function == "Poller.run"


def test_class_body_sleep_reported_without_fix():
    # `await` is a syntax error in a class body, even inside a coroutine, so
    # the finding must come without a fix, and fixing must leave the file alone.
    source = textwrap.dedent(
        """
        import time
        async def main():
            class Config:
                time.sleep(1)
            return Config
        """
    )

    findings = lint_text(source, "example.py", [BLOCKING_SLEEP])
    result = fix_text(source, "example.py", [BLOCKING_SLEEP])

    assert [(d.start.line, d.fix) for d in findings] == [(5, None)]
    assert result.rejected is None
    assert result.text == source


# -- types of values -------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            """
            import asyncio
            async def main():
                loop = asyncio.get_running_loop()
                probe(loop)
            """,
            "asyncio.AbstractEventLoop",
            id="get-running-loop",
        ),
        pytest.param(
            """
            from concurrent.futures import ThreadPoolExecutor
            async def main():
                pool = ThreadPoolExecutor()
                probe(pool)
            """,
            "concurrent.futures.ThreadPoolExecutor",
            id="executor-assignment",
        ),
        pytest.param(
            """
            from concurrent.futures import ThreadPoolExecutor
            async def main():
                with ThreadPoolExecutor(max_workers=2) as ex:
                    probe(ex)
            """,
            "concurrent.futures.ThreadPoolExecutor",
            id="executor-with-target",
        ),
        pytest.param(
            """
            import asyncio
            async def main():
                with asyncio.Runner() as runner:
                    probe(runner)
            """,
            "asyncio.Runner",
            id="runner-with-target",
        ),
        pytest.param(
            """
            import requests
            class Client:
                def __init__(self):
                    self.session = requests.Session()
                async def get(self, url):
                    probe(self.session)
            """,
            "requests.Session",
            id="self-attribute-from-init",
        ),
        pytest.param(
            """
            import requests
            class Client:
                session: requests.Session
                async def get(self, url):
                    probe(self.session)
            """,
            "requests.Session",
            id="class-level-annotation",
        ),
        pytest.param(
            """
            import typing
            async def main(f: typing.TextIO):
                probe(f)
            """,
            "io.IOBase",
            id="parameter-annotation",
        ),
        pytest.param(
            """
            from typing import Optional
            import requests
            async def main(session: Optional[requests.Session]):
                probe(session)
            """,
            "requests.Session",
            id="optional-annotation",
        ),
        pytest.param(
            """
            import requests
            async def main(session: requests.Session | None):
                probe(session)
            """,
            "requests.Session",
            id="union-none-annotation",
        ),
        pytest.param(
            """
            import requests
            async def main(session: None | requests.Session):
                probe(session)
            """,
            "requests.Session",
            id="none-union-annotation",
        ),
        pytest.param(
            """
            from pathlib import Path
            async def main(root):
                probe(Path(root) / "x")
            """,
            "pathlib.Path",
            id="path-division",
        ),
        pytest.param(
            """
            from pathlib import Path
            async def main(root):
                report = Path(root) / "reports" / "daily.csv"
                probe(report)
            """,
            "pathlib.Path",
            id="path-division-assigned",
        ),
        pytest.param(
            """
            import sqlite3
            async def main(path):
                cursor = sqlite3.connect(path).cursor()
                probe(cursor)
            """,
            "sqlite3.Cursor",
            id="method-return-type",
        ),
        pytest.param(
            """
            async def main(path):
                with open(path) as handle:
                    probe(handle)
            """,
            "io.IOBase",
            id="open-with-target",
        ),
    ],
)
def test_type_of_value(source, expected):
    assert only(source).type == expected


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            """
            import requests
            async def main(flag):
                session = None
                session = requests.Session()
                probe(session)
            """,
            id="rebound-with-other-type",
        ),
        pytest.param(
            """
            async def main(session):
                probe(session)
            """,
            id="unannotated-parameter",
        ),
        pytest.param(
            """
            import requests
            async def main(pair):
                session, other = requests.Session(), None
                probe(session)
            """,
            id="tuple-unpacking",
        ),
        pytest.param(
            """
            import requests
            class Client:
                def __init__(self):
                    self.session = requests.Session()
                @staticmethod
                async def get(self):
                    probe(self.session)
            """,
            id="staticmethod-first-parameter",
        ),
    ],
)
def test_type_unknown(source):
    # The analysis is flow-insensitive and states no type it cannot show.
    assert only(source).type is None


def test_self_attribute_type_gives_finding():
    source = """
        import requests
        class Client:
            def __init__(self):
                self.session = requests.Session()
            async def get(self, url):
                return self.session.get(url)
        """

    assert lines_of(source, BLOCKING_HTTP) == [7]


def test_other_class_attribute_gives_no_finding():
    source = """
        import requests
        class Client:
            def __init__(self):
                self.session = requests.Session()
        class Cache:
            async def get(self, url):
                return self.session.get(url)
        """

    assert lines_of(source, BLOCKING_HTTP) == []


# -- functions and coroutine functions -------------------------------------------


def test_async_def_is_coroutine_function():
    observed = only(
        """
        async def fetch():
            pass
        async def main():
            probe(fetch)
        """
    )

    assert observed.coroutine_function is True


def test_async_generator_is_not_coroutine_function():
    observed = only(
        """
        async def stream():
            yield 1
        async def main():
            probe(stream)
        """
    )

    assert observed.coroutine_function is False


def test_async_method_through_self_is_coroutine_function():
    observed = only(
        """
        class Loader:
            async def fetch(self):
                pass
            async def main(self):
                probe(self.fetch)
        """
    )

    assert observed.coroutine_function is True


def test_rebound_async_def_is_not_coroutine_function():
    observed = only(
        """
        import functools
        async def fetch():
            pass
        fetch = functools.lru_cache(fetch)
        async def main():
            probe(fetch)
        """
    )

    assert observed.coroutine_function is False


def test_sync_def_is_not_coroutine_function():
    observed = only(
        """
        def fetch():
            pass
        async def main():
            probe(fetch)
        """
    )

    assert observed.coroutine_function is False


# -- referring to asyncio in fixes -----------------------------------------------


def test_asyncio_reference_without_import():
    observed = only(
        """
        async def main():
            probe()
        """
    )

    assert observed.asyncio == ("asyncio", True)


def test_asyncio_reference_with_import():
    observed = only(
        """
        import asyncio
        async def main():
            probe()
        """
    )

    assert observed.asyncio == ("asyncio", False)


def test_asyncio_reference_uses_alias():
    observed = only(
        """
        import asyncio as aio
        async def main():
            probe()
        """
    )

    assert observed.asyncio == ("aio", False)


def test_asyncio_reference_when_name_taken():
    observed = only(
        """
        async def main(asyncio):
            probe()
        """
    )

    assert observed.asyncio is None


def test_sleep_fix_uses_asyncio_alias():
    source = textwrap.dedent(
        """
        import time
        import asyncio as aio
        async def poll():
            time.sleep(1)
        """
    )
    expected = source.replace("    time.sleep(1)", "    await aio.sleep(1)")

    assert fix_text(source, "example.py", [BLOCKING_SLEEP]).text == expected
