"""Each test starts from empty tables: what one test wrote — rows in every service's
schema, the audit log, numbers handed out by sequences — is gone before the next."""

from __future__ import annotations

import asyncpg
import httpx

from shared.db import plain_url
from tests.conftest import SCHEMAS, TokenFactory
from tests.database import empty_tables
from tests.factories import place_with_free
from tests.triage.helpers import actors, claim, reserve, submit


async def _counts(database_url: str) -> dict[str, int]:
    conn = await asyncpg.connect(plain_url(database_url))
    try:
        tables = await conn.fetch(
            "SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables "
            "WHERE schemaname = ANY($1::text[]) AND tablename <> 'alembic_version'",
            list(SCHEMAS),
        )
        return {t["name"]: await conn.fetchval(f"SELECT count(*) FROM {t['name']}") for t in tables}
    finally:
        await conn.close()


async def test_emptying_leaves_every_table_empty_and_every_sequence_at_its_start(
    client: httpx.AsyncClient, auth: TokenFactory, database_url: str, live_url: str
) -> None:
    people = await actors(client, auth)
    facility = await place_with_free(client, auth, 2)
    referral = await submit(client, people.referrer)
    await claim(client, referral["id"], people.triagist)
    held = await reserve(client, referral["id"], facility["id"], people.triagist)
    assert held.status_code == 201, held.text
    written = {name for name, count in (await _counts(database_url)).items() if count}
    # Children and their parents, the outbox and the append-only audit log all hold rows.
    assert {
        "capacity.organisations",
        "capacity.facilities",
        "capacity.holds",
        "triage.referrals",
        "triage.reservations",
        "events.outbox",
        "audit.audit_log",
    } <= written

    await empty_tables(database_url, SCHEMAS)

    assert set((await _counts(database_url)).values()) == {0}
    conn = await asyncpg.connect(plain_url(database_url))
    try:
        for sequence in ("events.outbox_position_seq", "audit.audit_log_id_seq"):
            assert await conn.fetchval("SELECT nextval($1::regclass)", sequence) == 1
    finally:
        await conn.close()
