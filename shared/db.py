"""The database: engines, the naming convention, and one session per request that is
committed before the response is sent."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from shared.errors import Unavailable, route_of

log = logging.getLogger("zorgplek.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def metadata_for(schema: str) -> MetaData:
    """The metadata of one service's schema, with stable constraint names."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


class KernelBase(DeclarativeBase):
    """Tables the kernel owns: the event outbox and the audit log."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def async_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` URLs and use the asyncpg driver."""
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme in ("postgres", "postgresql"):
        scheme = "postgresql+asyncpg"
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


def plain_url(url: str) -> str:
    """The same URL for asyncpg itself (LISTEN/NOTIFY connections)."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, parts.fragment))


# The ended-token look-up of authentication runs once per request, briefly: a pool of this
# size keeps up with the request pool without ever opening a connection for a burst.
CHECK_POOL_SIZE = 5
# How long a request waits for one of the pool's connections before it is told to try
# again (503): the pool never grows beyond its size.
POOL_TIMEOUT_SECONDS = 10.0

# SQLSTATE 08001, "unable to establish connection": what a failed connect is reported as.
CANNOT_CONNECT = "08001"


def create_engine(url: str, pool_size: int = 10, *, autocommit: bool = False) -> AsyncEngine:
    """An engine with a pool sized for one service process. Statement parameters are never
    part of an error message or a log line: they hold what callers sent.

    The pool never grows beyond `pool_size`: connections opened for a burst and closed
    after it cost more than waiting for a pooled one, and the server's connection limit is
    shared by every process. There is no `SELECT 1` before each checkout: a connection
    found dead fails its request with a 503, and that failure makes the pool replace every
    connection as old as it, so the next request gets a fresh one."""
    engine = create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        pool_pre_ping=False,
        pool_recycle=1800,
        hide_parameters=True,
        # Compiling a query to machine code pays off for long analytical queries only; for
        # Zorgplek's short ones it costs more than it saves (seconds, where it kicks in).
        connect_args={"server_settings": {"jit": "off"}},
        **({"isolation_level": "AUTOCOMMIT"} if autocommit else {}),
    )
    event.listen(engine.sync_engine, "do_connect", _connect)
    return engine


def _connect(dialect: Dialect, _record: object, cargs: Any, cparams: Any) -> Any:
    """Open a driver connection; a server that cannot be reached (refused, reset, timed out,
    starting up, out of connections) becomes the driver's OperationalError with SQLSTATE
    08001, so it is reported like any other lost connection: 503, try again."""
    dbapi = dialect.loaded_dbapi
    try:
        return dbapi.connect(*cargs, **cparams)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        error: Any = dbapi.OperationalError(f"cannot connect to the database: {type(exc).__name__}")
        error.sqlstate = error.pgcode = getattr(exc, "sqlstate", None) or CANNOT_CONNECT
        raise error from exc


class Database:
    """The engines and session factory of one process."""

    def __init__(self, url: str, read_url: str | None = None, pool_size: int = 10) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size)
        # Reads run each statement on its own, without BEGIN and ROLLBACK around it: two
        # round trips fewer. On the primary they share its pool.
        self._read_engine = (
            create_engine(read_url, pool_size, autocommit=True) if read_url else None
        )
        self.read_engine = self._read_engine or self.engine.execution_options(
            isolation_level="AUTOCOMMIT"
        )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)
        # A small pool of its own for the one-row look-ups of authentication (has this
        # token's session ended?): they never wait behind, nor hold up, the requests' work.
        self.auth_engine = create_engine(url, CHECK_POOL_SIZE, autocommit=True)

    async def dispose(self) -> None:
        await self.engine.dispose()
        await self.auth_engine.dispose()
        if self._read_engine is not None:
            await self._read_engine.dispose()


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.database
    async with database.sessions() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        # Runs before the response is sent (scope="function"): when the commit fails the
        # caller hears so, never a 200 for work that was lost.
        try:
            await session.commit()
        except DBAPIError as exc:
            log.exception("commit failed", extra={"route": route_of(request)})
            raise Unavailable(
                "The change could not be saved; nothing was changed. Please try again.",
                headers={"Retry-After": "1"},
            ) from exc


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.database
    async with database.read_sessions() as session:
        yield session


async def _read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    database: Database = request.app.state.database
    async with database.read_engine.connect() as connection:
        yield connection


DbSession = Annotated[AsyncSession, Depends(_request_session, scope="function")]
"""The request's session; services flush, the request commits once, before responding."""

ReadSession = Annotated[AsyncSession, Depends(_read_session, scope="function")]
"""A read-only session, on the replica where one is configured. Each statement sees the
data as of its own start (no transaction around them): for reads that must agree with one
another, use a `DbSession`."""

ReadConnection = Annotated[AsyncConnection, Depends(_read_connection, scope="function")]
"""A `ReadSession` without the ORM: for a hot read that sends its own compiled statement
(the ORM session's bookkeeping costs more than such a statement itself)."""
