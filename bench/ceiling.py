"""The ceiling: what the stack Zorgplek is built on (an ASGI app under uvicorn, asyncpg,
PostgreSQL) serves on this machine with nothing of Zorgplek's own: no authentication, ORM,
pydantic, metrics or audit. It runs the same SQL as Zorgplek for the same requests, so the
ratio between the two is what Zorgplek's own layers cost.

Run as `python -m bench.ceiling` with ZORGPLEK_DATABASE_URL and ZORGPLEK_PORT set."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import asyncpg
import uvicorn
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.capacity.availability.repository import (
    SearchFilter,
    SearchShape,
    compiled_search,
    search_parameters,
)
from shared import reference
from shared.db import plain_url

PAGE = 20
DIALECT = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]
TTL = tuple(sorted(reference.ttl_seconds({}).items()))
NEAR = SearchFilter(
    place_types=["ELV_HOOG"],
    region_codes=None,
    near=(52.0, 5.0),
    radius_km=30.0,
    features=[],
    min_free=1,
    include_stale=False,
)


def search_sql(lat: float, lon: float, radius_km: float) -> tuple[str, tuple[Any, ...]]:
    """The SQL Zorgplek sends for this `near` search, as the driver receives it (built
    by Zorgplek's own code), and its arguments."""
    spec = replace(NEAR, near=(lat, lon), radius_km=radius_km)
    prepared = compiled_search(SearchShape.of(spec), TTL, DIALECT)
    return prepared.sql, prepared.arguments(search_parameters(spec, offset=0, limit=PAGE + 1))


def _default(value: Any) -> Any:
    if isinstance(value, uuid.UUID | datetime):
        return str(value)
    raise TypeError(type(value).__name__)


def _json(content: Any, status: int = 200) -> Response:
    body = json.dumps(content, default=_default, separators=(",", ":"))
    return Response(body, status_code=status, media_type="application/json")


async def search(request: Request) -> Response:
    lat_text, lon_text = request.query_params["near"].split(",")
    radius = float(request.query_params.get("radius_km", "30"))
    pool: asyncpg.Pool = request.app.state.pool
    sql, arguments = search_sql(float(lat_text), float(lon_text), radius)
    rows = await pool.fetch(sql, *arguments)
    items = [dict(row) for row in rows[:PAGE]]
    return _json({"items": items, "next_cursor": None})


FACILITY = "SELECT organisation_id, place_types FROM capacity.facilities WHERE id = $1"
LOCK = (
    "SELECT staffed, occupied, available, held, observed_at FROM capacity.capacity "
    "WHERE facility_id = $1 AND place_type = $2 FOR UPDATE"
)
UPDATE = (
    "UPDATE capacity.capacity SET staffed = $3, occupied = $4, available = $5, "
    "observed_at = $6, received_at = $7, stale_notified = false "
    "WHERE facility_id = $1 AND place_type = $2"
)
HISTORY = (
    "INSERT INTO capacity.capacity_reports (facility_id, place_type, staffed, occupied, "
    "available, observed_at, received_at, applied, reporter) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'ceiling')"
)
OUTBOX = (
    "INSERT INTO events.outbox (id, type, source, occurred_at, data, audience) "
    "VALUES ($1, 'capacity.updated', 'capacity', $2, $3, '{\"public\": true}')"
)


async def put_capacity(request: Request) -> Response:
    """One report: the reads and writes of Zorgplek's `PUT`, in one transaction."""
    facility_id = uuid.UUID(request.path_params["facility_id"])
    place_type = request.path_params["place_type"]
    body = json.loads(await request.body())
    observed_at = datetime.fromisoformat(body["observed_at"])
    now = datetime.now(UTC)
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn, conn.transaction():
        facility = await conn.fetchrow(FACILITY, facility_id)
        if facility is None or place_type not in facility["place_types"]:
            return _json({"detail": "no such place"}, 404)
        state = await conn.fetchrow(LOCK, facility_id, place_type)
        applied = state is not None and observed_at >= state["observed_at"]
        numbers = (body["staffed"], body["occupied"], body["available"])
        if applied:
            await conn.execute(UPDATE, facility_id, place_type, *numbers, observed_at, now)
        await conn.execute(HISTORY, facility_id, place_type, *numbers, observed_at, now, applied)
        if applied:
            data = {"facility_id": str(facility_id), "place_type": place_type}
            await conn.execute(OUTBOX, uuid.uuid4(), now, json.dumps(data))
    return _json({"facility_id": facility_id, "place_type": place_type, "applied": applied})


async def ready(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    size = int(os.environ.get("ZORGPLEK_DATABASE_POOL_SIZE", "10"))
    url = plain_url(os.environ["ZORGPLEK_DATABASE_URL"])
    app.state.pool = await asyncpg.create_pool(url, min_size=size, max_size=size)
    yield
    await app.state.pool.close()


app = Starlette(
    routes=[
        Route("/search", search),
        Route("/capacity/{facility_id}/{place_type}", put_capacity, methods=["PUT"]),
        Route("/readyz", ready),
    ],
    lifespan=lifespan,
)


if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(os.environ["ZORGPLEK_PORT"]),
        log_config=None,
        access_log=False,
        server_header=False,
    )
