import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    ColumnElement,
    DateTime,
    Integer,
    String,
    any_,
    bindparam,
    false,
    func,
    null,
    select,
    true,
    update,
)
from sqlalchemy import insert as plain_insert
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeEngine

from services.capacity.capacity.models import CapacityReport, CapacityState
from services.capacity.capacity.schemas import CapacityReportIn
from services.capacity.capacity.staleness import ReminderStage
from services.capacity.facilities.models import Facility
from shared import outbox
from shared.statements import Compiled

Key = tuple[uuid.UUID, str]
"""A place: (facility, place type). Every writer locks places in this order: by facility,
then place type (compared as plain text, as Python compares it)."""


@dataclass(frozen=True, slots=True)
class Site:
    """A facility as a capacity report needs it: whose it is, what it offers, where it is."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    place_types: list[str]
    region_code: str
    lat: float
    lon: float


@dataclass(slots=True)
class Place:
    """The current numbers of one place, as the reports of one transaction see and change
    them (the stored row, locked)."""

    facility_id: uuid.UUID
    place_type: str
    staffed: int
    occupied: int
    available: int
    held: int
    expected_available_24h: int | None
    observed_at: datetime
    received_at: datetime
    source: str | None
    reported_by: str | None


@dataclass(frozen=True, slots=True)
class PlaceReport:
    """One report of one place: what `service.report` applies."""

    facility_id: uuid.UUID
    place_type: str
    numbers: CapacityReportIn

    @property
    def key(self) -> Key:
        return (self.facility_id, self.place_type)


_PLACE_COLUMNS = (
    CapacityState.facility_id,
    CapacityState.place_type,
    CapacityState.staffed,
    CapacityState.occupied,
    CapacityState.available,
    CapacityState.held,
    CapacityState.expected_available_24h,
    CapacityState.observed_at,
    CapacityState.received_at,
    CapacityState.source,
    CapacityState.reported_by,
)
_SITE_COLUMNS = (
    Facility.id,
    Facility.organisation_id,
    Facility.place_types,
    Facility.region_code,
    Facility.lat,
    Facility.lon,
)


def _array(name: str, kind: TypeEngine[Any]) -> Any:
    return bindparam(name, type_=ARRAY(kind))


@cache
def lock_places_statement(dialect: Dialect) -> Compiled:
    """`lock_places`, compiled once: the ceiling (bench/ceiling.py) runs it too."""
    wanted = (
        func.unnest(_array("facility_ids", UUID(as_uuid=True)), _array("place_types", String()))
        .table_valued("facility_id", "place_type")
        .render_derived(name="k")
    )
    query = (
        select(*_PLACE_COLUMNS, *_SITE_COLUMNS)
        .join(
            wanted,
            (wanted.c.facility_id == CapacityState.facility_id)
            & (wanted.c.place_type == CapacityState.place_type),
        )
        .join(Facility, Facility.id == CapacityState.facility_id)
        .where(Facility.organisation_id == bindparam("organisation_id"))
        .order_by(CapacityState.facility_id, CapacityState.place_type.collate("C"))
        .with_for_update(of=CapacityState)
    )
    return Compiled.of(query, dialect)


async def lock_places(
    session: AsyncSession, keys: Sequence[Key], organisation_id: uuid.UUID | None
) -> dict[Key, tuple[Place, Site]]:
    """The places of `keys` at `organisation_id`'s own facilities, each with its facility,
    locked until the transaction ends, in one statement and in the one order (`Key`).
    Places never reported, and those of another organisation (whose rows a caller may not
    lock), are left out."""
    connection = await session.connection()
    result = await lock_places_statement(connection.dialect).execute(
        connection,
        {
            "facility_ids": [facility_id for facility_id, _ in keys],
            "place_types": [place_type for _, place_type in keys],
            "organisation_id": organisation_id,
        },
    )
    found = {}
    for row in result:
        place = Place(*row[: len(_PLACE_COLUMNS)])
        found[(place.facility_id, place.place_type)] = (place, Site(*row[len(_PLACE_COLUMNS) :]))
    return found


async def sites(session: AsyncSession, facility_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Site]:
    """The facilities of `facility_ids` that exist, as reports need them (not locked)."""
    query = select(*_SITE_COLUMNS).where(Facility.id == any_(_array("ids", UUID(as_uuid=True))))
    rows = await session.execute(query, {"ids": list(facility_ids)})
    return {row[0]: Site(*row) for row in rows}


# The parameters of `write_statement`: the places whose report applied, with their new
# numbers (`changed_…`); each report received, applied or not, with its numbers (`kept_…`);
# who sent them, how and when (the same for all); and the events. A report's numbers: the
# column, its array parameter after the prefix, and its type.
_NUMBERS: dict[str, tuple[str, TypeEngine[Any]]] = {
    "facility_id": ("facility_ids", UUID(as_uuid=True)),
    "place_type": ("place_types", String()),
    "staffed": ("staffed", Integer()),
    "occupied": ("occupied", Integer()),
    "available": ("available", Integer()),
    "expected_available_24h": ("expected", Integer()),
    "observed_at": ("observed_at", DateTime(timezone=True)),
}
_CHANGED = {column: (f"changed_{name}", kind) for column, (name, kind) in _NUMBERS.items()}
_KEPT = {
    **{column: (f"kept_{name}", kind) for column, (name, kind) in _NUMBERS.items()},
    "applied": ("kept_applied", Boolean()),
}


def _rows(columns: dict[str, tuple[str, TypeEngine[Any]]], name: str) -> Any:
    return (
        func.unnest(*(_array(param, kind) for param, kind in columns.values()))
        .table_valued(*columns)
        .render_derived(name=name)
    )


def _arrays(
    columns: dict[str, tuple[str, TypeEngine[Any]]], rows: Sequence[tuple[Any, ...]]
) -> dict[str, list[Any]]:
    """`rows` (tuples in the order of `columns`) as the arrays that `columns` name."""
    arrays: list[list[Any]] = [[] for _ in columns]
    for row in rows:
        for array, value in zip(arrays, row, strict=True):
            array.append(value)
    return {param: array for (param, _), array in zip(columns.values(), arrays, strict=True)}


@cache
def write_statement(dialect: Dialect) -> Compiled:
    """`write`, compiled once: the ceiling (bench/ceiling.py) runs it too."""
    received_at = bindparam("received_at", type_=DateTime(timezone=True))
    source = bindparam("source", type_=String())
    reported_by = bindparam("reported_by", type_=String())
    changed = _rows(_CHANGED, "n")
    update_places = (
        update(CapacityState)
        .where(
            CapacityState.facility_id == changed.c.facility_id,
            CapacityState.place_type == changed.c.place_type,
        )
        .values(
            staffed=changed.c.staffed,
            occupied=changed.c.occupied,
            available=changed.c.available,
            expected_available_24h=changed.c.expected_available_24h,
            observed_at=changed.c.observed_at,
            received_at=received_at,
            source=source,
            reported_by=reported_by,
            stale_notified=false(),
            reminded_stage=null(),
        )
    )
    kept = _rows(_KEPT, "r")
    keep_reports = plain_insert(CapacityReport).from_select(
        [*_KEPT, "received_at", "source", "reported_by", "reporter"],
        select(
            *(kept.c[c] for c in _KEPT),
            received_at,
            source,
            reported_by,
            bindparam("reporter", type_=String()),
        ),
    )
    statement = select(true()).add_cte(
        update_places.cte("changed"),
        keep_reports.cte("kept"),
        outbox.insert_many().cte("published"),
    )
    return Compiled.of(statement, dialect)


async def write(
    session: AsyncSession,
    changed: Sequence[Place],
    kept: Sequence[tuple[PlaceReport, bool]],
    events: Sequence[outbox.Event],
    *,
    received_at: datetime,
    source: str,
    reported_by: str,
    reporter: str,
) -> None:
    """In one statement: the new numbers of the `changed` places (as `received_at`, `source`,
    `reported_by`, which also clears their staleness notice and reminder), every report
    received in the history (`kept`: each with whether it applied, and `reporter`), and
    `events` in the outbox."""
    connection = await session.connection()
    values: dict[str, Any] = {
        "received_at": received_at,
        "source": source,
        "reported_by": reported_by,
        "reporter": reporter,
        **outbox.many_values(events),
    }
    values |= _arrays(
        _CHANGED,
        [
            (
                place.facility_id,
                place.place_type,
                place.staffed,
                place.occupied,
                place.available,
                place.expected_available_24h,
                place.observed_at,
            )
            for place in changed
        ],
    )
    values |= _arrays(
        _KEPT,
        [
            (
                report.facility_id,
                report.place_type,
                report.numbers.staffed,
                report.numbers.occupied,
                report.numbers.available,
                report.numbers.expected_available_24h,
                report.numbers.observed_at,
                applied,
            )
            for report, applied in kept
        ],
    )
    await write_statement(connection.dialect).execute(connection, values)


async def insert_place_if_absent(session: AsyncSession, place: Place) -> bool:
    """Insert the first numbers of a place; False when a concurrent first report was first."""
    query = (
        insert(CapacityState)
        .values(**asdict(place))
        .on_conflict_do_nothing()
        .returning(CapacityState.facility_id)
    )
    return (await session.execute(query)).first() is not None


async def states_of(session: AsyncSession, facility_id: uuid.UUID) -> list[CapacityState]:
    """The current state of every place type reported at one facility."""
    query = (
        select(CapacityState)
        .where(CapacityState.facility_id == facility_id)
        .order_by(CapacityState.place_type)
    )
    return list((await session.scalars(query)).all())


async def lock_states_of(session: AsyncSession, facility_id: uuid.UUID) -> list[CapacityState]:
    """The current state of every place type at one facility, locked in place type order
    (byte order, as `lock_places` locks) until the transaction ends."""
    query = (
        select(CapacityState)
        .where(CapacityState.facility_id == facility_id)
        .order_by(CapacityState.place_type.collate("C"))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await session.scalars(query)).all())


async def states_of_many(
    session: AsyncSession, facility_ids: list[uuid.UUID]
) -> list[CapacityState]:
    """The current states of several facilities."""
    if not facility_ids:
        return []
    query = (
        select(CapacityState)
        .where(CapacityState.facility_id.in_(facility_ids))
        .order_by(CapacityState.facility_id, CapacityState.place_type)
    )
    return list((await session.scalars(query)).all())


async def history(
    session: AsyncSession,
    facility_id: uuid.UUID,
    place_type: str,
    *,
    since: datetime | None,
    until: datetime | None,
    before: tuple[datetime, int] | None,
    limit: int,
) -> list[CapacityReport]:
    """Past reports, newest first."""
    query = (
        select(CapacityReport)
        .where(CapacityReport.facility_id == facility_id, CapacityReport.place_type == place_type)
        .order_by(CapacityReport.observed_at.desc(), CapacityReport.id.desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(CapacityReport.observed_at >= since)
    if until is not None:
        query = query.where(CapacityReport.observed_at <= until)
    if before is not None:
        query = query.where(
            (CapacityReport.observed_at < before[0])
            | ((CapacityReport.observed_at == before[0]) & (CapacityReport.id < before[1]))
        )
    return list((await session.scalars(query)).all())


async def claim_newly_stale(
    session: AsyncSession, stale: ColumnElement[bool], limit: int
) -> list[tuple[CapacityState, Facility]]:
    """Stale rows whose `capacity.stale` was not yet published, locked; rows another
    sweeper holds are skipped."""
    query = (
        select(CapacityState, Facility)
        .join(Facility, Facility.id == CapacityState.facility_id)
        .where(stale, CapacityState.stale_notified.is_(False))
        .limit(limit)
        .with_for_update(of=CapacityState, skip_locked=True)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def claim_reminders(
    session: AsyncSession, stage: ColumnElement[str | None], limit: int
) -> list[tuple[CapacityState, Facility, ReminderStage]]:
    """Rows that reached a reminder stage not yet sent for their report (`due`, or `stale`
    after at most `due`), locked with the stage reached; rows another sweeper holds are
    skipped."""
    query = (
        select(CapacityState, Facility, stage.label("stage"))
        .join(Facility, Facility.id == CapacityState.facility_id)
        .where(
            stage.is_not(None),
            CapacityState.reminded_stage.is_(None)
            | ((stage == "stale") & (CapacityState.reminded_stage == "due")),
        )
        .order_by(CapacityState.facility_id, CapacityState.place_type)
        .limit(limit)
        .with_for_update(of=CapacityState, skip_locked=True)
    )
    rows = (await session.execute(query)).all()
    return [(row[0], row[1], cast(ReminderStage, row[2])) for row in rows]
