"""AIO2xx: blocking calls on the event loop.

A call that waits for the network, the disk, a process or a database inside
a coroutine stops every other task on the loop until it returns. One code per
category, all driven by the catalogue table in ``asynclint.catalogue``.
"""

from __future__ import annotations

import libcst as cst

from ..catalogue import BlockingCall
from ..diagnostic import Fix, FixSafety
from ..fixes import FixBuilder, await_module_call, await_to_thread
from ..rule import Invalid, Rule
from ._common import describe, display_name, is_statement_value, row_applies


class _BlockingCallRule(Rule):
    """Reports catalogue rows of one category called on the event loop."""

    category: str

    def visit_Call(self, node: cst.Call) -> None:
        if not self.context.on_event_loop():
            return
        row = self._match(node)
        if row is None or row.category != self.category:
            return

        function = self.context.function_label()
        message = f"{_call_label(node, row)} in async function {function} blocks the event loop; {row.advice}"
        self.report(node, message, self._fix_for(node, row))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value not in self.options.catalogue.attribute_names:
            return
        if not self.context.on_event_loop():
            return
        parent = self.context.parent(node)
        if isinstance(parent, cst.Call) and parent.func is node:
            return

        receiver = self.context.type_of(node.value)
        row = self.options.catalogue.attributes.get(f"{receiver}.{node.attr.value}") if receiver else None
        if row is None or row.category != self.category:
            return

        function = self.context.function_label()
        message = f"reading {row.name} in async function {function} blocks the event loop; {row.advice}"
        self.report(node, message)

    def _match(self, node: cst.Call) -> BlockingCall | None:
        # All six rules ask about the same calls, so the result is computed once.
        memo = self.context.memo
        key = ("blocking-call", id(node))
        if key not in memo:
            memo[key] = _blocking_row(self, node)
        return memo[key]  # type: ignore[return-value]

    def _fix_for(self, node: cst.Call, row: BlockingCall):  # type: ignore[no-untyped-def]
        if not is_statement_value(self.context, node):
            return None
        asyncio = self.context.module_reference("asyncio")
        if asyncio is None:
            return None

        if row.name == "time.sleep":
            def build_sleep(builder: FixBuilder) -> Fix:
                edits = await_module_call(builder, node, asyncio, "sleep")
                return Fix(f"Replace with `await {asyncio[0]}.sleep()`", FixSafety.SAFE, tuple(edits))

            return build_sleep

        def build_to_thread(builder: FixBuilder) -> Fix:
            edits = await_to_thread(builder, node, asyncio)
            return Fix("Run the call in a worker thread with `await asyncio.to_thread()`", FixSafety.UNSAFE, tuple(edits))

        return build_to_thread


def _call_label(node: cst.Call, row: BlockingCall) -> str:
    """Name the call as written, with its canonical name when that differs.

    ``session.get()`` alone hides why it blocks; ``session.get()
    (requests.Session.get)`` shows what the analysis resolved it to.
    """
    canonical = display_name(row.name)
    written = describe(node.func)
    return f"{canonical}()" if written == canonical else f"{written}() ({canonical})"


def _blocking_row(rule: Rule, node: cst.Call) -> BlockingCall | None:
    context = rule.context
    catalogue = rule.options.catalogue

    # An awaited call is not blocking whatever its name: the value is
    # evidently an async object of a type the analysis did not see.
    if isinstance(context.parent(node), cst.Await):
        return None

    row = None
    name = context.qualified_name(node.func)
    if name is not None:
        row = catalogue.calls.get(name)

    func = node.func
    if row is None and isinstance(func, cst.Attribute) and func.attr.value in catalogue.method_names:
        # `open(p).read()`: the inner call is the one to report, once.
        if isinstance(func.value, cst.Call) and _blocking_row(rule, func.value) is not None:
            return None
        receiver = context.type_of(func.value)
        if receiver is not None:
            row = catalogue.calls.get(f"{receiver}.{func.attr.value}")

    if row is not None and not row_applies(row, node):
        return None
    return row


