from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    TextClause,
    all_,
    any_,
    bindparam,
    func,
    null,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.capacity.capacity.models import CapacityState
from services.capacity.capacity.staleness import free_expression, stale_expression_of
from services.capacity.facilities.models import Facility
from services.capacity.organisations.models import Organisation
from shared.geo import bounding_box, distance_km_sql


def distance_km(lat: float, lon: float) -> ColumnElement[float]:
    """SQL: the distance in km from (lat, lon) to the facility (`shared.geo`)."""
    return distance_km_sql((lat, lon), Facility.lat, Facility.lon)


@dataclass(frozen=True, slots=True)
class SearchFilter:
    place_types: Sequence[str]
    region_codes: Collection[str] | None
    near: tuple[float, float] | None
    radius_km: float | None
    features: Sequence[str]
    min_free: int
    include_stale: bool
    # Left out by the care rules for the patient searched for (see shared.care_rules).
    ruled_out_hours: Collection[str] = ()
    ruled_out_features: Collection[str] = ()


@dataclass(frozen=True, slots=True)
class SearchShape:
    """Which parts a search has: searches of one shape share one statement."""

    by_region: bool
    by_features: bool
    include_stale: bool
    hours_ruled_out: bool
    features_ruled_out: bool
    near: bool
    within_radius: bool
    longitudes_bounded: bool

    @classmethod
    def of(cls, spec: SearchFilter) -> SearchShape:
        box = bounding_box(spec.near, spec.radius_km) if spec.near and spec.radius_km else None
        return cls(
            by_region=spec.region_codes is not None,
            by_features=bool(spec.features),
            include_stale=spec.include_stale,
            hours_ruled_out=bool(spec.ruled_out_hours),
            features_ruled_out=bool(spec.ruled_out_features),
            near=spec.near is not None,
            within_radius=box is not None,
            longitudes_bounded=box is not None and box.lon is not None,
        )


def search_parameters(spec: SearchFilter, *, offset: int, limit: int) -> dict[str, Any]:
    """The values of one search, by the names of the statement's parameters."""
    values: dict[str, Any] = {
        "place_types": list(spec.place_types),
        "min_free": spec.min_free,
        "offset": offset,
        "limit": limit,
        "regions": sorted(spec.region_codes or ()),
        "features": list(spec.features),
        "hours": sorted(spec.ruled_out_hours),
        "ruled_features": sorted(spec.ruled_out_features),
    }
    if spec.near:
        values["lat"], values["lon"] = spec.near
        if spec.radius_km:
            box = bounding_box(spec.near, spec.radius_km)
            values["radius"] = spec.radius_km
            values["lat_min"], values["lat_max"] = box.lat
            if box.lon is not None:
                values["lon_min"], values["lon_max"] = box.lon
    return values


def _text_array(name: str) -> BindParameter[list[str]]:
    return bindparam(name, type_=ARRAY(String))  # type: ignore[arg-type]


def _float(name: str) -> BindParameter[float]:
    return bindparam(name, type_=Float)


FACILITY_COLUMNS = (
    Facility.id,
    Facility.name,
    Facility.organisation_id,
    Organisation.name.label("organisation_name"),
    Facility.city,
    Facility.region_code,
    Facility.lat,
    Facility.lon,
    Facility.admission_hours,
    Facility.features,
    Facility.postcode,
    Facility.street,
    Facility.house_number,
    Facility.phone,
    Facility.contact_note,
)
"""A location as a search answers it (`FacilitySummary`)."""


def _searched(
    query: Select[*tuple[Any, ...]],
    shape: SearchShape,
    stale: ColumnElement[bool],
    free: ColumnElement[int],
    distance: ColumnElement[float] | None,
) -> Select[*tuple[Any, ...]]:
    """`query` of capacity rows joined to their location and organisation, narrowed to the
    places a search of `shape` finds."""
    query = (
        query.join(Facility, Facility.id == CapacityState.facility_id)
        .join(Organisation, Organisation.id == Facility.organisation_id)
        .where(
            CapacityState.place_type == any_(_text_array("place_types")),
            free >= bindparam("min_free", type_=Integer),
        )
    )
    if shape.by_region:
        query = query.where(Facility.region_code == any_(_text_array("regions")))
    if shape.by_features:
        query = query.where(Facility.features.contains(_text_array("features")))
    if not shape.include_stale:
        query = query.where(~stale)
    if shape.hours_ruled_out:
        query = query.where(Facility.admission_hours != all_(_text_array("hours")))
    if shape.features_ruled_out:
        query = query.where(~Facility.features.overlap(_text_array("ruled_features")))
    if distance is not None and shape.within_radius:
        # The box first, on the index of positions; the exact distance only inside it.
        query = query.where(Facility.lat.between(_float("lat_min"), _float("lat_max")))
        if shape.longitudes_bounded:
            query = query.where(Facility.lon.between(_float("lon_min"), _float("lon_max")))
        query = query.where(distance <= _float("radius"))
    return query


