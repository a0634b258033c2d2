"""The scenarios: each drives the running stack and answers its numbers."""

from __future__ import annotations

import asyncio
import json
import random
import re
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import asyncpg
import httpx

from bench.load import Request, median_of, write_requests, wrk
from bench.seed import EVERYWHERE, Country, Location
from bench.stack import SECRET, Server, Stack, token
from services.web.core.session import COOKIE, Session, encode, session_key
from shared.db import plain_url
from shared.http import client as http_client
from shared.settings import Settings


@dataclass(frozen=True, slots=True)
class Pace:
    """How long and how often: the full run, or a quick look."""

    warmup: float
    seconds: float
    repeats: int
    reports: int  # events sent per event scenario

    @classmethod
    def of(cls, quick: bool) -> Pace:
        return cls(1.0, 3.0, 1, 30) if quick else cls(2.0, 8.0, 3, 100)


@dataclass(slots=True)
class Context:
    stack: Stack
    country: Country
    database: str
    scratch: Path
    pace: Pace
    rng: random.Random


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _latencies(values: list[float]) -> dict[str, float]:
    """Seconds in, milliseconds out."""
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "p50_ms": round(statistics.median(values) * 1000, 1),
        "p99_ms": round(_percentile(values, 0.99) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


async def _measure(ctx: Context, server: Server, requests: Path, clients: int) -> dict[str, Any]:
    await wrk(server.base, requests, clients, ctx.pace.warmup)
    runs = [await wrk(server.base, requests, clients, ctx.pace.seconds)]
    for _ in range(ctx.pace.repeats - 1):
        runs.append(await wrk(server.base, requests, clients, ctx.pace.seconds))
    return median_of(runs)


async def _side_by_side(
    ctx: Context, zorgplek: Path, ceiling: Path, clients: int
) -> dict[str, Any]:
    """Zorgplek and the ceiling in turns, so both meet the same load on the machine."""
    z_runs: list[dict[str, Any]] = []
    c_runs: list[dict[str, Any]] = []
    await wrk(ctx.stack.capacity.base, zorgplek, clients, ctx.pace.warmup)
    await wrk(ctx.stack.ceiling.base, ceiling, clients, ctx.pace.warmup)
    for _ in range(ctx.pace.repeats):
        z_runs.append(await wrk(ctx.stack.capacity.base, zorgplek, clients, ctx.pace.seconds))
        c_runs.append(await wrk(ctx.stack.ceiling.base, ceiling, clients, ctx.pace.seconds))
    z, c = median_of(z_runs), median_of(c_runs)
    return {"zorgplek": z, "ceiling": c, "ratio": round(z["rps"] / c["rps"], 2)}


SEARCH_PLACE_TYPE = "ELV_HOOG"
RADIUS_KM = 30


async def search(ctx: Context) -> dict[str, Any]:
    """Availability `near` a random point, 30 km, 20 rows, at 1, 16 and 64 clients."""
    referrer = token("gp-bench", ["referrer"], org=str(uuid.uuid4()))
    points = [
        (round(ctx.rng.uniform(51.5, 53.0), 4), round(ctx.rng.uniform(4.2, 6.5), 4))
        for _ in range(500)
    ]
    zorgplek = [
        Request(
            "GET",
            "/api/v1/availability?"
            + urlencode(
                {
                    "place_type": SEARCH_PLACE_TYPE,
                    "near": f"{lat},{lon}",
                    "radius_km": RADIUS_KM,
                    "limit": 20,
                }
            ),
            referrer,
        )
        for lat, lon in points
    ]
    ceiling = [
        Request("GET", f"/search?near={lat},{lon}&radius_km={RADIUS_KM}") for lat, lon in points
    ]
    z_file = write_requests(zorgplek, ctx.scratch / "search.lua")
    c_file = write_requests(ceiling, ctx.scratch / "search-ceiling.lua")
    return {
        f"{clients} clients": await _side_by_side(ctx, z_file, c_file, clients)
        for clients in (1, 16, 64)
    }


def _report_body(available: int, staffed: int = 10) -> str:
    return json.dumps(
        {
            "staffed": staffed,
            "occupied": staffed - available,
            "available": available,
            "observed_at": "@NOW@",
        }
    )


def _small_locations(ctx: Context) -> list[Location]:
    large = set(ctx.country.large_providers)
    return [loc for loc in ctx.country.locations if loc.organisation_id not in large]


async def put(ctx: Context) -> dict[str, Any]:
    """Single reports of one place type at one location, 16 clients, each as its provider."""
    locations = _small_locations(ctx)
    zorgplek: list[Request] = []
    ceiling: list[Request] = []
    for _ in range(1000):
        loc = ctx.rng.choice(locations)
        place_type = ctx.rng.choice(loc.place_types)
        body = _report_body(ctx.rng.randint(1, 4))
        headers = token(f"ecd-{loc.organisation_id}", ["provider"], org=str(loc.organisation_id))
        headers["Content-Type"] = "application/json"
        path = f"/api/v1/facilities/{loc.id}/capacity/{place_type}"
        zorgplek.append(Request("PUT", path, headers, body, now=True))
        ceiling.append(
            Request(
                "PUT",
                f"/capacity/{loc.id}/{place_type}",
                # Without authentication: the organisation Zorgplek reads from the token.
                {"Content-Type": "application/json", "X-Organisation": str(loc.organisation_id)},
                body,
                now=True,
            )
        )
    z_file = write_requests(zorgplek, ctx.scratch / "put.lua")
    c_file = write_requests(ceiling, ctx.scratch / "put-ceiling.lua")
    return {"16 clients": await _side_by_side(ctx, z_file, c_file, 16)}


async def batch(ctx: Context) -> dict[str, Any]:
    """A provider system reports every place type of its 100 locations at once (1,000 rows),
    as JSON and as CSV, one system at a time."""
    result: dict[str, Any] = {}
    for form in ("json", "csv"):
        requests = []
        for organisation in ctx.country.large_providers:
            rows = [
                (loc.id, place_type)
                for loc in ctx.country.of(organisation)
                for place_type in loc.place_types
            ]
            headers = token(f"ecd-{organisation}", ["provider"], org=str(organisation))
            available = ctx.rng.randint(1, 4)
            if form == "json":
                headers["Content-Type"] = "application/json"
                body = json.dumps(
                    {
                        "reports": [
                            {
                                "facility_id": str(facility),
                                "place_type": place_type,
                                "staffed": 10,
                                "occupied": 10 - available,
                                "available": available,
                                "observed_at": "@NOW@",
                            }
                            for facility, place_type in rows
                        ]
                    }
                )
            else:
                headers["Content-Type"] = "text/csv"
                lines = ["facility_id,place_type,staffed,occupied,available,observed_at"]
                lines += [
                    f"{facility},{place_type},10,{10 - available},{available},@NOW@"
                    for facility, place_type in rows
                ]
                body = "\n".join(lines) + "\n"
            requests.append(Request("POST", "/api/v1/capacity-reports", headers, body, now=True))
        # Timed one after another: a batch may take longer than a wrk run lasts.
        seconds = []
        async with http_client(base_url=ctx.stack.capacity.base, timeout=120) as http:
            for n in range(1 + ctx.pace.repeats):
                r = requests[n % len(requests)]
                body = r.body.replace("@NOW@", datetime.now(UTC).isoformat()) if r.body else ""
                started = time.perf_counter()
                response = await http.request(r.method, r.path, content=body, headers=r.headers)
                if response.status_code != 200:
                    raise RuntimeError(f"batch refused: {response.status_code}")
                if n:  # the first warms up
                    seconds.append(time.perf_counter() - started)
        measured: dict[str, Any] = {"batches": len(seconds), **_latencies(seconds)}
        measured["rows_per_batch"] = len(rows)
        measured["rows_per_s"] = round(len(rows) / statistics.median(seconds))
        result[form] = measured
    return result


HOLD_ATTEMPTS = 200
HOLD_CONCURRENCY = 50
FREE_PLACES = 5


async def holds(ctx: Context) -> dict[str, Any]:
    """200 attempts, 50 at a time, to hold one of 5 free places: exactly 5 succeed, and the
    database agrees (active holds = held = 5, never more than available)."""
    service = token("service:triage", ["service"])
    rounds = []
    large = ctx.country.of(ctx.country.large_providers[0])
    conn = await asyncpg.connect(plain_url(ctx.database))
    try:
        limits = httpx.Limits(max_connections=HOLD_CONCURRENCY)
        async with http_client(base_url=ctx.stack.capacity.base, timeout=30, limits=limits) as http:
            for n in range(ctx.pace.repeats):
                loc = large[n]
                place_type = "WLZ_LOGEER"
                await conn.execute(
                    "UPDATE capacity.capacity SET available = $3, held = 0, observed_at = now() "
                    "WHERE facility_id = $1 AND place_type = $2",
                    loc.id,
                    place_type,
                    FREE_PLACES,
                )
                gate = asyncio.Semaphore(HOLD_CONCURRENCY)
                latencies: list[float] = []

                async def attempt(
                    loc: Location = loc,
                    place_type: str = place_type,
                    gate: Any = gate,
                    latencies: list[float] = latencies,
                ) -> int:
                    async with gate:
                        started = time.perf_counter()
                        response = await http.post(
                            "/api/v1/holds",
                            json={
                                "facility_id": str(loc.id),
                                "place_type": place_type,
                                "referral_id": str(uuid.uuid4()),
                                "ttl_seconds": 600,
                            },
                            headers=service,
                        )
                        latencies.append(time.perf_counter() - started)
                        return response.status_code

                started = time.perf_counter()
                statuses = await asyncio.gather(*[attempt() for _ in range(HOLD_ATTEMPTS)])
                elapsed = time.perf_counter() - started
                active = await conn.fetchval(
                    "SELECT count(*) FROM capacity.holds WHERE facility_id = $1 "
                    "AND place_type = $2 AND status = 'active'",
                    loc.id,
                    place_type,
                )
                held, available = await conn.fetchrow(
                    "SELECT held, available FROM capacity.capacity "
                    "WHERE facility_id = $1 AND place_type = $2",
                    loc.id,
                    place_type,
                )
                counted = {str(s): statuses.count(s) for s in sorted(set(statuses))}
                rounds.append(
                    {
                        "statuses": counted,
                        "succeeded": statuses.count(201),
                        "active_holds_in_db": active,
                        "held_in_db": held,
                        "double_bookings": max(0, active - available),
                        "seconds": round(elapsed, 2),
                        **_latencies(latencies),
                    }
                )
    finally:
        await conn.close()
    return {
        "attempts": HOLD_ATTEMPTS,
        "concurrency": HOLD_CONCURRENCY,
        "free_places": FREE_PLACES,
        "rounds": rounds,
        "exactly_5_every_round": all(
            r["succeeded"] == FREE_PLACES and r["active_holds_in_db"] == FREE_PLACES for r in rounds
        ),
        "double_bookings": sum(r["double_bookings"] for r in rounds),
        "unavailable_503": sum(r["statuses"].get("503", 0) for r in rounds),
    }


FACILITY_IN = re.compile(rb'"facility_id":\s*"([0-9a-f-]{36})"')


async def _stream(
    base: str, headers: dict[str, str], seen: dict[bytes, float], opened: asyncio.Event
) -> None:
    """One SSE client on a bare connection: note when each event arrives. Returns when
    the server ends the stream (it drops a client that does not keep up)."""
    parts = urlsplit(base)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        request = (
            "GET /api/v1/stream?event_types=capacity.updated HTTP/1.1\r\n"
            f"Host: {parts.netloc}\r\nAccept: text/event-stream\r\n"
            f"Authorization: {headers['Authorization']}\r\n\r\n"
        )
        writer.write(request.encode())
        status = await reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(f"stream refused: {status!r}")
        opened.set()
        while line := await reader.readline():
            if line.startswith(b"data:"):  # the time is taken before anything else
                arrived = time.perf_counter()
                if found := FACILITY_IN.search(line):
                    seen.setdefault(found.group(1), arrived)
    finally:
        writer.close()


async def _receiver(seen: dict[bytes, float]) -> tuple[asyncio.Server, int]:
    """A webhook receiver: answers 204 at once, notes when each event arrived."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length)
                arrived = time.perf_counter()
                if found := FACILITY_IN.search(body):
                    seen.setdefault(found.group(1), arrived)
                writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, port


async def _wait_for(done: Callable[[], bool], seconds: float) -> None:
    """Poll `done` until it holds, for at most `seconds` (what it waits for happens in
    other processes: there is nothing to await)."""
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


async def events(ctx: Context) -> dict[str, Any]:
    """A report → its event on the live stream (1 and 1,000 open) and at a webhook."""
    hook_seen: dict[bytes, float] = {}
    receiver, port = await _receiver(hook_seen)
    subscriber = token("bench-hooks", ["triagist"], regions=["ZK-UTRECHT"])
    async with http_client(timeout=30) as http:
        response = await http.post(
            f"{ctx.stack.notify.base}/api/v1/subscriptions",
            json={
                "channel": "webhook",
                "target": f"http://127.0.0.1:{port}/hook",
                "event_types": ["capacity.updated"],
            },
            headers=subscriber,
        )
        if response.status_code != 201:
            raise RuntimeError(f"subscription refused: {response.text}")
        result: dict[str, Any] = {}
        locations = _small_locations(ctx)
        ctx.rng.shuffle(locations)
        for streams in (1, 1000):
            # The streams are read by a process of their own (bench/streams.py).
            readers = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.streams",
                ctx.stack.notify.base,
                str(streams),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=1 << 26,  # the receipts come as one line
            )
            assert readers.stdin is not None
            assert readers.stdout is not None
            opening = json.loads(await readers.stdout.readline())
            reporters = locations[: ctx.pace.reports]
            locations = locations[ctx.pace.reports :]
            sent: dict[bytes, float] = {}
            for loc in reporters:
                headers = token(
                    f"ecd-{loc.organisation_id}", ["provider"], org=str(loc.organisation_id)
                )
                body = json.loads(_report_body(2))
                body["observed_at"] = datetime.now(UTC).isoformat()
                started = time.perf_counter()
                answer = await http.put(
                    f"{ctx.stack.capacity.base}/api/v1/facilities/{loc.id}/capacity/{EVERYWHERE}",
                    json=body,
                    headers=headers,
                )
                if answer.status_code != 200:
                    raise RuntimeError(f"report refused: {answer.text}")
                sent[str(loc.id).encode()] = started
                await asyncio.sleep(0.05)  # reports arrive one by one, as in life

            readers.stdin.write(json.dumps([key.decode() for key in sent]).encode() + b"\n")
            await readers.stdin.drain()
            read = json.loads(await readers.stdout.readline())
            await readers.wait()

            def hooked(sent: dict[bytes, float] = sent) -> bool:
                return all(key in hook_seen for key in sent)

            await _wait_for(hooked, 60)
            stream_latencies = [
                seen[key.decode()] - at
                for seen in read["at"]
                for key, at in sent.items()
                if key.decode() in seen
            ]
            hook_latencies = [hook_seen[key] - at for key, at in sent.items() if key in hook_seen]
            result[f"{streams} streams"] = {
                "reports": len(sent),
                "streams_open": opening["opened"],
                "streams_refused": opening["refused"],
                "sse": _latencies(stream_latencies),
                "sse_missing": len(sent) * opening["opened"] - len(stream_latencies),
                "streams_ended_by_server": read["ended"],
                "webhook": _latencies(hook_latencies),
                "webhook_missing": len(sent) - len(hook_latencies),
            }
    receiver.close()
    return result


async def matches(ctx: Context) -> dict[str, Any]:
    """`GET /referrals/{id}/matches?scope=supraregional`: the country's 3,000 GRZ places
    ranked for one referral, end to end through triage and capacity."""
    practice = str(uuid.uuid4())
    referrer = token("gp-matches", ["referrer"], org=practice)
    triagist = token("triagist-matches", ["triagist"], regions=["ZK-KENNEMERLAND"])
    async with http_client(base_url=ctx.stack.triage.base, timeout=60) as http:
        response = await http.post(
            "/api/v1/referrals",
            json={
                "place_type": EVERYWHERE,
                "urgency": "urgent",
                "patient": {"birth_year": 1941, "sex": "female", "postcode": "2011"},
                "needs": [],
                "region_code": "ZK-KENNEMERLAND",
                "near": {"lat": 52.3810, "lon": 4.6370},
            },
            headers=referrer,
        )
        if response.status_code != 201:
            raise RuntimeError(f"referral refused: {response.text}")
        referral = response.json()["id"]
        path = f"/api/v1/referrals/{referral}/matches?scope=supraregional&limit=50"
        first = await _once(http, path, triagist)
    requests = write_requests([Request("GET", path, triagist)], ctx.scratch / "matches.lua")
    return {
        "first request": first,
        **{
            f"{clients} clients": await _measure(ctx, ctx.stack.triage, requests, clients)
            for clients in (1, 8)
        },
    }


async def _once(http: httpx.AsyncClient, path: str, headers: dict[str, str]) -> dict[str, Any]:
    """One request on its own: its status and time, also when it fails."""
    started = time.perf_counter()
    try:
        response = await http.get(path, headers=headers)
    except httpx.TimeoutException:
        return {"status": "timeout", "ms": round((time.perf_counter() - started) * 1000)}
    return {"status": response.status_code, "ms": round((time.perf_counter() - started) * 1000)}


REGIO_PAGES = {
    "whole country": "/regio?regio=",
    "one region (ZK-UTRECHT)": "/regio?regio=ZK-UTRECHT",
}


async def regio(ctx: Context) -> dict[str, Any]:
    """The `/regio` page with national data: summary, 7 days of history, the KPIs; for the
    whole country and for one region."""
    settings = Settings(env="production", jwt_secret=SECRET, database_url="postgresql://x/y")
    viewer = token("viewer-bench", ["viewer"], regions=["ROAZ-WEST"])
    session = Session(
        token=viewer["Authorization"].removeprefix("Bearer "), expires=int(time.time()) + 43200
    )
    headers = {"Cookie": f"{COOKIE}={encode(session, session_key(settings))}"}
    result: dict[str, Any] = {}
    for label, path in REGIO_PAGES.items():
        async with http_client(base_url=ctx.stack.whole.base, timeout=60) as http:
            first = await _once(http, path, headers)
        requests = write_requests([Request("GET", path, headers)], ctx.scratch / "regio.lua")
        result[label] = {
            "first request": first,
            **{
                f"{clients} clients": await _measure(ctx, ctx.stack.whole, requests, clients)
                for clients in (1, 4)
            },
        }
    return result


Scenario = Callable[[Context], Awaitable[dict[str, Any]]]
# In this order: the event scenario before the load ones fill the outbox.
SCENARIOS: dict[str, Scenario] = {
    "search": search,
    "events": events,
    "matches": matches,
    "regio": regio,
    "holds": holds,
    "put": put,
    "batch": batch,
}
