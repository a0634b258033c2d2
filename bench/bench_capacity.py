"""Capacity at national scale: 2,500 locations × 4 place types, served by one
`zorgplek serve capacity` process. Measures report throughput (the country peaks under
100 reports/s), availability search latency, and hold/release cycles.

Database: ZORGPLEK_BENCH_DATABASE_URL (a fresh database is created there), else an embedded
PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from shared.auth import issue_token
from shared.db import plain_url
from shared.settings import Settings
from tests.database import fresh_database

LOCATIONS = 2500
PLACE_TYPES = ("ELV_HOOG", "ELV_LAAG", "GRZ", "WLZ_CRISIS")
CONCURRENCY = 16
DURATION = 10.0
SECRET = "benchmark-secret-that-is-long-enough-for-hs256"


async def seed(url: str) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Organisations and locations spread over the Netherlands, with fresh capacity."""
    conn = await asyncpg.connect(plain_url(url))
    rng = random.Random(7)
    now = datetime.now(UTC)
    organisations = [uuid.uuid4() for _ in range(LOCATIONS // 5)]
    facilities = [(uuid.uuid4(), organisations[i // 5]) for i in range(LOCATIONS)]
    regions = [
        "ZK-KENNEMERLAND",
        "ZK-ZUID-HOLLAND-NOORD",
        "ZK-UTRECHT",
        "ZK-TWENTE",
        "ZK-ROTTERDAM",
        "ZK-GRONINGEN",
    ]
    try:
        await conn.executemany(
            "INSERT INTO capacity.organisations (id, name, kind) VALUES ($1, $2, 'vvt')",
            [(o, f"Zorggroep {n}") for n, o in enumerate(organisations)],
        )
        await conn.executemany(
            "INSERT INTO capacity.facilities (id, organisation_id, name, city, postcode, "
            "region_code, lat, lon, place_types, features, admission_hours) "
            "VALUES ($1, $2, $3, 'Plaats', '1234', $4, $5, $6, $7, $8, '24/7')",
            [
                (
                    f,
                    o,
                    f"Locatie {n}",
                    rng.choice(regions),
                    rng.uniform(50.8, 53.4),
                    rng.uniform(3.5, 7.1),
                    list(PLACE_TYPES),
                    rng.sample(["dementia", "oxygen", "isolation"], rng.randint(0, 2)),
                )
                for n, (f, o) in enumerate(facilities)
            ],
        )
        await conn.executemany(
            "INSERT INTO capacity.capacity (facility_id, place_type, staffed, occupied, "
            "available, held, observed_at, received_at, stale_notified) "
            "VALUES ($1, $2, 10, 7, $3, 0, $4, $4, false)",
            [
                (f, p, rng.randint(0, 3), now - timedelta(minutes=rng.randint(1, 120)))
                for f, _ in facilities
                for p in PLACE_TYPES
            ],
        )
    finally:
        await conn.close()
    return facilities


async def wait_ready(http: httpx.AsyncClient) -> None:
    for _ in range(600):
        try:
            if (await http.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("the capacity service did not become ready")


def summary(name: str, latencies: list[float], elapsed: float) -> None:
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(
        f"{name}: {len(latencies)} in {elapsed:.1f} s = {len(latencies) / elapsed:.0f}/s; "
        f"latency p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms",
        flush=True,
    )


Request = tuple[str, str, dict[str, Any]]


async def load(
    http: httpx.AsyncClient,
    make: Callable[[], Request],
    after: Callable[[str, httpx.Response], None] | None = None,
    seconds: float = DURATION,
) -> tuple[list[float], float, Counter[int]]:
    """Run `make()` requests from CONCURRENCY workers for `seconds`; count the statuses."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            method, path, kwargs = make()
            started = time.perf_counter()
            response = await http.request(method, path, **kwargs)
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code] += 1
            if after is not None:
                after(method, response)

    started = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(CONCURRENCY)])
    return latencies, time.perf_counter() - started, statuses


async def run() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        if url := os.environ.get("ZORGPLEK_BENCH_DATABASE_URL"):
            os.environ["ZORGPLEK_TEST_DATABASE_URL"] = url
        async with fresh_database(Path(scratch)) as database:
            port = 18000 + os.getpid() % 1000
            env = {
                **os.environ,
                "ZORGPLEK_DATABASE_URL": database,
                "ZORGPLEK_ENV": "production",
                "ZORGPLEK_JWT_SECRET": SECRET,
                "ZORGPLEK_PORT": str(port),
                "ZORGPLEK_LOG_LEVEL": "WARNING",
                # One caller sends every request: measure the service, not its limits.
                "ZORGPLEK_RATE_LIMITS": "off",
            }
            zorgplek = str(Path(sys.executable).parent / "zorgplek")
            migrate = await asyncio.create_subprocess_exec(
                zorgplek, "migrate", env=env, stdout=asyncio.subprocess.DEVNULL
            )
            await migrate.wait()
            facilities = await seed(database)
            server = await asyncio.create_subprocess_exec(
                zorgplek,
                "serve",
                "capacity",
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            try:
                await measure(f"http://127.0.0.1:{port}", facilities)
            finally:
                server.terminate()
                await server.wait()


async def measure(base: str, facilities: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
    settings = Settings(env="production", jwt_secret=SECRET, database_url="postgresql://x/y")
    referrer = {
        "Authorization": "Bearer " + issue_token(settings, sub="gp", name="GP", roles=["referrer"])
    }
    service = {
        "Authorization": "Bearer "
        + issue_token(settings, sub="triage", name="T", roles=["service"])
    }
    providers = {
        o: {
            "Authorization": "Bearer "
            + issue_token(settings, sub=f"p{o}", name="P", roles=["provider"], org=o)
        }
        for _, o in facilities
    }
    rng = random.Random(11)
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
        await wait_ready(http)
        print(
            f"{LOCATIONS} locations × {len(PLACE_TYPES)} place types, "
            f"{CONCURRENCY} concurrent clients, one capacity process",
            flush=True,
        )

        def report() -> Request:
            facility, organisation = rng.choice(facilities)
            available = rng.randint(0, 3)
            body = {
                "staffed": 10,
                "occupied": 7,
                "available": available,
                "observed_at": datetime.now(UTC).isoformat(),
            }
            path = f"/api/v1/facilities/{facility}/capacity/{rng.choice(PLACE_TYPES)}"
            return "PUT", path, {"json": body, "headers": providers[organisation]}

        latencies, elapsed, statuses = await load(http, report)
        summary("capacity reports (PUT)", latencies, elapsed)
        assert set(statuses) == {200}, statuses

        by_organisation: dict[uuid.UUID, list[uuid.UUID]] = {}
        for facility, organisation in facilities:
            by_organisation.setdefault(organisation, []).append(facility)
        owners = list(by_organisation)

        def batch() -> Request:
            """A provider system reports every place type of all its locations at once."""
            owner = rng.choice(owners)
            rows = [
                {
                    "facility_id": str(facility),
                    "place_type": place_type,
                    "staffed": 10,
                    "occupied": 7,
                    "available": rng.randint(0, 3),
                    "observed_at": datetime.now(UTC).isoformat(),
                }
                for facility in by_organisation[owner]
                for place_type in PLACE_TYPES
            ]
            return (
                "POST",
                "/api/v1/capacity-reports",
                {"json": {"reports": rows}, "headers": providers[owner]},
            )

        rows_per_batch = len(by_organisation[owners[0]]) * len(PLACE_TYPES)
        latencies, elapsed, statuses = await load(http, batch)
        summary(f"capacity batches of {rows_per_batch} rows (POST)", latencies, elapsed)
        print(f"  = {len(latencies) * rows_per_batch / elapsed:.0f} reports/s", flush=True)
        assert set(statuses) == {200}, statuses

        def search() -> Request:
            near = f"{rng.uniform(51.5, 53):.4f},{rng.uniform(4.2, 6.5):.4f}"
            params = {"place_type": "ELV_HOOG", "near": near, "radius_km": 30, "limit": 20}
            return "GET", "/api/v1/availability", {"params": params, "headers": referrer}

        latencies, elapsed, statuses = await load(http, search)
        summary("availability search (near, 30 km)", latencies, elapsed)
        assert set(statuses) == {200}, statuses

        def region() -> Request:
            params = {"place_type": ["ELV_HOOG", "GRZ"], "region": "ROAZ-WEST", "limit": 500}
            return "GET", "/api/v1/availability", {"params": params, "headers": service}

        latencies, elapsed, statuses = await load(http, region)
        summary("matching candidates (ROAZ region, 500)", latencies, elapsed)
        assert set(statuses) == {200}, statuses

        held: list[str] = []

        def hold_or_release() -> Request:
            if held and rng.random() < 0.5:
                return "DELETE", f"/api/v1/holds/{held.pop()}", {"headers": service}
            facility, _ = rng.choice(facilities)
            body = {
                "facility_id": str(facility),
                "place_type": "GRZ",
                "referral_id": str(uuid.uuid4()),
                "ttl_seconds": 600,
            }
            return "POST", "/api/v1/holds", {"json": body, "headers": service}

        def remember(method: str, response: httpx.Response) -> None:
            if method == "POST" and response.status_code == 201:
                held.append(response.json()["id"])

        latencies, elapsed, statuses = await load(http, hold_or_release, remember)
        summary("holds and releases", latencies, elapsed)
        assert set(statuses) <= {200, 201, 409}, statuses
        print(f"  (409 no free place: {statuses[409]})", flush=True)


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
