"""Finding free places, and the regional picture without per-facility figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import groupby
from operator import attrgetter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.capacity import metrics
from services.capacity.availability import repository
from services.capacity.availability.repository import SearchFilter
from services.capacity.availability.schemas import (
    HistoryPoint,
    HistorySeries,
    RegionalHistory,
    Summary,
    SummaryItem,
)
from services.capacity.capacity.staleness import free_expression, stale_expression, ttl_seconds
from shared import reference
from shared.care_rules import Screen, Verdict
from shared.settings import Settings


async def search(
    connection: AsyncConnection,
    settings: Settings,
    spec: SearchFilter,
    screen: Screen,
    *,
    include_ineligible: bool,
    offset: int,
    limit: int,
) -> list[dict[str, Any]]:
    """Places with at least `min_free` free, nearest first when `near` is given, else the
    most free first; those the care rules refuse for the patient of `screen` are left out,
    or marked when `include_ineligible`. Each as the JSON object of its `AvailabilityItem`."""
    if not include_ineligible:
        hours, features = screen.ruled_out()
        spec = replace(spec, ruled_out_hours=hours, ruled_out_features=features)
    rows = await repository.search(
        connection, spec, ttl_seconds(settings), offset=offset, limit=limit
    )
    return [available_place(row, screen.assess(row.admission_hours, row.features)) for row in rows]


def available_place(row: Any, verdict: Verdict) -> dict[str, Any]:
    """A search row and its verdict as `AvailabilityItem`'s JSON object, its keys in the
    model's field order. Built straight from the row: a page holds up to 500 of these, and
    a model per item cost more than the query."""
    return {
        "facility": _facility(row),
        "place_type": row.place_type,
        "free": row.free,
        "available": row.available,
        "held": row.held,
        "staffed": row.staffed,
        "expected_available_24h": row.expected_available_24h,
        "observed_at": row.observed_at,
        "stale": row.stale,
        "distance_km": round(row.distance_km, 2) if row.distance_km is not None else None,
        "source": row.source,
        "eligible": verdict.eligible,
        "refusals": [finding.text for finding in verdict.refusals],
        "warnings": [finding.text for finding in verdict.warnings],
        "admits_from": verdict.admits_from,
    }


async def candidates(
    connection: AsyncConnection, settings: Settings, spec: SearchFilter
) -> list[dict[str, Any]]:
    """Every place `spec` finds, for matching to rank: no care rules (the ranking applies
    them, and counts what they leave out) and in no order. Each as the JSON object of its
    `CandidatePlace`."""
    return candidate_places(await repository.candidates(connection, spec, ttl_seconds(settings)))


def candidate_places(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows of `repository.candidates` as `CandidatePlace`'s JSON objects, their keys in the
    model's field order (the statement's columns are in that order). Thousands of rows:
    each read whole by its columns' names, not column by column."""
    if not rows:
        return []
    names = rows[0]._fields
    split = len(repository.FACILITY_COLUMNS)
    facility, place = names[:split], names[split:]
    return [
        {
            "facility": dict(zip(facility, row[:split], strict=True)),
            **dict(zip(place, row[split:], strict=True)),
        }
        for row in rows
    ]


def _facility(row: Any) -> dict[str, Any]:
    """The location of a search's row (`repository.FACILITY_COLUMNS`) as `FacilitySummary`'s
    JSON object, its keys in the model's field order."""
    return {
        "id": row.id,
        "name": row.name,
        "organisation_id": row.organisation_id,
        "organisation_name": row.organisation_name,
        "city": row.city,
        "region_code": row.region_code,
        "lat": row.lat,
        "lon": row.lon,
        "admission_hours": row.admission_hours,
        "features": row.features,
        "postcode": row.postcode,
        "street": row.street,
        "house_number": row.house_number,
        "phone": row.phone,
        "contact_note": row.contact_note,
    }


async def summary(
    session: AsyncSession, settings: Settings, region: str | None, place_types: list[str]
) -> Summary:
    """Free, staffed and stale counts and the forecast per region and place type."""
    regions = reference.covered_regions(region) if region else None
    rows = await repository.summary(
        session, stale_expression(settings), free_expression(), regions, place_types
    )
    return Summary(
        items=[
            SummaryItem(
                region_code=r.region_code,
                place_type=r.place_type,
                facilities=r.facilities,
                free=r.free,
                staffed=r.staffed,
                stale=r.stale,
                expected_available_24h=r.expected_available_24h,
                forecasting=r.forecasting,
            )
            for r in rows
        ]
    )


HISTORY_POINTS = 84


async def history(
    session: AsyncSession,
    settings: Settings,
    region: str | None,
    place_types: list[str],
    days: int,
) -> RegionalHistory:
    """Reported free places per place type over the last `days`, at most 85 moments: the
    regional picture over time, without per-facility figures. When the moments are whole
    hours apart (7, 14, 21 and 28 days), each but the last (now) is the whole hour it falls
    in: those are read from the hourly sums, whatever the number of places."""
    until = datetime.now(UTC).replace(microsecond=0)
    step = timedelta(seconds=max(days * 86400 // HISTORY_POINTS, 60))
    ttl = ttl_seconds(settings)
    at = await repository.moments(session, ttl, until, step, HISTORY_POINTS)
    regions = reference.covered_regions(region) if region else None
    rows = await repository.history(session, ttl, regions, place_types, at)
    series: dict[str, list[HistoryPoint]] = {}
    for place_type, group in groupby(rows, key=attrgetter("place_type")):
        moments = list(group)
        known = {row.k: row for row in moments if row.k is not None}
        facilities = moments[0].facilities
        series[place_type] = [
            HistoryPoint(
                at=at.at(k),
                available=known[k].available if k in known else 0,
                staffed=known[k].staffed if k in known else 0,
                reporting=known[k].reporting if k in known else 0,
                facilities=facilities,
            )
            for k in range(HISTORY_POINTS + 1)
        ]
    return RegionalHistory(
        region=region,
        since=at.since,
        until=at.until,
        step_seconds=int(step.total_seconds()),
        items=[HistorySeries(place_type=code, points=points) for code, points in series.items()],
    )


async def refresh_gauges(session: AsyncSession, settings: Settings) -> None:
    """Set `zorgplek_places_free` and `zorgplek_places_stale` from the database."""
    current = await summary(session, settings, None, [])
    metrics.places_free.clear()
    metrics.places_stale.clear()
    for item in current.items:
        metrics.places_free.labels(item.region_code, item.place_type).set(item.free)
        metrics.places_stale.labels(item.region_code, item.place_type).set(item.stale)