class BlockingSleep(_BlockingCallRule):
    code = "AIO201"
    name = "blocking-sleep"
    summary = "`time.sleep()` in a coroutine blocks the event loop"
    category = "sleep"
    fix_safety = FixSafety.SAFE
    valid = (
        "import asyncio\nasync def wait():\n    await asyncio.sleep(1)\n",
        "import time\ndef wait():\n    time.sleep(1)\n",
        "import time\nasync def wait(loop):\n    await loop.run_in_executor(None, lambda: time.sleep(1))\n",
        "import time\nasync def wait():\n    def inner():\n        time.sleep(1)\n    return inner\n",
        "import trio\nasync def wait():\n    await trio.sleep(1)\n",
        "async def wait(time):\n    time.sleep(1)\n",
    )
    invalid = (
        Invalid(
            "import time\n\nasync def fetch_prices():\n    time.sleep(1)\n",
            4, 5,
            "import time\nimport asyncio\n\nasync def fetch_prices():\n    await asyncio.sleep(1)\n",
        ),
        Invalid(
            "from time import sleep as nap\nimport asyncio\nasync def poll():\n    nap(0.5)  # back off\n",
            4, 5,
            "from time import sleep as nap\nimport asyncio\nasync def poll():\n    await asyncio.sleep(0.5)  # back off\n",
        ),
        Invalid(
            '"""Doc."""\nimport time, asyncio as aio\nasync def poll():\n    x = [time.sleep(1) for _ in range(3)]\n',
            4, 10,
        ),
    )


class BlockingHttpCall(_BlockingCallRule):
    code = "AIO202"
    name = "blocking-http-call"
    summary = "A sync HTTP client call (`requests`, `urllib`, `httpx.Client`) in a coroutine"
    category = "http"
    fix_safety = FixSafety.UNSAFE
    valid = (
        "import httpx\nasync def get(url):\n    async with httpx.AsyncClient() as client:\n        return await client.get(url)\n",
        "async def get(requests, url):\n    return requests.get(url)\n",
        "import requests\nasync def get(url):\n    cache = {}\n    return cache.get(url)\n",
    )
    invalid = (
        Invalid(
            "import requests\nasync def get(url):\n    response = requests.get(url, timeout=5)\n",
            3, 16,
            "import requests\nimport asyncio\nasync def get(url):\n    response = await asyncio.to_thread(requests.get, url, timeout=5)\n",
        ),
        Invalid(
            "import asyncio\nimport requests\nclass Client:\n    def __init__(self):\n        self.session = requests.Session()\n"
            "    async def get(self, url):\n        return self.session.get(url)\n",
            7, 16,
            "import asyncio\nimport requests\nclass Client:\n    def __init__(self):\n        self.session = requests.Session()\n"
            "    async def get(self, url):\n        return await asyncio.to_thread(self.session.get, url)\n",
        ),
        Invalid(
            "from urllib.request import urlopen\nasync def get(url):\n    print(urlopen(url).read())\n",
            3, 11,
        ),
    )


class BlockingFileIO(_BlockingCallRule):
    code = "AIO203"
    name = "blocking-file-io"
    summary = "File and file-system I/O (`open`, `pathlib`, `shutil`, `os`) in a coroutine"
    category = "file"
    fix_safety = FixSafety.UNSAFE
    valid = (
        "import os\nasync def path(p):\n    return os.path.join(p, 'x')\n",
        "import io\nasync def buffer():\n    b = io.StringIO()\n    b.write('x')\n",
        "async def save(open, p):\n    open(p)\n",
    )
    invalid = (
        Invalid("async def load(p):\n    with open(p) as f:\n        pass\n", 2, 10),
        Invalid(
            "import io\nasync def load(f: io.TextIOWrapper):\n    return f.read()\n",
            3, 12,
            "import io\nimport asyncio\nasync def load(f: io.TextIOWrapper):\n    return await asyncio.to_thread(f.read)\n",
        ),
        Invalid(
            "import shutil, asyncio\nasync def move(a, b):\n    shutil.move(a, b)\n",
            3, 5,
            "import shutil, asyncio\nasync def move(a, b):\n    await asyncio.to_thread(shutil.move, a, b)\n",
        ),
        Invalid(
            "from pathlib import Path\nasync def size(root):\n    return (Path(root) / 'data.csv').read_text()\n",
            3, 12,
            "from pathlib import Path\nimport asyncio\nasync def size(root):\n"
            "    return await asyncio.to_thread((Path(root) / 'data.csv').read_text)\n",
        ),
        Invalid(
            "import os.path\nasync def check(p):\n    if os.path.exists(p):\n        pass\n",
            3, 8,
        ),
    )


