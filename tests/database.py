"""The test database: a fresh database on the server named by ZORGPLEK_TEST_DATABASE_URL,
or on an embedded PostgreSQL when that is unset, so a fresh machine passes too."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from shared import embedded
from shared.db import plain_url


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(plain_url(url))
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@asynccontextmanager
async def fresh_database(scratch: Path) -> AsyncIterator[str]:
    """A new, empty database for one test run, dropped afterwards."""
    server_url = os.environ.get("ZORGPLEK_TEST_DATABASE_URL")
    stop_server = None
    if not server_url:
        server_url, stop_server = embedded.start(scratch / "pgdata", database="postgres")
    name = f"zorgplek_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(plain_url(server_url))
    try:
        if stop_server is not None:
            # The run's own server runs without autovacuum. It analysed tables the tests had
            # just emptied with DELETE (no rows on pages still full of dead ones), and with
            # those statistics a test that loads the whole demo in one transaction spent
            # 24-28 s instead of 3 s inserting reports (their hourly-history trigger).
            await admin.execute("ALTER SYSTEM SET autovacuum = off")
            await admin.execute("SELECT pg_reload_conf()")
        await admin.execute(f'CREATE DATABASE "{name}"')
        # A test database lives for one run: a commit need not wait for its WAL to reach
        # the disk (what other sessions see is unchanged; only a crash of the server
        # would lose the last moments, and the run would be over anyway).
        await admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await admin.close()
    try:
        yield _with_database(server_url, name)
    finally:
        await _forget_emptiers(_with_database(server_url, name))
        admin = await asyncpg.connect(plain_url(server_url))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
        if stop_server is not None:
            stop_server()


# Tables whose rows may not be deleted one by one (the audit log refuses it, as it should):
# emptied with TRUNCATE, which such a rule does not see.
_TRUNCATED = frozenset({"audit.audit_log"})


@dataclass
class _Emptier:
    """What emptying one database needs, found once per run: a connection of its own, the
    tables children first, a query that tells which of them hold rows, and the statements
    that put the sequences their columns own back at their start."""

    connection: asyncpg.Connection
    tables: list[str]
    probe: str
    resets: list[str]


_emptiers: dict[tuple[str, tuple[str, ...]], _Emptier] = {}


async def _emptier(url: str, schemas: tuple[str, ...]) -> _Emptier:
    known = _emptiers.get((url, schemas))
    if known is not None and not known.connection.is_closed():
        return known
    conn = await asyncpg.connect(plain_url(url))
    tables = _parents_last(await conn.fetch(_TABLES, list(schemas)))
    probe = " UNION ALL ".join(
        f"SELECT {i} FROM (SELECT FROM {table} LIMIT 1) AS t{i}" for i, table in enumerate(tables)
    )
    resets = [
        f"SELECT setval('{row['name']}'::regclass, {row['start_value']}, false)"
        for row in await conn.fetch(_SEQUENCES, list(schemas))
    ]
    _emptiers[(url, schemas)] = emptier = _Emptier(conn, tables, probe, resets)
    return emptier


async def _forget_emptiers(url: str) -> None:
    for key in [key for key in _emptiers if key[0] == url]:
        await _emptiers.pop(key).connection.close()


async def empty_tables(url: str, schemas: tuple[str, ...]) -> None:
    """Leave every table of `schemas` (except the migration version tables) empty and every
    sequence they own where it started, as `TRUNCATE … RESTART IDENTITY` of all of them
    would — touching only the tables that hold rows, with DELETE, children before their
    parents: a TRUNCATE costs a new file per table and index, tens of milliseconds each,
    while most tests write to a handful of tables. Two round trips: which tables hold rows,
    then every DELETE and sequence reset in one transaction."""
    emptier = await _emptier(url, schemas)
    # A request a browser test left in flight may write between our statements (a child
    # row after its table was emptied) or lock a row we delete: look again.
    for attempt in range(5):
        try:
            await _empty(emptier)
            return
        except (
            asyncpg.exceptions.DeadlockDetectedError,
            asyncpg.exceptions.ForeignKeyViolationError,
        ):
            if attempt == 4:
                raise


_TABLES = """
SELECT format('%I.%I', n.nspname, c.relname) AS name,
       ARRAY(
           SELECT format('%I.%I', pn.nspname, p.relname)
           FROM pg_constraint f
           JOIN pg_class p ON p.oid = f.confrelid
           JOIN pg_namespace pn ON pn.oid = p.relnamespace
           WHERE f.contype = 'f' AND f.conrelid = c.oid AND f.confrelid <> c.oid
       ) AS parents
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1::text[]) AND c.relname <> 'alembic_version'
"""


# The sequences a table's column owns (serial or identity), with their start.
_SEQUENCES = """
SELECT format('%I.%I', n.nspname, s.relname) AS name, q.seqstart AS start_value
FROM pg_class s
JOIN pg_namespace n ON n.oid = s.relnamespace
JOIN pg_sequence q ON q.seqrelid = s.oid
WHERE n.nspname = ANY($1::text[]) AND s.relkind = 'S'
  AND EXISTS (
      SELECT FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid
        AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
  )
"""


def _parents_last(rows: list[asyncpg.Record]) -> list[str]:
    """Table names ordered so that every table comes before the tables it refers to."""
    parents = {row["name"]: set(row["parents"]) & {r["name"] for r in rows} for row in rows}
    ordered: list[str] = []
    while parents:
        # A table no remaining table refers to can go now.
        free = sorted(t for t in parents if not any(t in p for p in parents.values()))
        if not free:
            raise RuntimeError(f"foreign keys in a cycle among {sorted(parents)}")
        for table in free:
            ordered.append(table)
            del parents[table]
    return ordered


async def _empty(emptier: _Emptier) -> None:
    tables = emptier.tables
    written = {tables[row[0]] for row in await emptier.connection.fetch(emptier.probe)}
    deletes = [
        f"{'TRUNCATE' if table in _TRUNCATED else 'DELETE FROM'} {table}"
        for table in tables
        if table in written
    ]
    # Without parameters the statements go as one simple query: one round trip, and one
    # transaction for all of them.
    await emptier.connection.execute(";\n".join([*deletes, *emptier.resets]))
