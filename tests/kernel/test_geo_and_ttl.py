"""One place for distance and for a report's time-to-live: `shared.geo` (in Python and in
SQL, one radius) and `shared.reference.ttl_seconds` (the defaults and the overrides), used
by capacity, triage and notify alike."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import reference
from shared.geo import EARTH_RADIUS_KM, distance_from, distance_km, distance_km_sql
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
