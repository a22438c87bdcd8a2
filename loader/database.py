"""Database URLs and engines: which databases stockloader supports and how it connects.

Users give ordinary SQLAlchemy URLs (``sqlite:///stocks.db``,
``postgresql://user@host/db``). The loader writes through SQLAlchemy's
asyncio extension, so each URL is mapped to an asyncio driver: aiosqlite for
SQLite, asyncpg for PostgreSQL unless the URL already names psycopg (version
3), which has an asyncio mode too.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# Seconds to wait for a connection. SQLite waits this long for another writer's lock.
CONNECT_TIMEOUT = 10
SQLITE_BUSY_TIMEOUT = 30


class DatabaseError(Exception):
    """The database cannot be used: invalid URL, unreachable, read-only or failing."""


def parse_database_url(text: str) -> URL:
    """Parse ``--db``, raising ``DatabaseError`` for text that is not a supported SQLAlchemy URL."""
    try:
        url = make_url(text)
    except ArgumentError as error:
        raise DatabaseError(f"invalid --db URL {text!r}: {error}; use sqlite:///FILE or postgresql://USER@HOST/DATABASE") from error

    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseError(f"unsupported database {backend!r} in --db {display_url(url)}; use sqlite:///FILE or postgresql://USER@HOST/DATABASE")
    return url


def display_url(url: URL) -> str:
    """Return the URL as text with any password masked, for messages and logs."""
    text = url.render_as_string(hide_password=True)
    # SQLAlchemy escapes ':' in a SQLite file name (file%3A...). A SQLite URL has no password to hide.
    return urllib.parse.unquote(text) if url.get_backend_name() == "sqlite" else text


def connection_hint(url: URL) -> str:
    """Return what to check when the database of ``url`` cannot be opened."""
    if url.get_backend_name() == "sqlite":
        return "check that the folder exists and that the file is readable and writable"
    return "check the URL and that the server is running"


def asyncio_url(url: URL) -> URL:
    """Return ``url`` with an asyncio driver: aiosqlite, asyncpg or psycopg."""
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    # Only an explicit driver counts: SQLAlchemy's default for a bare
    # postgresql:// differs between versions (psycopg2 in 2.0, psycopg in 2.1).
    if url.drivername in ("postgresql+asyncpg", "postgresql+psycopg"):
        return url
    return url.set(drivername="postgresql+asyncpg")


def sqlite_file(url: URL) -> Path | None:
    """Return the file of a SQLite URL, or None for an in-memory or URI-style database."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.query.get("uri") == "true" or str(url.database).startswith("file:"):
        return None
    return Path(str(url.database))


def create_engine(url: URL) -> AsyncEngine:
    """Create the asyncio engine for ``url`` with connect timeouts suited to each driver."""
    engine_url = asyncio_url(url)
    driver = engine_url.get_driver_name()
    if driver == "aiosqlite":
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT}
    elif driver == "asyncpg":
        connect_args = {"timeout": CONNECT_TIMEOUT}
    else:
        connect_args = {"connect_timeout": CONNECT_TIMEOUT}
    return create_async_engine(engine_url, connect_args=connect_args)


def describe_error(error: BaseException) -> str:
    """Return the first line of a driver error, without SQLAlchemy's background link."""
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()
    return text[0] if text else type(original).__name__
