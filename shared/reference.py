"""Reference data: regions, place types and features, shipped with the package as CSV.

They are data, not code, so a region can extend them without a change elsewhere.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    kind: str  # roaz, zorgkantoor or subregion
    parent_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlaceType:
    code: str
    name: str
    financing: str
    direct_booking: bool  # a referrer may reserve it without a triagist
    crisis: bool
    ttl: timedelta  # a report older than this is stale


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("shared").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def regions() -> dict[str, Region]:
    """All reference regions by code, in file order."""
    return {
        row["code"]: Region(
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            parent_codes=tuple(p for p in row["parent_codes"].split(";") if p),
        )
        for row in _rows("regions.csv")
    }


@cache
def place_types() -> dict[str, PlaceType]:
    """All place types by code."""
    return {
        row["code"]: PlaceType(
            code=row["code"],
            name=row["name"],
            financing=row["financing"],
            direct_booking=row["direct_booking"] == "true",
            crisis=row["crisis"] == "true",
            ttl=timedelta(hours=float(row["ttl_hours"])),
        )
        for row in _rows("place_types.csv")
    }


def ttl_seconds(overrides_hours: Mapping[str, float]) -> dict[str, float]:
    """Each place type's report time-to-live in seconds — after it a report is stale: the
    reference default, or an override in hours (`ZORGPLEK_STALE_TTL_HOURS`). The one rule
    for capacity's staleness and triage's freshness score; unknown place types are
    refused."""
    unknown = set(overrides_hours) - set(place_types())
    if unknown:
        raise ValueError(f"ZORGPLEK_STALE_TTL_HOURS names unknown place types: {sorted(unknown)}")
    ttls = {code: pt.ttl.total_seconds() for code, pt in place_types().items()}
    ttls.update({code: hours * 3600 for code, hours in overrides_hours.items()})
    return ttls


@cache
def features() -> dict[str, str]:
    """All place features by code, with their Dutch name."""
    return {row["code"]: row["name"] for row in _rows("features.csv")}


def _ancestors(code: str) -> set[str]:
    seen: set[str] = set()
    todo = list(regions()[code].parent_codes)
    while todo:
        parent = todo.pop()
        if parent not in seen:
            seen.add(parent)
            todo.extend(regions()[parent].parent_codes)
    return seen


@cache
def covered_regions(code: str) -> frozenset[str]:
    """The region itself and every region below it (a ROAZ code covers its zorgkantoren)."""
    if code not in regions():
        return frozenset()
    return frozenset({code} | {c for c in regions() if code in _ancestors(c)})


def covers(region_codes: tuple[str, ...] | list[str] | frozenset[str], code: str) -> bool:
    """Whether any of `region_codes` is `code` or a region above it."""
    return any(code in covered_regions(r) for r in region_codes)


def roaz_of(code: str) -> frozenset[str]:
    """The ROAZ regions a region belongs to (itself when it is one)."""
    if code not in regions():
        return frozenset()
    found = {code} | _ancestors(code)
    return frozenset(c for c in found if regions()[c].kind == "roaz")
