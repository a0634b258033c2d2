from typing import Annotated

from fastapi import Query, Response

from services.capacity.availability import service
from services.capacity.availability.repository import SearchFilter
from services.capacity.availability.schemas import (
    AvailabilityItem,
    Candidates,
    RegionalHistory,
    Summary,
)
from services.capacity.capacity.schemas import MAX_COUNT
from shared import reference
from shared.auth import AnyRole, Principal, ServiceCaller, authenticated_router, role_required
from shared.care_rules import Screen, Sex
from shared.clock import Now
from shared.db import ReadConnection, ReadSession
from shared.errors import Invalid, problem_responses
from shared.pagination import Cursor, Limit, Page, decode_cursor, json_answer, json_page
from shared.schemas import Moment, PlaceTypeCode, RegionCode
from shared.settings import AppSettings

router = authenticated_router(prefix="/api/v1/availability", tags=["availability"])
Searcher = Annotated[
    Principal,
    role_required(
        "referrer", "triagist", "provider", "admin", "service", doing="search availability"
    ),
]
PlaceTypes = Annotated[list[PlaceTypeCode], Query()]


def _near(near: str | None) -> tuple[float, float] | None:
    if near is None:
        return None
    try:
        lat_text, lon_text = near.split(",")
        lat, lon = float(lat_text), float(lon_text)
    except ValueError as exc:
        raise Invalid(
            "near must be 'LAT,LON', e.g. 52.3874,4.6462.", loc=["query", "near"]
        ) from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Invalid("near lies outside the globe.", loc=["query", "near"])
    return lat, lon


def _offset(value: str) -> int:
    offset = int(value)
    if offset < 0:
        raise ValueError("negative offset")
    return offset


def _features(features: str | None) -> list[str]:
    codes = [f.strip() for f in (features or "").split(",") if f.strip()]
    for code in codes:
        if code not in reference.features():
            raise Invalid(f"Unknown feature {code!r}.", loc=["query", "features"])
    return codes


@router.get("", response_model=Page[AvailabilityItem], responses=problem_responses(401, 403, 422))
async def search_availability(
    _: Searcher,
    connection: ReadConnection,
    settings: AppSettings,
    now: Now,
    place_type: PlaceTypes,
    region: Annotated[RegionCode | None, Query()] = None,
    near: Annotated[str | None, Query(description="LAT,LON")] = None,
    radius_km: Annotated[float | None, Query(gt=0, le=500)] = None,
    features: Annotated[str | None, Query(description="Comma list; all must be present.")] = None,
    min_free: Annotated[int, Query(ge=0, le=MAX_COUNT)] = 1,
    include_stale: bool = False,
    sex: Annotated[
        Sex | None, Query(description="The patient's sex: applies the single-sex rooms rule.")
    ] = None,
    due_at: Annotated[
        Moment | None,
        Query(description="When the patient must be placed: applies the admission hours."),
    ] = None,
    include_ineligible: bool = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """Free places right now, nearest first when `near` is given, else most free first.
    Stale reports are left out unless `include_stale`. For a known patient (`sex`,
    `due_at`) the care rules leave out the places that may not take them, unless
    `include_ineligible`: then they are marked `eligible: false` with the `refusals`."""
    point = _near(near)
    if radius_km is not None and point is None:
        raise Invalid("radius_km needs near.", loc=["query", "radius_km"])
    position = decode_cursor(cursor, _offset)
    offset = position[0] if position else 0
    spec = SearchFilter(
        place_types=place_type,
        region_codes=reference.covered_regions(region) if region else None,
        near=point,
        radius_km=radius_km,
        features=_features(features),
        min_free=min_free,
        include_stale=include_stale,
    )
    screen = Screen(now=now, sex=sex, due_at=due_at)
    items = await service.search(
        connection,
        settings,
        spec,
        screen,
        include_ineligible=include_ineligible,
        offset=offset,
        limit=limit + 1,
    )
    # By offset: the search ranks computed rows, so the next page starts `limit` further.
    # The answer is `Page[AvailabilityItem]` (the `response_model`), written from the rows.
    return json_page(items, limit, lambda _: (offset + limit,))


@router.get("/candidates", response_model=Candidates, responses=problem_responses(401, 403, 422))
async def matching_candidates(
    _: ServiceCaller,
    connection: ReadConnection,
    settings: AppSettings,
    place_type: Annotated[PlaceTypeCode, Query()],
    region: Annotated[RegionCode | None, Query()] = None,
    features: Annotated[str | None, Query(description="Comma list; all must be present.")] = None,
) -> Response:
    """Every place of `place_type` with at least one free, in `region` (a ROAZ region
    includes its zorgkantoor regions; none: the country) with all `features`, stale ones
    included and flagged: the candidates matching ranks, in one answer and in no order.
    For the triage service only; people search with `GET /api/v1/availability`."""
    spec = SearchFilter(
        place_types=[place_type],
        region_codes=reference.covered_regions(region) if region else None,
        near=None,
        radius_km=None,
        features=_features(features),
        min_free=1,
        include_stale=True,
    )
    # The answer is `Candidates` (the `response_model`), written from the rows.
    return json_answer({"items": await service.candidates(connection, settings, spec)})


@router.get("/summary", response_model=Summary, responses=problem_responses(401, 422))
async def availability_summary(
    _: AnyRole,
    session: ReadSession,
    settings: AppSettings,
    region: Annotated[RegionCode | None, Query()] = None,
    place_type: Annotated[list[PlaceTypeCode] | None, Query()] = None,
) -> Summary:
    """Free, staffed and stale counts per region and place type: the regional picture,
    without per-facility figures. With the forecast: `expected_available_24h`, the sum of
    what the fresh reports expect to be free in 24 hours ("verwacht morgen vrij"), and
    `forecasting`, how many locations gave one."""
    return await service.summary(session, settings, region, place_type or [])


@router.get("/history", response_model=RegionalHistory, responses=problem_responses(401, 422))
async def availability_history(
    _: AnyRole,
    session: ReadSession,
    settings: AppSettings,
    region: Annotated[RegionCode | None, Query()] = None,
    place_type: Annotated[list[PlaceTypeCode] | None, Query()] = None,
    days: Annotated[int, Query(ge=1, le=31)] = 7,
) -> RegionalHistory:
    """Reported free places (before holds) and staffed places per place type over the last
    `days`, summed over the region's facilities whose report was still fresh at each moment:
    the regional picture over time, without per-facility figures. The last moment is now;
    with 7, 14, 21 or 28 days the others fall on whole hours."""
    return await service.history(session, settings, region, place_type or [], days)