def search_statement(
    shape: SearchShape, stale: ColumnElement[bool], free: ColumnElement[int]
) -> Select[*tuple[Any, ...]]:
    """The search's SQL for searches of `shape`, its values as named parameters (see
    `search_parameters`): one row per matching place, with its facility and distance."""
    lat, lon = _float("lat"), _float("lon")
    distance = distance_km_sql((lat, lon), Facility.lat, Facility.lon) if shape.near else None
    # Plain columns, not ORM entities: a search may read hundreds of rows at a time.
    columns: Select[*tuple[Any, ...]] = select(
        *FACILITY_COLUMNS,
        CapacityState.place_type,
        CapacityState.available,
        CapacityState.held,
        CapacityState.staffed,
        CapacityState.expected_available_24h,
        CapacityState.observed_at,
        CapacityState.source,
        free.label("free"),
        stale.label("stale"),
        (distance if distance is not None else null()).label("distance_km"),
    )
    query = _searched(columns, shape, stale, free, distance)
    if distance is not None:
        query = query.order_by(distance, free.desc(), Facility.id)
    else:
        query = query.order_by(free.desc(), Facility.name, Facility.id, CapacityState.place_type)
    offset, limit = bindparam("offset", type_=Integer), bindparam("limit", type_=Integer)
    return query.offset(offset).limit(limit)


def candidates_statement(
    shape: SearchShape, stale: ColumnElement[bool], free: ColumnElement[int]
) -> Select[*tuple[Any, ...]]:
    """Matching's read: every place a search of `shape` finds, with what the ranking weighs
    and nothing else; unsorted and unpaged, as the ranking orders all of them itself. The
    columns in the order of `CandidatePlace`'s fields, its `facility` first."""
    query = select(
        *FACILITY_COLUMNS,
        CapacityState.place_type,
        free.label("free"),
        CapacityState.observed_at,
        stale.label("stale"),
        CapacityState.source,
    )
    return _searched(query, shape, stale, free, None)


@dataclass(frozen=True, slots=True)
class CompiledSearch:
    """A search statement as the driver receives it, and its parameters in order."""

    sql: str
    names: tuple[str, ...]
    fixed: dict[str, Any]

    def arguments(self, values: dict[str, Any]) -> tuple[Any, ...]:
        merged = {**self.fixed, **values}
        return tuple(merged[name] for name in self.names)


@lru_cache(maxsize=256)
def compiled_search(
    shape: SearchShape,
    ttl: tuple[tuple[str, float], ...],
    dialect: Dialect,
    *,
    candidates: bool = False,
) -> CompiledSearch:
    """Built and compiled once per shape, time-to-live settings and dialect: a search
    then costs its parameters only, not building a statement and its cache key. With
    `candidates`, matching's read (`candidates_statement`) instead of the search."""
    build = candidates_statement if candidates else search_statement
    statement = build(shape, stale_expression_of(dict(ttl)), free_expression())
    compiled = statement.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ())
    fixed = compiled.construct_params(_check=False)
    return CompiledSearch(str(compiled), names, {k: fixed[k] for k in names if k in fixed})


async def search(
    connection: AsyncConnection,
    spec: SearchFilter,
    ttl: dict[str, float],
    *,
    offset: int,
    limit: int,
) -> Sequence[Any]:
    prepared = compiled_search(SearchShape.of(spec), tuple(sorted(ttl.items())), connection.dialect)
    values = search_parameters(spec, offset=offset, limit=limit)
    result = await connection.exec_driver_sql(prepared.sql, prepared.arguments(values))
    return result.all()


async def candidates(
    connection: AsyncConnection, spec: SearchFilter, ttl: dict[str, float]
) -> Sequence[Any]:
    """Every place `spec` finds, in no order: the rows of `candidates_statement`."""
    prepared = compiled_search(
        SearchShape.of(spec), tuple(sorted(ttl.items())), connection.dialect, candidates=True
    )
    values = search_parameters(spec, offset=0, limit=0)
    result = await connection.exec_driver_sql(prepared.sql, prepared.arguments(values))
    return result.all()


