"""The test database: a fresh database on the server named by ZORGPLEK_TEST_DATABASE_URL,
or on an embedded PostgreSQL when that is unset, so a fresh machine passes too."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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


async def empty_tables(url: str, schemas: tuple[str, ...]) -> None:
    """Leave every table of `schemas` (except the migration version tables) empty and every
    sequence they own where it started, as `TRUNCATE … RESTART IDENTITY` of all of them
    would — touching only the tables that hold rows and the sequences that were used, with
    DELETE, children before their parents: a TRUNCATE costs a new file per table and
    index, tens of milliseconds each, while most tests write to a handful of tables."""
    conn = await asyncpg.connect(plain_url(url))
    try:
        tables = _parents_last(await conn.fetch(_TABLES, list(schemas)))
        # A request a browser test left in flight may write between our statements (a
        # child row after its table was emptied) or lock a row we delete: look again.
        for attempt in range(5):
            try:
                await _empty(conn, tables, schemas)
                break
            except (
                asyncpg.exceptions.DeadlockDetectedError,
                asyncpg.exceptions.ForeignKeyViolationError,
            ):
                if attempt == 4:
                    raise
    finally:
        await conn.close()


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


# The sequences a table's column owns (serial or identity) that handed out a value.
_USED_SEQUENCES = """
SELECT format('%I.%I', n.nspname, s.relname) AS name, q.seqstart AS start_value
FROM pg_class s
JOIN pg_namespace n ON n.oid = s.relnamespace
JOIN pg_sequence q ON q.seqrelid = s.oid
WHERE n.nspname = ANY($1::text[])
  -- the relkind first: PostgreSQL may otherwise ask an index for its last value
  AND CASE WHEN s.relkind = 'S' THEN pg_sequence_last_value(s.oid) END IS NOT NULL
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


async def _empty(conn: asyncpg.Connection, tables: list[str], schemas: tuple[str, ...]) -> None:
    probe = " UNION ALL ".join(
        f"SELECT {i} FROM (SELECT FROM {table} LIMIT 1) AS t{i}" for i, table in enumerate(tables)
    )
    written = {tables[row[0]] for row in await conn.fetch(probe)} if tables else set()
    used = await conn.fetch(_USED_SEQUENCES, list(schemas))
    async with conn.transaction():
        for table in tables:
            if table in written:
                verb = "TRUNCATE" if table in _TRUNCATED else "DELETE FROM"
                await conn.execute(f"{verb} {table}")
        for sequence in used:
            await conn.execute(
                "SELECT setval($1::regclass, $2, false)", sequence["name"], sequence["start_value"]
            )
