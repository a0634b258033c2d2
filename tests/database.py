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


async def truncate_all(url: str, schemas: tuple[str, ...]) -> None:
    """Empty every table of `schemas` except the migration version tables."""
    conn = await asyncpg.connect(plain_url(url))
    try:
        rows = await conn.fetch(
            "SELECT schemaname, tablename FROM pg_tables "
            "WHERE schemaname = ANY($1::text[]) AND tablename <> 'alembic_version'",
            list(schemas),
        )
        if rows:
            tables = ", ".join(f'"{r["schemaname"]}"."{r["tablename"]}"' for r in rows)
            # A request a browser test left in flight may hold one table while TRUNCATE
            # takes the next: PostgreSQL then ends one of the two; if it was us, again.
            for attempt in range(5):
                try:
                    await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
                    break
                except asyncpg.exceptions.DeadlockDetectedError:
                    if attempt == 4:
                        raise
    finally:
        await conn.close()
