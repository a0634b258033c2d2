"""Distance on the earth, one formula for every service: the great-circle (haversine)
distance in km on a sphere of the earth's mean radius — in Python (ranking, event filters)
and in SQL (availability search), so a place is as far away on the board as in the
matches and in a subscription's radius."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, SQLColumnExpression, func, literal

# The earth's mean radius (IUGG), in km.
EARTH_RADIUS_KM = 6371.0088


def distance_from(origin: tuple[float, float]) -> Callable[[float, float], float]:
    """A function giving the distance in km from `origin` to (lat, lon): what depends on
    the origin alone is worked out once, for measuring thousands of places quickly."""
    lat0, lon0 = math.radians(origin[0]), math.radians(origin[1])
    cos_lat0 = math.cos(lat0)
    sin, cos, asin, sqrt, radians = math.sin, math.cos, math.asin, math.sqrt, math.radians

    def km(lat: float, lon: float) -> float:
        lat1 = radians(lat)
        a = sin((lat1 - lat0) / 2) ** 2 + cos_lat0 * cos(lat1) * sin((radians(lon) - lon0) / 2) ** 2
        return 2 * EARTH_RADIUS_KM * asin(sqrt(a if a < 1.0 else 1.0))

    return km


def distance_km(origin: tuple[float, float], to: tuple[float, float]) -> float:
    """The great-circle distance in km between two points (lat, lon)."""
    return distance_from(origin)(*to)


def distance_km_sql(
    origin: tuple[float | ColumnElement[float], float | ColumnElement[float]],
    lat: SQLColumnExpression[float],
    lon: SQLColumnExpression[float],
) -> ColumnElement[float]:
    """SQL: the same distance in km from `origin` (values, or parameters of a statement
    built once) to the point in columns `lat`, `lon`."""
    lat0 = origin[0] if isinstance(origin[0], ColumnElement) else literal(origin[0])
    dlat = func.radians(lat - origin[0]) / 2
    dlon = func.radians(lon - origin[1]) / 2
    a = func.power(func.sin(dlat), 2) + func.cos(func.radians(lat0)) * func.cos(
        func.radians(lat)
    ) * func.power(func.sin(dlon), 2)
    return 2 * EARTH_RADIUS_KM * func.asin(func.sqrt(func.least(a, 1.0)))


@dataclass(frozen=True, slots=True)
class Box:
    """Latitudes and longitudes in degrees; `lon` is None when the box spans every
    longitude (near a pole, or across the antimeridian)."""

    lat: tuple[float, float]
    lon: tuple[float, float] | None


# Widens the box a little beyond the exact bound, against rounding.
BOX_MARGIN = 1.000001


def bounding_box(origin: tuple[float, float], radius_km: float) -> Box:
    """The smallest latitude and longitude ranges that hold every point within `radius_km`
    of `origin` by the distance above: a prefilter an index can answer, before the exact
    distance is computed for the few places inside."""
    angle = radius_km / EARTH_RADIUS_KM * BOX_MARGIN  # radians along a great circle
    lat0, lon0 = origin
    dlat = math.degrees(angle)
    lat = (max(lat0 - dlat, -90.0), min(lat0 + dlat, 90.0))
    # The widest longitude reached at distance `angle` from lat0: asin(sin(angle) / cos(lat0)),
    # unless the circle reaches a pole.
    if angle >= math.pi / 2 or lat[0] <= -90.0 or lat[1] >= 90.0:
        return Box(lat, None)
    dlon = math.degrees(math.asin(min(1.0, math.sin(angle) / math.cos(math.radians(lat0)))))
    if dlon >= 90.0 or lon0 - dlon < -180.0 or lon0 + dlon > 180.0:
        return Box(lat, None)
    return Box(lat, (lon0 - dlon, lon0 + dlon))
