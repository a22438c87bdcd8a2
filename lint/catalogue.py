"""The catalogue of blocking calls that the AIO2xx rules look for.

It is data: one row per canonical name, with its category and the async
replacement the message suggests. A name ``T.method`` matches a call of
``method`` on a value that the analysis has inferred to be of type ``T`` (see typeinfo).
Users add rows for their own sync SDKs with ``extra-blocking-calls``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

# Category -> (rule code, default advice in the message).
CATEGORIES: dict[str, tuple[str, str]] = {
    "sleep": ("AIO201", "use await asyncio.sleep()"),
    "http": ("AIO202", "use an async client such as httpx.AsyncClient or aiohttp, or await asyncio.to_thread()"),
    "file": ("AIO203", "use await asyncio.to_thread() or an async file library such as aiofiles"),
    "process": ("AIO204", "use asyncio.create_subprocess_exec() or await asyncio.to_thread()"),
    "database": ("AIO205", "use an async driver (aiosqlite, asyncpg, SQLAlchemy's AsyncSession) or await asyncio.to_thread()"),
    "data": ("AIO206", "use await asyncio.to_thread()"),
}


@dataclass(frozen=True)
class BlockingCall:
    """One catalogue row.

    ``attribute`` rows match reading the attribute (a property that does I/O,
    such as ``yfinance.Ticker.info``) instead of calling it. ``min_args`` skips
    calls with fewer positional arguments unless ``target_keyword`` is passed,
    for methods that only do I/O when given a target, such as
    ``DataFrame.to_csv(index=False)`` returning a string.
    """

    name: str
    category: str
    replacement: str | None = None
    attribute: bool = False
    min_args: int = 0
    target_keyword: str | None = None

    def accepts(self, positional: int, keywords: Iterable[str]) -> bool:
        """Tell whether a call with these arguments does the row's I/O."""
        if positional >= self.min_args:
            return True
        return self.target_keyword is not None and self.target_keyword in keywords

    @property
    def code(self) -> str:
        return CATEGORIES[self.category][0]

    @property
    def advice(self) -> str:
        if self.replacement:
            return f"use {self.replacement}"
        return CATEGORIES[self.category][1]


def _rows(category: str, names: str, **extra: object) -> list[BlockingCall]:
    return [BlockingCall(name, category, **extra) for name in names.split()]  # type: ignore[arg-type]


_HTTP_VERBS = "get post put patch delete head options request"

