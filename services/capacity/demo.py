"""Demo data: two real regions (Kennemerland, Zuid-Holland Noord), their providers'
locations, capacity with a few stale reports, referrer practices and demo users.

Ids are derived from the data's keys, so loading twice changes nothing but the report
times, which are set relative to now so the demo always looks current."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.capacity.capacity import service as capacity
from services.capacity.capacity.models import CapacityReport
from services.capacity.capacity.schemas import CapacityReportIn
from services.capacity.facilities.models import Facility
from services.capacity.facilities.schemas import CONTACT_FIELDS
from services.capacity.organisations.models import Organisation
from shared import phone
from shared.auth import Principal, issue_token
from shared.settings import Settings

HISTORY_DAYS = 7
HISTORY_STEP = timedelta(hours=2)
ORGANISATION_FIELDS = ("name", "kind", "agb_code", "ura", "city", "lat", "lon", "phone")
NAMESPACE = uuid.UUID("0f6b1a52-43c4-4d3a-9d43-5a1e0c7d2b11")


def demo_id(key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, key)


def data() -> dict[str, Any]:
    text = resources.files("services.capacity").joinpath("data", "demo.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@dataclass(frozen=True, slots=True)
class DemoUser:
    sub: str
    name: str
    role: str
    organisation_id: uuid.UUID | None
    organisation_name: str | None
    regions: list[str]


def users() -> list[DemoUser]:
    demo = data()
    names = {o["key"]: o["name"] for o in demo["organisations"]}
    return [
        DemoUser(
            sub=u["sub"],
            name=u["name"],
            role=u["role"],
            organisation_id=demo_id(u["organisation"]) if u["organisation"] else None,
            organisation_name=names.get(u["organisation"]) if u["organisation"] else None,
            regions=list(u["regions"]),
        )
        for u in demo["users"]
    ]


def token_for(settings: Settings, user: DemoUser) -> str:
    return issue_token(
        settings,
        sub=user.sub,
        name=user.name,
        roles=[user.role],
        org=user.organisation_id,
        regions=user.regions,
    )


async def _backfill_history(
    session: AsyncSession, facility_id: uuid.UUID, entry: dict[str, Any], now: datetime
) -> None:
    """A week of past reports around today's numbers, so the regional history has
    something to show; written once (a later load finds them and adds none)."""
    place_type = entry["place_type"]
    present = await session.scalar(
        select(CapacityReport.id)
        .where(
            CapacityReport.facility_id == facility_id,
            CapacityReport.place_type == place_type,
            CapacityReport.observed_at < now - timedelta(days=1),
        )
        .limit(1)
    )
    if present is not None:
        return
    chance = random.Random(f"{facility_id}:{place_type}")
    staffed = entry["staffed"]
    last = now - timedelta(minutes=entry["age_minutes"])
    moment = now - timedelta(days=HISTORY_DAYS)
    rows = []
    available = entry["available"]
    while moment < last - HISTORY_STEP:
        # A gentle walk around today's number, as beds free up and fill again.
        drift = chance.choice((-1, 0, 0, 1)) + (1 if available < entry["available"] - 2 else 0)
        available = min(max(available + drift - (available > entry["available"] + 2), 0), staffed)
        rows.append(
            {
                "facility_id": facility_id,
                "place_type": place_type,
                "staffed": staffed,
                "occupied": staffed - available,
                "available": available,
                "expected_available_24h": None,
                "observed_at": moment,
                "received_at": moment,
                "applied": True,
                "reporter": "demo-loader",
                "reported_by": "Demo",
                "source": "api",
            }
        )
        moment += HISTORY_STEP
    if rows:
        await session.execute(insert(CapacityReport), rows)


def _insert_or_fill(table: type[Organisation] | type[Facility], fields: Sequence[str]) -> Insert:
    """Insert a demo row; one loaded before keeps what it has and gains only the contact
    fields it lacks (an edit made since is kept)."""
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=["id"],
        set_={
            field: func.coalesce(getattr(table, field), statement.excluded[field])
            for field in fields
        },
    )


async def load(session: AsyncSession, settings: Settings) -> None:
    """Load the demo into the capacity schema."""
    demo = data()
    for org in demo["organisations"]:
        values = {k: v for k, v in org.items() if k in ORGANISATION_FIELDS}
        values["phone"] = phone.normalise(values["phone"])
        await session.execute(
            _insert_or_fill(Organisation, ("phone",)).values(id=demo_id(org["key"]), **values)
        )
    now = datetime.now(UTC)
    for fac in demo["facilities"]:
        values = {k: v for k, v in fac.items() if k not in ("key", "organisation", "capacity")}
        values["phone"] = phone.normalise(values["phone"])
        await session.execute(
            _insert_or_fill(Facility, CONTACT_FIELDS).values(
                id=demo_id(fac["key"]), organisation_id=demo_id(fac["organisation"]), **values
            )
        )
        provider = Principal(
            sub="demo-loader",
            name="Demo",
            org=demo_id(fac["organisation"]),
            roles=frozenset({"provider"}),
        )
        for entry in fac["capacity"]:
            report = CapacityReportIn(
                staffed=entry["staffed"],
                occupied=entry["occupied"],
                available=entry["available"],
                expected_available_24h=entry.get("expected_available_24h"),
                observed_at=now - timedelta(minutes=entry["age_minutes"]),
            )
            await _backfill_history(session, demo_id(fac["key"]), entry, now)
            # Recent numbers as a linked system sends them, older ones as typed by hand.
            await capacity.report(
                session,
                provider,
                settings,
                demo_id(fac["key"]),
                entry["place_type"],
                report,
                source="api" if entry["age_minutes"] < 60 else "page",
            )


async def load_on_startup(app: FastAPI) -> None:
    async with app.state.database.sessions.begin() as session:
        await load(session, app.state.settings)
