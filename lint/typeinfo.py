"""Types of the values that library calls return, as the analysis uses them.

Keys are canonical dotted names. ``T.method`` is the return type of calling
``method`` on a value of type ``T``, ``T.__call__`` the type of calling a
value of type ``T``, and ``T.__enter__`` the type that ``with T() as x``
binds when ``__enter__`` does not return ``self``. The tables name only the
types that some rule asks about: event loops, executors, threads, futures,
locks, events, queues, sync clients, files, paths and data frames.
"""

from __future__ import annotations

EVENT_LOOP = "asyncio.AbstractEventLoop"
FILE = "io.IOBase"
PATH = "pathlib.Path"
THREAD_POOL = "concurrent.futures.ThreadPoolExecutor"
PROCESS_POOL = "concurrent.futures.ProcessPoolExecutor"
EXECUTOR = "concurrent.futures.Executor"
FUTURE = "concurrent.futures.Future"

# Callable (or `Type.method`) -> type of the value it returns.
RETURN_TYPES: dict[str, str] = {
    # Event loops and runners.
    "asyncio.get_event_loop": EVENT_LOOP,
    "asyncio.get_running_loop": EVENT_LOOP,
    "asyncio.new_event_loop": EVENT_LOOP,
    "asyncio.events.get_event_loop": EVENT_LOOP,
    "asyncio.events.get_running_loop": EVENT_LOOP,
    "asyncio.events.new_event_loop": EVENT_LOOP,
    "asyncio.AbstractEventLoopPolicy.get_event_loop": EVENT_LOOP,
    "asyncio.AbstractEventLoopPolicy.new_event_loop": EVENT_LOOP,
    "asyncio.get_event_loop_policy": "asyncio.AbstractEventLoopPolicy",
    "asyncio.SelectorEventLoop": EVENT_LOOP,
    "asyncio.ProactorEventLoop": EVENT_LOOP,
    "uvloop.new_event_loop": EVENT_LOOP,
    "asyncio.Runner": "asyncio.Runner",
    "asyncio.Runner.get_loop": EVENT_LOOP,
    # Executors and threads.
    "concurrent.futures.ThreadPoolExecutor": THREAD_POOL,
    "concurrent.futures.ProcessPoolExecutor": PROCESS_POOL,
    "concurrent.futures.thread.ThreadPoolExecutor": THREAD_POOL,
    "concurrent.futures.process.ProcessPoolExecutor": PROCESS_POOL,
    "threading.Thread": "threading.Thread",
    "threading.Timer": "threading.Thread",
    "multiprocessing.Process": "multiprocessing.Process",
    # Futures of worker threads and of coroutines run on another loop.
    f"{EXECUTOR}.submit": FUTURE,
    f"{THREAD_POOL}.submit": FUTURE,
    f"{PROCESS_POOL}.submit": FUTURE,
    "concurrent.futures.Future": FUTURE,
    "asyncio.run_coroutine_threadsafe": FUTURE,
    "asyncio.tasks.run_coroutine_threadsafe": FUTURE,
    # Thread synchronisation and queues, whose waits block the calling thread.
    "threading.Event": "threading.Event",
    "threading.Lock": "threading.Lock",
    "threading.RLock": "threading.Lock",
    "threading.Semaphore": "threading.Semaphore",
    "threading.BoundedSemaphore": "threading.Semaphore",
    "threading.Condition": "threading.Condition",
    "threading.Barrier": "threading.Barrier",
    "queue.Queue": "queue.Queue",
    "queue.LifoQueue": "queue.Queue",
    "queue.PriorityQueue": "queue.Queue",
    "queue.SimpleQueue": "queue.Queue",
    "multiprocessing.Queue": "queue.Queue",
    "multiprocessing.JoinableQueue": "queue.Queue",
    # HTTP clients.
    "requests.Session": "requests.Session",
    "requests.session": "requests.Session",
    "requests.sessions.Session": "requests.Session",
    "httpx.Client": "httpx.Client",
    "urllib3.PoolManager": "urllib3.PoolManager",
    "urllib3.HTTPConnectionPool": "urllib3.HTTPConnectionPool",
    "urllib3.HTTPSConnectionPool": "urllib3.HTTPConnectionPool",
    "urllib3.connection_from_url": "urllib3.HTTPConnectionPool",
    "http.client.HTTPConnection": "http.client.HTTPConnection",
    "http.client.HTTPSConnection": "http.client.HTTPConnection",
    # Files and paths.
    "builtins.open": FILE,
    "io.open": FILE,
    "os.fdopen": FILE,
    "pathlib.Path.open": FILE,
    "pathlib.Path": PATH,
    "pathlib.PosixPath": PATH,
    "pathlib.WindowsPath": PATH,
    "pathlib.Path.home": PATH,
    "pathlib.Path.cwd": PATH,
    "pathlib.Path.joinpath": PATH,
    "pathlib.Path.with_name": PATH,
    "pathlib.Path.with_suffix": PATH,
    "pathlib.Path.with_stem": PATH,
    "pathlib.Path.relative_to": PATH,
    "pathlib.Path.absolute": PATH,
    "pathlib.Path.expanduser": PATH,
    "pathlib.Path.resolve": PATH,
    "pathlib.Path.parent": PATH,
    "pathlib.Path.__truediv__": PATH,
    # Processes.
    "subprocess.Popen": "subprocess.Popen",
    # Sync database drivers.
    "sqlite3.connect": "sqlite3.Connection",
    "sqlite3.Connection": "sqlite3.Connection",
    "sqlite3.Connection.cursor": "sqlite3.Cursor",
    "sqlite3.Connection.execute": "sqlite3.Cursor",
    "sqlite3.Connection.executemany": "sqlite3.Cursor",
    "sqlite3.Cursor.execute": "sqlite3.Cursor",
    "psycopg2.connect": "psycopg2.extensions.connection",
    "psycopg2.extensions.connection.cursor": "psycopg2.extensions.cursor",
    "psycopg.connect": "psycopg.Connection",
    "psycopg.Connection.connect": "psycopg.Connection",
    "psycopg.Connection.cursor": "psycopg.Cursor",
    "psycopg.Connection.execute": "psycopg.Cursor",
    "pymysql.connect": "pymysql.connections.Connection",
    "pymysql.Connect": "pymysql.connections.Connection",
    "pymysql.connections.Connection.cursor": "pymysql.cursors.Cursor",
    "sqlalchemy.create_engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.engine.Engine.connect": "sqlalchemy.engine.Connection",
    "sqlalchemy.engine.Engine.begin": "sqlalchemy.engine.Connection",
    "sqlalchemy.orm.Session": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.sessionmaker": "sqlalchemy.orm.sessionmaker",
    "sqlalchemy.orm.sessionmaker.__call__": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.sessionmaker.begin": "sqlalchemy.orm.Session",
    # Data libraries.
    "yfinance.Ticker": "yfinance.Ticker",
    "yfinance.Tickers": "yfinance.Tickers",
    "pandas.DataFrame": "pandas.DataFrame",
    "pandas.read_csv": "pandas.DataFrame",
    "pandas.read_sql": "pandas.DataFrame",
    "pandas.read_sql_query": "pandas.DataFrame",
    "pandas.read_sql_table": "pandas.DataFrame",
    "pandas.read_excel": "pandas.DataFrame",
    "pandas.read_parquet": "pandas.DataFrame",
    "pandas.read_json": "pandas.DataFrame",
    **{
        f"pandas.DataFrame.{method}": "pandas.DataFrame"
        for method in (
            "reset_index set_index copy dropna fillna rename sort_values sort_index drop "
            "drop_duplicates assign astype head tail merge join query filter round "
            "tz_localize tz_convert reindex"
        ).split()
    },
    "yfinance.download": "pandas.DataFrame",
    "yfinance.Ticker.history": "pandas.DataFrame",
}