DEFAULT_ROWS: tuple[BlockingCall, ...] = (
    BlockingCall("time.sleep", "sleep", "await asyncio.sleep()"),
    # HTTP.
    *_rows("http", " ".join(f"requests.{verb}" for verb in _HTTP_VERBS.split())),
    *_rows("http", " ".join(f"requests.Session.{verb}" for verb in [*_HTTP_VERBS.split(), "send"])),
    *_rows("http", " ".join(f"httpx.{verb}" for verb in [*_HTTP_VERBS.split(), "stream"]), replacement="await httpx.AsyncClient().request() or aiohttp"),
    *_rows("http", " ".join(f"httpx.Client.{verb}" for verb in [*_HTTP_VERBS.split(), "stream", "send"]), replacement="httpx.AsyncClient"),
    *_rows("http", "urllib.request.urlopen urllib.request.urlretrieve urllib3.request"),
    *_rows("http", "urllib3.PoolManager.request urllib3.PoolManager.urlopen urllib3.HTTPConnectionPool.request urllib3.HTTPConnectionPool.urlopen"),
    *_rows("http", "http.client.HTTPConnection.request http.client.HTTPConnection.getresponse"),
    # Files and the file system.
    *_rows("file", "builtins.open io.open os.fdopen"),
    *_rows("file", "io.IOBase.read io.IOBase.readline io.IOBase.readlines io.IOBase.write io.IOBase.writelines io.IOBase.flush"),
    *_rows(
        "file",
        "pathlib.Path.open pathlib.Path.read_text pathlib.Path.read_bytes pathlib.Path.write_text "
        "pathlib.Path.write_bytes pathlib.Path.exists pathlib.Path.is_file pathlib.Path.is_dir "
        "pathlib.Path.stat pathlib.Path.mkdir pathlib.Path.unlink pathlib.Path.rmdir pathlib.Path.rename "
        "pathlib.Path.replace pathlib.Path.touch pathlib.Path.iterdir pathlib.Path.glob pathlib.Path.rglob "
        "pathlib.Path.chmod pathlib.Path.symlink_to pathlib.Path.samefile",
    ),
    *_rows(
        "file",
        "shutil.copy shutil.copy2 shutil.copyfile shutil.copyfileobj shutil.copytree shutil.move "
        "shutil.rmtree shutil.make_archive shutil.unpack_archive shutil.disk_usage",
    ),
    *_rows(
        "file",
        "os.remove os.unlink os.rename os.renames os.replace os.mkdir os.makedirs os.rmdir "
        "os.removedirs os.listdir os.scandir os.stat os.lstat os.walk os.chmod os.chown os.link "
        "os.symlink os.readlink os.truncate os.utime os.access os.fsync",
    ),
    *_rows(
        "file",
        "os.path.exists os.path.lexists os.path.isfile os.path.isdir os.path.islink os.path.ismount "
        "os.path.getsize os.path.getmtime os.path.getatime os.path.getctime os.path.samefile os.path.realpath",
    ),
    # Processes and terminals.
    *_rows(
        "process",
        "subprocess.run subprocess.call subprocess.check_call subprocess.check_output "
        "subprocess.getoutput subprocess.getstatusoutput subprocess.Popen "
        "subprocess.Popen.wait subprocess.Popen.communicate",
    ),
    *_rows(
        "process",
        "os.system os.popen os.spawnl os.spawnle os.spawnlp os.spawnlpe os.spawnv os.spawnve "
        "os.spawnvp os.spawnvpe os.wait os.waitpid os.wait3 os.wait4 os.waitid",
    ),
    BlockingCall("builtins.input", "process", "await asyncio.to_thread(input)"),
    # Sync database drivers.
    *_rows(
        "database",
        "sqlite3.connect sqlite3.Connection.execute sqlite3.Connection.executemany "
        "sqlite3.Connection.executescript sqlite3.Connection.commit sqlite3.Connection.rollback "
        "sqlite3.Connection.backup sqlite3.Cursor.execute sqlite3.Cursor.executemany "
        "sqlite3.Cursor.executescript sqlite3.Cursor.fetchone sqlite3.Cursor.fetchmany sqlite3.Cursor.fetchall",
        replacement="aiosqlite or await asyncio.to_thread()",
    ),
    *_rows(
        "database",
        "psycopg2.connect psycopg2.extensions.connection.commit psycopg2.extensions.connection.rollback "
        "psycopg2.extensions.cursor.execute psycopg2.extensions.cursor.executemany "
        "psycopg2.extensions.cursor.fetchone psycopg2.extensions.cursor.fetchmany psycopg2.extensions.cursor.fetchall",
        replacement="asyncpg or psycopg's AsyncConnection",
    ),
    *_rows(
        "database",
        "psycopg.connect psycopg.Connection.connect psycopg.Connection.execute psycopg.Connection.commit "
        "psycopg.Connection.rollback psycopg.Cursor.execute psycopg.Cursor.executemany "
        "psycopg.Cursor.fetchone psycopg.Cursor.fetchmany psycopg.Cursor.fetchall",
        replacement="psycopg.AsyncConnection",
    ),
    *_rows(
        "database",
        "pymysql.connect pymysql.Connect pymysql.connections.Connection.commit pymysql.connections.Connection.rollback "
        "pymysql.cursors.Cursor.execute pymysql.cursors.Cursor.executemany pymysql.cursors.Cursor.fetchone "
        "pymysql.cursors.Cursor.fetchmany pymysql.cursors.Cursor.fetchall",
        replacement="aiomysql or await asyncio.to_thread()",
    ),
    *_rows(
        "database",
        "sqlalchemy.orm.Session.execute sqlalchemy.orm.Session.scalars sqlalchemy.orm.Session.scalar "
        "sqlalchemy.orm.Session.commit sqlalchemy.orm.Session.flush sqlalchemy.orm.Session.get "
        "sqlalchemy.orm.Session.refresh sqlalchemy.orm.Session.merge sqlalchemy.orm.Session.rollback "
        "sqlalchemy.engine.Engine.connect sqlalchemy.engine.Engine.begin "
        "sqlalchemy.engine.Connection.execute sqlalchemy.engine.Connection.exec_driver_sql "
        "sqlalchemy.engine.Connection.scalar sqlalchemy.engine.Connection.scalars "
        "sqlalchemy.engine.Connection.commit sqlalchemy.engine.Connection.rollback",
        replacement="SQLAlchemy's AsyncSession or AsyncEngine",
    ),
    # Data libraries.
    *_rows("data", "yfinance.download yfinance.Ticker.history yfinance.Ticker.get_info yfinance.Tickers.history"),
    *_rows(
        "data",
        "yfinance.Ticker.info yfinance.Ticker.fast_info yfinance.Ticker.dividends yfinance.Ticker.splits "
        "yfinance.Ticker.actions yfinance.Ticker.financials yfinance.Ticker.balance_sheet yfinance.Ticker.cashflow",
        attribute=True,
    ),
    *_rows(
        "data",
        "pandas.read_csv pandas.read_sql pandas.read_sql_query pandas.read_sql_table pandas.read_excel "
        "pandas.read_parquet pandas.read_json pandas.read_feather pandas.read_hdf pandas.read_html "
        "pandas.read_pickle pandas.read_table pandas.read_fwf pandas.read_xml pandas.read_orc "
        "pandas.DataFrame.to_sql pandas.DataFrame.to_parquet pandas.DataFrame.to_excel "
        "pandas.DataFrame.to_pickle pandas.DataFrame.to_feather pandas.DataFrame.to_hdf",
    ),
    # Without a path these two return a string and do no I/O.
    *_rows("data", "pandas.DataFrame.to_csv pandas.DataFrame.to_json", min_args=1, target_keyword="path_or_buf"),
)


