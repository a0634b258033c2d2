"""Distance on the earth, one formula for every service: the great-circle (haversine)
distance in km on a sphere of the earth's mean radius — in Python (ranking, event filters)
and in SQL (availability search), so a place is as far away on the board as in the
matches and in a subscription's radius."""

from __future__ import annotations

import math
from collections.abc import Callable

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
    origin: tuple[float, float], lat: SQLColumnExpression[float], lon: SQLColumnExpression[float]
) -> ColumnElement[float]:
    """SQL: the same distance in km from `origin` to the point in columns `lat`, `lon`."""
    dlat = func.radians(lat - origin[0]) / 2
    dlon = func.radians(lon - origin[1]) / 2
    a = func.power(func.sin(dlat), 2) + func.cos(func.radians(literal(origin[0]))) * func.cos(
        func.radians(lat)
    ) * func.power(func.sin(dlon), 2)
    return 2 * EARTH_RADIUS_KM * func.asin(func.sqrt(func.least(a, 1.0)))
