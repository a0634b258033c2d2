"""One place for distance and for a report's time-to-live: `shared.geo` (in Python and in
SQL, one radius) and `shared.reference.ttl_seconds` (the defaults and the overrides), used
by capacity, triage and notify alike."""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import reference
from shared.geo import (
    EARTH_RADIUS_KM,
    bounding_box,
    distance_from,
    distance_km,
    distance_km_sql,
)
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
HAARLEM = (52.3810, 4.6370)
AMSTERDAM = (52.3728, 4.8936)

# Expected values from the spherical law of cosines on the same radius: another formula,
# the same sphere.
DISTANCES = [
    pytest.param(HAARLEM, HAARLEM, 0.0, id="the same point"),
    pytest.param((52.0, 5.0), (53.0, 5.0), EARTH_RADIUS_KM * math.pi / 180, id="one degree north"),
    pytest.param((0.0, 0.0), (0.0, 180.0), EARTH_RADIUS_KM * math.pi, id="half the equator"),
    pytest.param((0.0, 0.0), (0.0, -180.0), EARTH_RADIUS_KM * math.pi, id="west or east alike"),
    pytest.param(HAARLEM, AMSTERDAM, 17.442, id="Haarlem to Amsterdam"),
    pytest.param(AMSTERDAM, HAARLEM, 17.442, id="and back"),
    pytest.param((53.2, 6.56), (50.85, 5.69), 267.997, id="Groningen to Maastricht"),
]


@pytest.mark.parametrize(("origin", "to", "km"), DISTANCES)
def test_distance(origin: tuple[float, float], to: tuple[float, float], km: float) -> None:
    assert distance_km(origin, to) == pytest.approx(km, abs=0.001)
    assert distance_from(origin)(*to) == distance_km(origin, to)


@pytest.mark.parametrize(("origin", "to", "km"), DISTANCES)
async def test_the_database_measures_the_same(
    rolled_back: AsyncSession, origin: tuple[float, float], to: tuple[float, float], km: float
) -> None:
    """Availability search measures in SQL; the result equals the Python one."""
    measured = await rolled_back.scalar(
        select(distance_km_sql(origin, literal(to[0]), literal(to[1])))
    )
    assert measured == pytest.approx(distance_km(origin, to), abs=1e-6)


def test_one_earth_and_one_formula() -> None:
    """No service keeps a radius or a haversine of its own."""
    copies = [
        str(path.relative_to(ROOT))
        for folder in ("services", "shared", "bench")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path.name != "geo.py" and re.search(r"6371|\basin\(", path.read_text())
    ]
    assert copies == []


def test_ttl_per_place_type() -> None:
    defaults = reference.ttl_seconds({})
    assert set(defaults) == set(reference.place_types())
    assert all(
        defaults[code] == pt.ttl.total_seconds() for code, pt in reference.place_types().items()
    )
    overridden = reference.ttl_seconds({"GGZ_CRISIS": 2})
    assert overridden["GGZ_CRISIS"] == 7200
    assert {k: v for k, v in overridden.items() if k != "GGZ_CRISIS"} == {
        k: v for k, v in defaults.items() if k != "GGZ_CRISIS"
    }
    with pytest.raises(ValueError, match="NOPE"):
        reference.ttl_seconds({"NOPE": 1})


def test_only_the_reference_applies_ttl_overrides() -> None:
    """Capacity's staleness and triage's freshness score read one rule."""
    copies = [
        str(path.relative_to(ROOT))
        for folder in ("services", "shared", "bench")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path.name != "reference.py" and "stale_ttl_hours.items()" in path.read_text()
    ]
    assert copies == []


def test_settings_refuse_a_ttl_for_an_unknown_place_type() -> None:
    """Every service refuses it when it starts, not only capacity."""
    with pytest.raises(ValidationError, match="NOPE"):
        Settings(stale_ttl_hours={"NOPE": 1})
    assert Settings(stale_ttl_hours={"GGZ_CRISIS": 2}).stale_ttl_hours == {"GGZ_CRISIS": 2}


BOX_ORIGINS = [HAARLEM, (50.85, 5.69), (0.0, 0.0), (-33.9, 18.4), (78.2, 15.6), (0.0, 179.9)]


@pytest.mark.parametrize("origin", BOX_ORIGINS)
@pytest.mark.parametrize("radius_km", [0.5, 30.0, 500.0])
def test_every_place_within_the_radius_lies_in_its_bounding_box(
    origin: tuple[float, float], radius_km: float
) -> None:
    """The search's prefilter never leaves out a place the distance would keep; the
    farthest points east, west, north and south of the circle included."""
    box = bounding_box(origin, radius_km)
    km = distance_from(origin)
    rng = random.Random(f"{origin}{radius_km}")
    spread = math.degrees(radius_km / EARTH_RADIUS_KM) * 3
    checked = 0
    for _ in range(20000):
        lat = min(90.0, max(-90.0, origin[0] + rng.uniform(-spread, spread)))
        lon = origin[1] + rng.uniform(-spread, spread) / max(math.cos(math.radians(lat)), 0.01)
        lon = (lon + 180.0) % 360.0 - 180.0
        if km(lat, lon) <= radius_km:
            checked += 1
            assert box.lat[0] <= lat <= box.lat[1]
            if box.lon is not None:
                assert box.lon[0] <= lon <= box.lon[1]
    assert checked > 1000
    # The circle's extremes: due north and south, and where it reaches farthest east.
    angle = radius_km / EARTH_RADIUS_KM
    lat0 = math.radians(origin[0])
    assert box.lat[1] >= min(90.0, origin[0] + math.degrees(angle))
    assert box.lat[0] <= max(-90.0, origin[0] - math.degrees(angle))
    if box.lon is not None:
        east_lat = math.degrees(math.asin(math.sin(lat0) / math.cos(angle)))
        east = origin[1] + math.degrees(math.asin(math.sin(angle) / math.cos(lat0)))
        assert km(east_lat, east) == pytest.approx(radius_km, rel=1e-6)
        assert box.lon[1] >= east


def test_a_bounding_box_is_small_where_it_can_be() -> None:
    box = bounding_box(HAARLEM, 30.0)
    assert box.lon is not None
    assert box.lat[1] - box.lat[0] == pytest.approx(2 * 30.0 / 111.195, rel=1e-3)
    assert box.lon[1] - box.lon[0] < 1.0