class Catalogue:
    """The rows in force for a run, looked up by canonical name."""

    def __init__(self, rows: Iterable[BlockingCall]) -> None:
        self.calls: dict[str, BlockingCall] = {}
        self.attributes: dict[str, BlockingCall] = {}
        for row in rows:
            if row.category not in CATEGORIES:
                known = ", ".join(CATEGORIES)
                raise ValueError(f"unknown blocking-call category {row.category!r} for {row.name}; use one of {known}")
            table = self.attributes if row.attribute else self.calls
            table[row.name] = row

        # Method names that appear in the table, to skip type inference for
        # the many method calls that cannot match any row.
        self.method_names = frozenset(name.rsplit(".", 1)[1] for name in self.calls)
        self.attribute_names = frozenset(name.rsplit(".", 1)[1] for name in self.attributes)
        # Classes of user-declared rows (see extended), which the type analysis
        # does not know otherwise.
        self.declared_types: frozenset[str] = frozenset()

    @classmethod
    def default(cls) -> Catalogue:
        return _DEFAULT

    def extended(self, rows: Iterable[BlockingCall]) -> Catalogue:
        """Return a catalogue with ``rows`` added.

        The owner of a row such as ``mysdk.Client.fetch`` is taken to be a
        class when its last part starts with a capital letter, so that
        ``mysdk.Client()`` and the annotation ``mysdk.Client`` give values of
        that type and ``client.fetch()`` matches the row.
        """
        rows = list(rows)
        catalogue = Catalogue([*self.calls.values(), *self.attributes.values(), *rows])
        owners = (row.name.rsplit(".", 1)[0] for row in rows if row.name.count(".") >= 2)
        catalogue.declared_types = self.declared_types | {owner for owner in owners if owner.rsplit(".", 1)[1][:1].isupper()}
        return catalogue

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Catalogue) and (self.calls, self.attributes) == (other.calls, other.attributes)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.calls)) + tuple(sorted(self.attributes)))


_DEFAULT = Catalogue(DEFAULT_ROWS)
