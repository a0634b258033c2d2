"""A provider system posts all its locations at once: one CSV batch of 5,000 rows (the
default ZORGPLEK_BATCH_MAX_ROWS) to one `zorgplek serve capacity` process. Measures how long
the batch takes and the longest write transaction open meanwhile — the event relay waits
for the oldest open transaction, so that is how long every live event is held up. Run with
the batch committed in chunks (the default) and, for comparison, in one transaction.

Database: ZORGPLEK_BENCH_DATABASE_URL (a fresh database is created there), else an embedded
PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from bench.stack import SECRET, wait_ready
from shared.auth import issue_token
from shared.db import plain_url
from shared.http import client as http_client
from shared.settings import Settings
from tests.database import fresh_database

ROWS = 5000
PLACE_TYPES = ("ELV_HOOG", "GRZ")
CHUNKS = (100, ROWS)  # the default, and everything in one transaction as it used to be


async def seed(url: str) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """One large provider with ROWS / 2 locations of two place types each, reported."""
    conn = await asyncpg.connect(plain_url(url))
    rng = random.Random(5)
    organisation = uuid.uuid4()
    facilities = [uuid.uuid4() for _ in range(ROWS // len(PLACE_TYPES))]
    try:
        await conn.execute(
            "INSERT INTO capacity.organisations (id, name, kind) VALUES ($1, 'Zorggroep', 'vvt')",
            organisation,
        )
        await conn.executemany(
            "INSERT INTO capacity.facilities (id, organisation_id, name, city, postcode, "
            "region_code, lat, lon, place_types, features, admission_hours) "
            "VALUES ($1, $2, $3, 'Plaats', '1234', 'ZK-UTRECHT', $4, $5, $6, '{}', '24/7')",
            [
                (
                    f,
                    organisation,
                    f"Locatie {n}",
                    rng.uniform(51, 53),
                    rng.uniform(4, 6.5),
                    [*PLACE_TYPES],
                )
                for n, f in enumerate(facilities)
            ],
        )
        # Every place reported once already, so each measured batch takes the same path.
        now = datetime.now(UTC)
        await conn.executemany(
            "INSERT INTO capacity.capacity (facility_id, place_type, staffed, occupied, "
            "available, held, observed_at, received_at, stale_notified) "
            "VALUES ($1, $2, 10, 7, 3, 0, $3, $3, false)",
            [(f, p, now) for f in facilities for p in PLACE_TYPES],
        )
    finally:
        await conn.close()
    return organisation, facilities


def csv_batch(facilities: list[uuid.UUID], rng: random.Random) -> bytes:
    now = datetime.now(UTC).isoformat()
    lines = ["facility_id,place_type,staffed,occupied,available,observed_at"]
    for facility in facilities:
        for place_type in PLACE_TYPES:
            available = rng.randint(0, 3)
            lines.append(f"{facility},{place_type},10,{7 - available},{available},{now}")
    return ("\n".join(lines) + "\n").encode()


async def longest_transaction(url: str, done: asyncio.Event) -> float:
    """The age of the oldest write transaction, sampled every 20 ms until `done`."""
    conn = await asyncpg.connect(plain_url(url))
    longest = 0.0
    try:
        while not done.is_set():
            age = await conn.fetchval(
                "SELECT coalesce(max(extract(epoch FROM clock_timestamp() - xact_start)), 0) "
                "FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_xid IS NOT NULL"
            )
            longest = max(longest, float(age))
            await asyncio.sleep(0.02)
    finally:
        await conn.close()
    return longest


async def measure(database: str, chunk: int, organisation: uuid.UUID, body: bytes) -> None:
    port = 18000 + (os.getpid() + chunk) % 1000
    env = {
        **os.environ,
        "ZORGPLEK_DATABASE_URL": database,
        "ZORGPLEK_ENV": "production",
        "ZORGPLEK_JWT_SECRET": SECRET,
        "ZORGPLEK_PORT": str(port),
        "ZORGPLEK_LOG_LEVEL": "WARNING",
        "ZORGPLEK_RATE_LIMITS": "off",
        "ZORGPLEK_BATCH_CHUNK_ROWS": str(chunk),
    }
    zorgplek = str(Path(sys.executable).parent / "zorgplek")
    server = await asyncio.create_subprocess_exec(
        zorgplek,
        "serve",
        "capacity",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    settings = Settings(env="production", jwt_secret=SECRET, database_url="postgresql://x/y")
    token = issue_token(settings, sub="ecd", name="ECD", roles=["provider"], org=organisation)
    headers = {"Authorization": f"Bearer {token}", "content-type": "text/csv"}
    try:
        await wait_ready(f"http://127.0.0.1:{port}", server)
        async with http_client(base_url=f"http://127.0.0.1:{port}", timeout=600) as http:
            done = asyncio.Event()
            sampler = asyncio.create_task(longest_transaction(database, done))
            started = time.perf_counter()
            response = await http.post("/api/v1/capacity-reports", content=body, headers=headers)
            elapsed = time.perf_counter() - started
            done.set()
            held_up = await sampler
        assert response.status_code == 200, response.text
        applied = sum(1 for row in response.json()["results"] if row.get("applied"))
        assert applied == ROWS, applied
        print(
            f"chunks of {chunk} rows: {ROWS} rows in {elapsed:.1f} s "
            f"= {ROWS / elapsed:.0f} rows/s; longest open write transaction {held_up:.2f} s",
            flush=True,
        )
    finally:
        server.terminate()
        await server.wait()


async def run() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        if url := os.environ.get("ZORGPLEK_BENCH_DATABASE_URL"):
            os.environ["ZORGPLEK_TEST_DATABASE_URL"] = url
        async with fresh_database(Path(scratch)) as database:
            zorgplek = str(Path(sys.executable).parent / "zorgplek")
            env = {**os.environ, "ZORGPLEK_DATABASE_URL": database, "ZORGPLEK_ENV": "production"}
            env["ZORGPLEK_JWT_SECRET"] = SECRET
            migrate = await asyncio.create_subprocess_exec(
                zorgplek, "migrate", env=env, stdout=asyncio.subprocess.DEVNULL
            )
            await migrate.wait()
            organisation, facilities = await seed(database)
            rng = random.Random(3)
            print(f"one CSV batch of {ROWS} rows from one provider system", flush=True)
            for chunk in CHUNKS:
                await measure(database, chunk, organisation, csv_batch(facilities, rng))


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