async def summary(
    session: AsyncSession,
    stale: ColumnElement[bool],
    free: ColumnElement[int],
    region_codes: Collection[str] | None,
    place_types: Sequence[str],
) -> Sequence[Any]:
    """Per region and place type: facilities, free (fresh reports only), staffed, stale, and
    the forecast: the sum of `expected_available_24h` of the fresh reports that gave one,
    and how many gave one."""
    forecast = CapacityState.expected_available_24h
    query = (
        select(
            Facility.region_code,
            CapacityState.place_type,
            func.count().label("facilities"),
            func.coalesce(func.sum(free).filter(~stale), 0).label("free"),
            func.coalesce(func.sum(CapacityState.staffed), 0).label("staffed"),
            func.count().filter(stale).label("stale"),
            func.coalesce(func.sum(forecast).filter(~stale), 0).label("expected_available_24h"),
            func.count(forecast).filter(~stale).label("forecasting"),
        )
        .join(Facility, Facility.id == CapacityState.facility_id)
        .group_by(Facility.region_code, CapacityState.place_type)
        .order_by(Facility.region_code, CapacityState.place_type)
    )
    if region_codes is not None:
        query = query.where(Facility.region_code.in_(region_codes))
    if place_types:
        query = query.where(CapacityState.place_type.in_(place_types))
    return (await session.execute(query)).all()


def _places_sql(by_region: bool, by_place_type: bool) -> str:
    """The places a regional history covers: every place type reported at a facility of the
    regions (all when not `by_region`: then without the facilities)."""
    return (
        "SELECT c.facility_id, c.place_type FROM capacity.capacity c "
        + (
            "JOIN capacity.facilities f ON f.id = c.facility_id "
            "WHERE f.region_code = ANY(CAST(:regions AS text[]))"
            if by_region
            else "WHERE true"
        )
        + (" AND c.place_type = ANY(CAST(:place_types AS text[]))" if by_place_type else "")
    )


def _history_sql(by_region: bool, by_place_type: bool) -> TextClause:
    """Each report counts for the moments from its own until the next report of its place
    or until it goes stale, whichever is first: the reports of the period are read once (by
    the index on facility, place type and time), never once per moment."""
    places = _places_sql(by_region, by_place_type)
    return text(
        f"""
        WITH ttl AS (
            SELECT * FROM unnest(CAST(:ttl_codes AS text[]), CAST(:ttl_seconds AS float8[]))
                AS t(place_type, seconds)
        ),
        places AS ({places}),
        reports AS (
            SELECT p.place_type, r.available, r.staffed,
                date_part('epoch', r.observed_at - CAST(:since AS timestamptz)) AS offset_s,
                coalesce(t.seconds, 0) AS ttl_s,
                date_part('epoch', r.next_at - CAST(:since AS timestamptz)) AS next_s
            FROM places p
            LEFT JOIN ttl t ON t.place_type = p.place_type
            -- Per place, in the index's order: the next report is found without sorting
            -- the whole period's reports at once.
            CROSS JOIN LATERAL (
                SELECT r.available, r.staffed, r.observed_at,
                    lead(r.observed_at) OVER (ORDER BY r.observed_at, r.id) AS next_at
                FROM capacity.capacity_reports r
                WHERE r.facility_id = p.facility_id AND r.place_type = p.place_type
                    AND r.observed_at >= CAST(:earliest AS timestamptz)
                    AND r.observed_at <= CAST(:until AS timestamptz)
            ) r
        ),
        moments AS (
            SELECT r.place_type, k, sum(r.available) AS available,
                sum(r.staffed) AS staffed, count(*) AS reporting
            FROM reports r, generate_series(
                greatest(0, ceil(r.offset_s / CAST(:step AS float8))::int),
                least(
                    CAST(:points AS int),
                    floor((r.offset_s + r.ttl_s) / CAST(:step AS float8))::int,
                    coalesce(ceil(r.next_s / CAST(:step AS float8))::int - 1, CAST(:points AS int))
                )
            ) AS k
            GROUP BY r.place_type, k
        ),
        counted AS (SELECT place_type, count(*) AS facilities FROM places GROUP BY place_type)
        SELECT c.place_type, c.facilities, m.k, m.available, m.staffed, m.reporting
        FROM counted c LEFT JOIN moments m ON m.place_type = c.place_type
        ORDER BY c.place_type, m.k
        """
    )


