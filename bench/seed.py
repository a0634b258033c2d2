"""National-scale data for the benchmarks: 3,000 locations spread over every zorgkantoor
region, all 10 place types, features, and 30 days of reported history.

Written straight into the capacity schema with COPY (the API would take minutes for the
history); the numbers are what providers would have reported."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg

from shared import reference
from shared.db import plain_url

LOCATIONS = 3000
# Two large providers report every place type of 100 locations each in one batch.
LARGE_PROVIDERS = 2
LARGE_PROVIDER_LOCATIONS = 100
SMALL_PROVIDER_LOCATIONS = 5
HISTORY_DAYS = 30
HISTORY_EVERY = timedelta(hours=6)
# Every location offers GRZ with a free place: matching sees the whole country's 3,000.
EVERYWHERE = "GRZ"
OTHER_TYPES_PER_LOCATION = 3
# The netherlands' bounding box.
LAT_RANGE = (50.8, 53.4)
LON_RANGE = (3.5, 7.1)


@dataclass(frozen=True, slots=True)
class Location:
    id: uuid.UUID
    organisation_id: uuid.UUID
    region_code: str
    lat: float
    lon: float
    place_types: tuple[str, ...]


@dataclass(slots=True)
class Country:
    """What was seeded, for the scenarios to pick from."""

    locations: list[Location] = field(default_factory=list)
    large_providers: list[uuid.UUID] = field(default_factory=list)
    history_rows: int = 0

    def of(self, organisation_id: uuid.UUID) -> list[Location]:
        return [loc for loc in self.locations if loc.organisation_id == organisation_id]


def _plan(rng: random.Random) -> Country:
    regions = sorted(r.code for r in reference.regions().values() if r.kind == "zorgkantoor")
    place_types = sorted(reference.place_types())
    others = [p for p in place_types if p != EVERYWHERE]
    country = Country()
    small = (LOCATIONS - LARGE_PROVIDERS * LARGE_PROVIDER_LOCATIONS) // SMALL_PROVIDER_LOCATIONS
    sizes = [LARGE_PROVIDER_LOCATIONS] * LARGE_PROVIDERS + [SMALL_PROVIDER_LOCATIONS] * small
    for n, size in enumerate(sizes):
        organisation = uuid.UUID(int=rng.getrandbits(128))
        if n < LARGE_PROVIDERS:
            country.large_providers.append(organisation)
        for _ in range(size):
            if n < LARGE_PROVIDERS:
                types = tuple(place_types)
            else:
                types = tuple(sorted([EVERYWHERE, *rng.sample(others, OTHER_TYPES_PER_LOCATION)]))
            country.locations.append(
                Location(
                    id=uuid.UUID(int=rng.getrandbits(128)),
                    organisation_id=organisation,
                    region_code=rng.choice(regions),
                    lat=rng.uniform(*LAT_RANGE),
                    lon=rng.uniform(*LON_RANGE),
                    place_types=types,
                )
            )
    return country


async def seed(url: str, seed_value: int = 7) -> Country:
    """Fill a freshly migrated database; answer what is in it."""
    rng = random.Random(seed_value)
    country = _plan(rng)
    features = sorted(reference.features())
    now = datetime.now(UTC).replace(microsecond=0)
    conn = await asyncpg.connect(plain_url(url))
    try:
        organisations = sorted({loc.organisation_id for loc in country.locations})
        await conn.copy_records_to_table(
            "organisations",
            schema_name="capacity",
            columns=["id", "name", "kind", "city", "lat", "lon"],
            records=[
                (
                    o,
                    f"Zorggroep {n}",
                    "vvt",
                    "Ergens",
                    rng.uniform(*LAT_RANGE),
                    rng.uniform(*LON_RANGE),
                )
                for n, o in enumerate(organisations)
            ],
        )
        await conn.copy_records_to_table(
            "facilities",
            schema_name="capacity",
            columns=[
                "id",
                "organisation_id",
                "name",
                "city",
                "postcode",
                "region_code",
                "lat",
                "lon",
                "place_types",
                "features",
                "admission_hours",
                "street",
                "house_number",
                "phone",
            ],  # fmt: skip
            records=[
                (
                    loc.id,
                    loc.organisation_id,
                    f"Locatie {n:04d}",
                    "Ergens",
                    f"{1000 + n % 8999}",
                    loc.region_code,
                    loc.lat,
                    loc.lon,
                    list(loc.place_types),
                    rng.sample(features, rng.randint(0, 3)),
                    "office" if rng.random() < 0.2 else "24/7",
                    "Zorgstraat",
                    str(1 + n % 200),
                    "+31201234567",
                )
                for n, loc in enumerate(country.locations)
            ],
        )
        states = []
        history = []
        steps = int(timedelta(days=HISTORY_DAYS) / HISTORY_EVERY)
        for loc in country.locations:
            for place_type in loc.place_types:
                staffed = rng.randint(6, 20)
                observed = now - timedelta(minutes=rng.randint(1, 60))
                available = rng.randint(1, 4)
                current = (
                    loc.id,
                    place_type,
                    staffed,
                    staffed - available,
                    available,
                    observed,
                    observed,
                )
                states.append(current)
                for step in range(steps, 0, -1):
                    at = observed - HISTORY_EVERY * step
                    free = rng.randint(0, 4)
                    history.append(
                        (loc.id, place_type, staffed, staffed - free, free, at, at, True, "ecd")
                    )
                # The current numbers are a report too, as when they come in by the API.
                history.append((*current, True, "ecd"))
        await conn.copy_records_to_table(
            "capacity",
            schema_name="capacity",
            columns=[
                "facility_id",
                "place_type",
                "staffed",
                "occupied",
                "available",
                "observed_at",
                "received_at",
            ],  # fmt: skip
            records=states,
        )
        # The hourly sums of the history once from all reports, not per COPY statement.
        await conn.execute(
            "ALTER TABLE capacity.capacity_reports DISABLE TRIGGER history_hours_add"
        )
        await conn.copy_records_to_table(
            "capacity_reports",
            schema_name="capacity",
            columns=[
                "facility_id",
                "place_type",
                "staffed",
                "occupied",
                "available",
                "observed_at",
                "received_at",
                "applied",
                "reporter",
            ],  # fmt: skip
            records=history,
        )
        country.history_rows = len(history)
        await conn.execute("ALTER TABLE capacity.capacity_reports ENABLE TRIGGER history_hours_add")
        await conn.execute("SELECT capacity.history_hours_rebuild('-infinity')")
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return country