class BlockingSubprocess(_BlockingCallRule):
    code = "AIO204"
    name = "blocking-subprocess"
    summary = "`subprocess`, `os.system`, `os.wait*` or `input()` in a coroutine"
    category = "process"
    fix_safety = FixSafety.UNSAFE
    valid = (
        "import asyncio\nasync def run():\n    proc = await asyncio.create_subprocess_exec('ls')\n    await proc.wait()\n",
        "import subprocess\ndef run():\n    subprocess.run(['ls'])\n",
    )
    invalid = (
        Invalid(
            "import subprocess as sp\nimport asyncio\nasync def run():\n    sp.run(['ls'], check=True)\n",
            4, 5,
            "import subprocess as sp\nimport asyncio\nasync def run():\n    await asyncio.to_thread(sp.run, ['ls'], check=True)\n",
        ),
        Invalid("async def ask():\n    answer = input('name? ')\n", 2, 14, "import asyncio\nasync def ask():\n    answer = await asyncio.to_thread(input, 'name? ')\n"),
    )


class BlockingDatabaseCall(_BlockingCallRule):
    code = "AIO205"
    name = "blocking-database-call"
    summary = "A sync database driver call (`sqlite3`, `psycopg2`, `pymysql`, SQLAlchemy `Session`) in a coroutine"
    category = "database"
    fix_safety = FixSafety.UNSAFE
    valid = (
        "import aiosqlite\nasync def rows(path):\n    async with aiosqlite.connect(path) as db:\n        await db.execute('select 1')\n",
        "from sqlalchemy.ext.asyncio import AsyncSession\nasync def rows(session: AsyncSession):\n    await session.execute('x')\n",
    )
    invalid = (
        Invalid(
            "import sqlite3\nasync def rows(path):\n    conn = sqlite3.connect(path)\n    return conn\n",
            3, 12,
            "import sqlite3\nimport asyncio\nasync def rows(path):\n    conn = await asyncio.to_thread(sqlite3.connect, path)\n    return conn\n",
        ),
        Invalid(
            "from sqlalchemy.orm import Session\nasync def rows(session: Session):\n    session.commit()\n",
            3, 5,
            "from sqlalchemy.orm import Session\nimport asyncio\nasync def rows(session: Session):\n    await asyncio.to_thread(session.commit)\n",
        ),
    )


class BlockingDataLibraryCall(_BlockingCallRule):
    code = "AIO206"
    name = "blocking-data-library-call"
    summary = "A blocking data-library call (`yfinance`, `pandas.read_*`, `DataFrame.to_sql`) in a coroutine"
    category = "data"
    fix_safety = FixSafety.UNSAFE
    valid = (
        "import yfinance as yf\nimport asyncio\nasync def load(t):\n    return await asyncio.to_thread(yf.download, t)\n",
        "import pandas as pd\nasync def dump(df: pd.DataFrame):\n    return df.to_csv()\n",
        "async def history(ticker):\n    return ticker.history()\n",
    )
    invalid = (
        Invalid(
            "import yfinance as yf\nasync def load(ticker, start, end):\n"
            "    df = yf.Ticker(ticker).history(start=start, end=end, auto_adjust=False)\n    return df\n",
            3, 10,
            "import yfinance as yf\nimport asyncio\nasync def load(ticker, start, end):\n"
            "    df = await asyncio.to_thread(yf.Ticker(ticker).history, start=start, end=end, auto_adjust=False)\n    return df\n",
        ),
        Invalid("import yfinance\nasync def name(t):\n    return yfinance.Ticker(t).info['longName']\n", 3, 12),
        Invalid(
            "import pandas as pd\nasync def load(path):\n    frame = pd.read_csv(path)\n",
            3, 13,
            "import pandas as pd\nimport asyncio\nasync def load(path):\n    frame = await asyncio.to_thread(pd.read_csv, path)\n",
        ),
    )