def _history_hours_sql(by_region: bool, by_place_type: bool) -> TextClause:
    """The same numbers at whole hours, read from `capacity.history_hours` (one row per
    moment, place type and region, whatever the number of places and reports), and at the
    last moment, now, from the current numbers: the last report of each place (unless it
    was made after now, within the allowed clock skew: then the one before it)."""
    in_regions = "AND h.region_code = ANY(CAST(:regions AS text[]))" if by_region else ""
    of_types = "AND h.place_type = ANY(CAST(:place_types AS text[]))" if by_place_type else ""
    current = (
        "SELECT c.facility_id, c.place_type, c.available, c.staffed, c.observed_at "
        "FROM capacity.capacity c "
        + (
            "JOIN capacity.facilities f ON f.id = c.facility_id "
            "WHERE f.region_code = ANY(CAST(:regions AS text[]))"
            if by_region
            else "WHERE true"
        )
        + (" AND c.place_type = ANY(CAST(:place_types AS text[]))" if by_place_type else "")
    )
    # Made at most its time-to-live before now (whole seconds here), and not after it.
    fresh = "{0}.observed_at BETWEEN t.fresh_from AND CAST(:until AS timestamptz)"
    return text(
        f"""
        WITH ttl AS (
            SELECT t.place_type,
                CAST(:until AS timestamptz) - make_interval(secs => t.seconds) AS fresh_from
            FROM unnest(CAST(:ttl_codes AS text[]), CAST(:ttl_seconds AS float8[]))
                AS t(place_type, seconds)
        ),
        hours AS (
            SELECT h.place_type,
                CAST(date_part('epoch', h.at - CAST(:since AS timestamptz))
                    / CAST(:step AS float8) AS int) AS k,
                CAST(sum(h.available) AS bigint) AS available,
                CAST(sum(h.staffed) AS bigint) AS staffed,
                CAST(sum(h.reporting) AS bigint) AS reporting
            FROM capacity.history_hours h
            WHERE h.at = ANY(CAST(:moments AS timestamptz[])) {in_regions} {of_types}
            GROUP BY h.place_type, h.at
            HAVING sum(h.reporting) > 0
        ),
        current AS (
            -- Every place once: how many there are, and the fresh current numbers.
            SELECT c.place_type, count(*) AS facilities,
                sum(c.available) FILTER (WHERE {fresh.format("c")}) AS available,
                sum(c.staffed) FILTER (WHERE {fresh.format("c")}) AS staffed,
                count(*) FILTER (WHERE {fresh.format("c")}) AS reporting
            FROM ({current}) c LEFT JOIN ttl t ON t.place_type = c.place_type
            GROUP BY c.place_type
            UNION ALL
            -- Places whose current numbers were made after now: the report before them.
            SELECT c.place_type, 0, r.available, r.staffed, 1
            FROM ({current}) c
            LEFT JOIN ttl t ON t.place_type = c.place_type
            CROSS JOIN LATERAL (
                SELECT r.available, r.staffed, r.observed_at
                FROM capacity.capacity_reports r
                WHERE r.facility_id = c.facility_id AND r.place_type = c.place_type
                    AND r.observed_at <= CAST(:until AS timestamptz)
                ORDER BY r.observed_at DESC, r.id DESC
                LIMIT 1
            ) r
            WHERE c.observed_at > CAST(:until AS timestamptz) AND {fresh.format("r")}
        ),
        now AS (
            SELECT place_type, sum(facilities) AS facilities,
                CAST(sum(available) AS bigint) AS available,
                CAST(sum(staffed) AS bigint) AS staffed,
                CAST(sum(reporting) AS bigint) AS reporting
            FROM current GROUP BY place_type
        ),
        moments AS (
            SELECT * FROM hours
            UNION ALL
            SELECT place_type, CAST(:points AS int), available, staffed, reporting
            FROM now WHERE reporting > 0
        )
        SELECT n.place_type, CAST(n.facilities AS bigint) AS facilities, m.k, m.available,
            m.staffed, m.reporting
        FROM now n LEFT JOIN moments m ON m.place_type = n.place_type
        ORDER BY n.place_type, m.k
        """
    )


