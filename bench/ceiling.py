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
from services.capacity.capacity.repository import lock_places_statement, write_statement
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


LOCK = lock_places_statement(DIALECT)
WRITE = write_statement(DIALECT)
EVERY_PROFESSIONAL = json.dumps({"public": True})


async def put_capacity(request: Request) -> Response:
    """One report: Zorgplek's `PUT`, in one transaction with the same two statements: lock
    the place (with its facility), then write its numbers, the history and the event. The
    caller's organisation, which Zorgplek takes from the token, comes in a header."""
    facility_id = uuid.UUID(request.path_params["facility_id"])
    place_type = request.path_params["place_type"]
    organisation_id = uuid.UUID(request.headers["x-organisation"])
    body = json.loads(await request.body())
    observed_at = datetime.fromisoformat(body["observed_at"])
    now = datetime.now(UTC)
    pool: asyncpg.Pool = request.app.state.pool
    key = {"facility_ids": [facility_id], "place_types": [place_type]}
    async with pool.acquire() as conn, conn.transaction():
        state = await conn.fetchrow(
            LOCK.sql, *LOCK.arguments({**key, "organisation_id": organisation_id})
        )
        if state is None or place_type not in state["place_types"]:
            return _json({"detail": "no such place"}, 404)
        applied = observed_at >= state["observed_at"]
        # The parameters are arrays, one element per place (changed: if it applied), report
        # (kept) and event (published: if it applied).
        report = {
            "facility_ids": [facility_id],
            "place_types": [place_type],
            "staffed": [body["staffed"]],
            "occupied": [body["occupied"]],
            "available": [body["available"]],
            "expected": [None],
            "observed_at": [observed_at],
        }
        data = json.dumps({"facility_id": str(facility_id), "place_type": place_type})
        events = 1 if applied else 0
        values = {
            "received_at": now,
            "source": "api",
            "reported_by": "ceiling",
            "reporter": "ceiling",
            **{f"changed_{k}": v if applied else [] for k, v in report.items()},
            **{f"kept_{k}": v for k, v in report.items()},
            "kept_applied": [applied],
            "event_ids": [uuid.uuid4() for _ in range(events)],
            "event_types": ["capacity.updated"] * events,
            "event_sources": ["capacity"] * events,
            "event_times": [now] * events,
            "event_data": [data] * events,
            "event_audiences": [EVERY_PROFESSIONAL] * events,
        }
        await conn.execute(WRITE.sql, *WRITE.arguments(values))
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