# `with X() as x` binds `X().__enter__()`, which for these types is not `X`.
ENTER_TYPES: dict[str, str] = {
    "asyncio.Runner": "asyncio.Runner",
}

# Annotation spellings that mean the same type as a RETURN_TYPES value.
ANNOTATION_ALIASES: dict[str, str] = {
    "asyncio.AbstractEventLoop": EVENT_LOOP,
    "asyncio.events.AbstractEventLoop": EVENT_LOOP,
    "asyncio.BaseEventLoop": EVENT_LOOP,
    "asyncio.base_events.BaseEventLoop": EVENT_LOOP,
    "concurrent.futures.Executor": EXECUTOR,
    "concurrent.futures.ThreadPoolExecutor": THREAD_POOL,
    "concurrent.futures.ProcessPoolExecutor": PROCESS_POOL,
    "io.IOBase": FILE,
    "io.TextIOWrapper": FILE,
    "io.TextIOBase": FILE,
    "io.BufferedReader": FILE,
    "io.BufferedWriter": FILE,
    "io.BufferedRandom": FILE,
    "io.BufferedIOBase": FILE,
    "io.RawIOBase": FILE,
    "io.FileIO": FILE,
    "typing.IO": FILE,
    "typing.TextIO": FILE,
    "typing.BinaryIO": FILE,
    "pathlib.Path": PATH,
    "pathlib.PosixPath": PATH,
    "pathlib.WindowsPath": PATH,
    "requests.Session": "requests.Session",
    "requests.sessions.Session": "requests.Session",
    "httpx.Client": "httpx.Client",
    "urllib3.PoolManager": "urllib3.PoolManager",
    "sqlite3.Connection": "sqlite3.Connection",
    "sqlite3.Cursor": "sqlite3.Cursor",
    "psycopg.Connection": "psycopg.Connection",
    "psycopg.Cursor": "psycopg.Cursor",
    "sqlalchemy.orm.Session": "sqlalchemy.orm.Session",
    "sqlalchemy.engine.Engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.Engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.engine.Connection": "sqlalchemy.engine.Connection",
    "sqlalchemy.Connection": "sqlalchemy.engine.Connection",
    "subprocess.Popen": "subprocess.Popen",
    "threading.Thread": "threading.Thread",
    "multiprocessing.Process": "multiprocessing.Process",
    "concurrent.futures.Future": FUTURE,
    "threading.Event": "threading.Event",
    "threading.Semaphore": "threading.Semaphore",
    "threading.BoundedSemaphore": "threading.Semaphore",
    "threading.Condition": "threading.Condition",
    "threading.Barrier": "threading.Barrier",
    "queue.Queue": "queue.Queue",
    "queue.LifoQueue": "queue.Queue",
    "queue.PriorityQueue": "queue.Queue",
    "queue.SimpleQueue": "queue.Queue",
    "yfinance.Ticker": "yfinance.Ticker",
    "pandas.DataFrame": "pandas.DataFrame",
}

# Types whose instances run callables in worker threads or processes.
EXECUTOR_TYPES = frozenset({EXECUTOR, THREAD_POOL, PROCESS_POOL})

# Decorators that return a coroutine function when given one.
COROUTINE_PRESERVING_DECORATORS = frozenset(
    {
        "abc.abstractmethod",
        "functools.wraps",
        "typing.override",
        "typing_extensions.override",
        "tenacity.retry",
        "backoff.on_exception",
        "backoff.on_predicate",
        "async_timeout.timeout",
    }
)