HISTORY_SQL = {
    (by_region, by_place_type): _history_sql(by_region, by_place_type)
    for by_region in (False, True)
    for by_place_type in (False, True)
}
HISTORY_HOURS_SQL = {
    (by_region, by_place_type): _history_hours_sql(by_region, by_place_type)
    for by_region in (False, True)
    for by_place_type in (False, True)
}
# The place types whose time-to-live differs from the one `capacity.history_hours` is kept
# with (migration capacity_0009).
_OTHER_TTL_SQL = text(
    "SELECT t.code FROM unnest(CAST(:codes AS text[]), CAST(:seconds AS float8[])) "
    "AS t(code, seconds) WHERE capacity.history_ttl(t.code) IS DISTINCT FROM t.seconds"
)
HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Moments:
    """The moments of a regional history: `since + k * step` for 0 ≤ k < `points`, and
    `until` (k = `points`). `hourly`: all but the last on whole hours, read from the
    hourly sums; else `until` is `since + points * step` and all are read from the
    reports."""

    since: datetime
    step: timedelta
    points: int
    until: datetime
    hourly: bool

    def at(self, k: int) -> datetime:
        return self.until if k == self.points else self.since + self.step * k


async def moments(
    session: AsyncSession,
    ttl_seconds: dict[str, float],
    until: datetime,
    step: timedelta,
    points: int,
) -> Moments:
    """`points` steps back from `until`. When the steps are whole hours and the hourly sums
    were kept with these times-to-live, every moment but `until` is moved back to the
    whole hour it falls in."""
    since = until - step * points
    if step % HOUR:
        return Moments(since, step, points, until, hourly=False)
    params = {"codes": list(ttl_seconds), "seconds": list(ttl_seconds.values())}
    if (await session.execute(_OTHER_TTL_SQL, params)).first() is not None:
        return Moments(since, step, points, until, hourly=False)
    whole = datetime.fromtimestamp(since.timestamp() // 3600 * 3600, since.tzinfo)
    return Moments(whole, step, points, until, hourly=True)


def _shape(
    region_codes: Collection[str] | None, place_types: Sequence[str]
) -> tuple[tuple[bool, bool], dict[str, Any]]:
    params: dict[str, Any] = {}
    if region_codes is not None:
        params["regions"] = list(region_codes)
    if place_types:
        params["place_types"] = list(place_types)
    return (region_codes is not None, bool(place_types)), params


def _ttl(ttl_seconds: dict[str, float]) -> dict[str, Any]:
    return {"ttl_codes": list(ttl_seconds), "ttl_seconds": list(ttl_seconds.values())}


async def history_from_reports(
    session: AsyncSession,
    ttl_seconds: dict[str, float],
    region_codes: Collection[str] | None,
    place_types: Sequence[str],
    *,
    since: datetime,
    step: timedelta,
    points: int,
) -> Sequence[Any]:
    """`history` at `since + k * step` (0 ≤ k ≤ `points`), from the reports of the period:
    any moments."""
    shape, params = _shape(region_codes, place_types)
    params |= _ttl(ttl_seconds) | {
        "since": since,
        "until": since + step * points,
        # Older reports are stale at every moment asked for, whatever their place type.
        "earliest": since - timedelta(seconds=max(ttl_seconds.values(), default=0.0)),
        "step": step.total_seconds(),
        "points": points,
    }
    return (await session.execute(HISTORY_SQL[shape], params)).all()


async def history_from_hours(
    session: AsyncSession,
    ttl_seconds: dict[str, float],
    region_codes: Collection[str] | None,
    place_types: Sequence[str],
    at: Moments,
) -> Sequence[Any]:
    """`history` at hourly `at`, from the hourly sums and the current numbers."""
    shape, params = _shape(region_codes, place_types)
    params |= _ttl(ttl_seconds) | {
        "moments": [at.at(k) for k in range(at.points)],
        "since": at.since,
        "step": at.step.total_seconds(),
        "points": at.points,
        "until": at.until,
    }
    return (await session.execute(HISTORY_HOURS_SQL[shape], params)).all()


async def history(
    session: AsyncSession,
    ttl_seconds: dict[str, float],
    region_codes: Collection[str] | None,
    place_types: Sequence[str],
    at: Moments,
) -> Sequence[Any]:
    """Per place type: its number of facilities and, per moment `k` of `at` that any fresh
    report covers, the sum of the last report at that moment of every facility in the
    regions that was still fresh then (unknown is not zero). Moments no fresh report covers
    are left out; a place type without any has one row with `k` None. The same numbers
    from the hourly sums as from the reports."""
    if at.hourly:
        return await history_from_hours(session, ttl_seconds, region_codes, place_types, at)
    return await history_from_reports(
        session,
        ttl_seconds,
        region_codes,
        place_types,
        since=at.since,
        step=at.step,
        points=at.points,
    )
