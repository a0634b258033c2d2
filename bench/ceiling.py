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
from datetime import UTC, datetime
from typing import Any

import asyncpg
import uvicorn
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.capacity.availability.repository import SearchFilter, search_statement
from services.capacity.capacity.staleness import free_expression, stale_expression
from shared.db import plain_url
from shared.settings import Settings

# Distinct values that stand for the request's own in the compiled search statement.
LAT, LON, RADIUS = 11.123456, 22.654321, 333.25
PAGE = 20


def search_sql(place_type: str, limit: int) -> tuple[str, list[Any]]:
    """The SQL Zorgplek sends for a `near` search, compiled once as the driver receives
    it, and its parameters with the request's own marked by the values above."""
    settings = Settings(database_url="postgresql://x/y", jwt_secret="x" * 32)
    spec = SearchFilter(
        place_types=[place_type],
        region_codes=None,
        near=(LAT, LON),
        radius_km=RADIUS,
        features=[],
        min_free=1,
        include_stale=False,
    )
    statement = search_statement(
        spec, stale_expression(settings), free_expression(), offset=0, limit=limit + 1
    )
    dialect = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    order = compiled.positiontup or []
    return str(compiled), [params[name] for name in order]


def _bind(template: list[Any], lat: float, lon: float, radius: float) -> list[Any]:
    chosen = {LAT: lat, LON: lon, RADIUS: radius}
    return [chosen.get(v, v) if isinstance(v, float) else v for v in template]


def _default(value: Any) -> Any:
    if isinstance(value, uuid.UUID | datetime):
        return str(value)
    raise TypeError(type(value).__name__)


def _json(content: Any, status: int = 200) -> Response:
    body = json.dumps(content, default=_default, separators=(",", ":"))
    return Response(body, status_code=status, media_type="application/json")


SQL, TEMPLATE = search_sql("ELV_HOOG", PAGE)


async def search(request: Request) -> Response:
    lat_text, lon_text = request.query_params["near"].split(",")
    radius = float(request.query_params.get("radius_km", "30"))
    pool: asyncpg.Pool = request.app.state.pool
    rows = await pool.fetch(SQL, *_bind(TEMPLATE, float(lat_text), float(lon_text), radius))
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
