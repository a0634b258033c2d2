"""Capacity reports: the rules of docs/api.md#capacity-reports for one report; history and
the current numbers."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from services.capacity import metrics
from services.capacity.access import ensure_provider_of
from services.capacity.capacity import repository
from services.capacity.capacity.events import (
    change_events,
    free_of,
    publish_capacity,
    publish_due,
)
from services.capacity.capacity.models import CapacityReport, CapacityState
from services.capacity.capacity.repository import Key, Place, PlaceReport, Site
from services.capacity.capacity.schemas import CapacityReportIn, CapacityStateOut
from services.capacity.capacity.staleness import (
    is_due,
    is_stale,
    reminder_stage_expression,
    stale_at,
    stale_expression,
)
from services.capacity.facilities import service as facilities
from services.capacity.facilities.models import Facility
from shared.auth import Principal, ensure_role
from shared.contracts.capacity import ReportSource
from shared.contracts.events import CAPACITY_STALE
from shared.errors import DomainError, Forbidden, Invalid, NotFound
from shared.outbox import Event
from shared.settings import Settings

HISTORY_ROLES = ("referrer", "triagist", "admin", "provider")


def sees_reporters(principal: Principal, organisation_id: uuid.UUID) -> bool:
    """Who sent a report is a person's name: for the location's own organisation, and for
    the RAP's triagists and admins who follow the numbers up; others see how it came in
    (`source`), not who sent it."""
    return principal.belongs_to(organisation_id) or principal.has("triagist", "admin")


def state_out(
    state: CapacityState | Place,
    settings: Settings,
    *,
    applied: bool,
    now: datetime | None = None,
    names: bool = True,
) -> CapacityStateOut:
    now = now or datetime.now(UTC)
    return CapacityStateOut(
        facility_id=state.facility_id,
        place_type=state.place_type,
        staffed=state.staffed,
        occupied=state.occupied,
        available=state.available,
        held=state.held,
        free=free_of(state),
        expected_available_24h=state.expected_available_24h,
        observed_at=state.observed_at,
        received_at=state.received_at,
        stale=is_stale(state.place_type, state.observed_at, now, settings),
        due=is_due(state.place_type, state.observed_at, now, settings),
        stale_at=stale_at(state.place_type, state.observed_at, settings),
        applied=applied,
        source=cast(ReportSource | None, state.source),
        reported_by=state.reported_by if names else None,
    )


def claimed_source(principal: Principal, claimed: str) -> ReportSource:
    """The source a plain report may claim: `page` only for a person (the pages call the API
    with the signed-in person's token); an API key is a linked system, so `api`."""
    if claimed == "page" and principal.via == "api_key":
        raise Invalid(
            "An API key reports as a linked system: leave out source, or send 'api'.",
            loc=["body", "source"],
        )
    return "page" if claimed == "page" else "api"


def _check_reportable(
    principal: Principal, site: Site | None, place_type: str, place_type_loc: list[str | int]
) -> None:
    """A report of `place_type` at `site` is for the facility's own provider (an API key
    needs `capacity:write`), and for a place type the facility offers."""
    if site is None:
        raise NotFound("No such facility.")
    ensure_provider_of(principal, site.organisation_id, scope="capacity:write", thing="facility")
    if place_type not in site.place_types:
        raise Invalid(
            f"This facility does not offer {place_type}; it offers {', '.join(site.place_types)}.",
            loc=place_type_loc,
        )


class PlacesOutOfOrder(Exception):
    """Reports of places never reported before came with places already locked that come
    after them in the one locking order: locking them now could deadlock with another
    writer. Nothing was written; the caller applies the reports one by one instead."""


async def report(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    facility_id: uuid.UUID,
    place_type: str,
    data: CapacityReportIn,
    *,
    source: ReportSource,
    place_type_loc: list[str | int] | None = None,
    now: datetime | None = None,
) -> CapacityStateOut:
    """Apply a report unless a newer one is stored; either way answer the current state.

    The history keeps every report with its `source` and who sent it. Events are written in
    this transaction."""
    [answer] = await report_many(
        session,
        principal,
        settings,
        [PlaceReport(facility_id, place_type, data)],
        source=source,
        place_type_loc=place_type_loc,
        now=now,
    )
    if isinstance(answer, DomainError):
        raise answer
    return answer


async def report_many(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    reports: Sequence[PlaceReport],
    *,
    source: ReportSource,
    place_type_loc: list[str | int] | None = None,
    now: datetime | None = None,
) -> list[CapacityStateOut | DomainError]:
    """Apply `reports` as `report` applies each, in the order given (a place reported twice
    sees its earlier report): one answer per report, its state or why it was refused, and
    nothing written for a refused one. The places are locked in one statement (in the one
    order) and written in one: their numbers, the history and the events.

    `PlacesOutOfOrder` (nothing written) when places never reported come after places
    already locked; a single report never meets it."""
    loc = place_type_loc or ["path", "place_type"]
    now = now or datetime.now(UTC)
    keys = sorted({r.key for r in reports})
    locked = await repository.lock_places(session, keys, principal.org)
    places = {key: place for key, (place, _) in locked.items()}
    sites = {site.id: site for _, site in locked.values()}
    if unknown := {facility_id for facility_id, _ in keys} - sites.keys():
        sites |= await repository.sites(session, sorted(unknown))
    refused: dict[int, DomainError] = {}
    for n, r in enumerate(reports):
        try:
            _check_reportable(principal, sites.get(r.facility_id), r.place_type, loc)
        except DomainError as exc:
            refused[n] = exc
    first: dict[Key, PlaceReport] = {}
    for n, r in enumerate(reports):
        if n not in refused and r.key not in places:
            first.setdefault(r.key, r)
    if first and places and min(first) < max(places):
        raise PlacesOutOfOrder
    inserted: set[Key] = set()
    for key in sorted(first):  # after every place locked so far: the one order holds
        numbers = first[key].numbers
        place = Place(
            *key,
            staffed=numbers.staffed,
            occupied=numbers.occupied,
            available=numbers.available,
            held=0,
            expected_available_24h=numbers.expected_available_24h,
            observed_at=numbers.observed_at,
            received_at=now,
            source=source,
            reported_by=principal.name,
        )
        if await repository.insert_place_if_absent(session, place):
            places[key] = place
            inserted.add(key)
        else:  # a concurrent first report won the insert
            places[key], _ = (await repository.lock_places(session, [key], principal.org))[key]
    answers: list[CapacityStateOut | DomainError] = []
    changed: dict[Key, Place] = {}
    kept: list[tuple[PlaceReport, bool]] = []
    events: list[Event] = []
    for n, r in enumerate(reports):
        if n in refused:
            answers.append(refused[n])
            continue
        place, numbers = places[r.key], r.numbers
        if r.key in inserted:  # the first report of a place: what was inserted
            inserted.discard(r.key)
            applied, free_before = True, 0
        else:
            applied = numbers.observed_at >= place.observed_at
            stale_before = is_stale(place.place_type, place.observed_at, now, settings)
            free_before = 0 if stale_before else free_of(place)
            if applied:
                place.staffed, place.occupied = numbers.staffed, numbers.occupied
                place.available = numbers.available
                place.expected_available_24h = numbers.expected_available_24h
                place.observed_at, place.received_at = numbers.observed_at, now
                place.source, place.reported_by = source, principal.name
                changed[r.key] = place
        kept.append((r, applied))
        if applied:
            events += change_events(sites[r.facility_id], place, free_before)
        metrics.capacity_reports.labels("applied" if applied else "outdated").inc()
        answers.append(state_out(place, settings, applied=applied, now=now))
    if kept:
        await repository.write(
            session,
            list(changed.values()),
            kept,
            events,
            received_at=now,
            source=source,
            reported_by=principal.name,
            reporter=principal.sub,
        )
    return answers


async def confirm(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    facility_id: uuid.UUID,
    seen: Mapping[str, datetime],
    now: datetime,
) -> list[CapacityStateOut]:
    """*Ongewijzigd bevestigen*: every place type of the location reported again with the
    numbers it has now, observed `now`, kept as `source: confirm`. Never over newer data:
    a place type whose report is newer than `now`, or is not the one the confirming person
    saw (`seen`: place type → its `observed_at`), is answered as it is, `applied: false`.
    A place type never reported has nothing to confirm and is left out."""
    facility = await facilities.get(session, facility_id)
    ensure_provider_of(
        principal, facility.organisation_id, scope="capacity:write", thing="facility"
    )
    results: list[CapacityStateOut | None] = []
    confirmed: list[PlaceReport] = []
    # Locked in (facility, place type) order, as every writer locks places.
    for state in await repository.lock_states_of(session, facility_id):
        if state.place_type not in facility.place_types:
            continue
        shown = seen.get(state.place_type)
        if shown is not None and shown != state.observed_at:
            results.append(state_out(state, settings, applied=False, now=now))
            continue
        # The stored numbers were checked when reported; `now` is the server's own moment.
        numbers = CapacityReportIn.model_construct(
            staffed=state.staffed,
            occupied=state.occupied,
            available=state.available,
            expected_available_24h=state.expected_available_24h,
            observed_at=now,
        )
        confirmed.append(PlaceReport(facility_id, state.place_type, numbers))
        results.append(None)
    # All in one write, as a batch chunk is written.
    answers = iter(
        await report_many(session, principal, settings, confirmed, source="confirm", now=now)
        if confirmed
        else []
    )
    out: list[CapacityStateOut] = []
    for result in results:
        answer = result if result is not None else next(answers)
        if isinstance(answer, DomainError):
            raise answer
        out.append(answer)
    return out


async def history(
    session: AsyncSession,
    principal: Principal,
    facility_id: uuid.UUID,
    place_type: str,
    *,
    since: datetime | None,
    until: datetime | None,
    before: tuple[datetime, int] | None,
    limit: int,
) -> tuple[list[CapacityReport], bool]:
    """Past reports, newest first: for referrers, triagists, admins and the own provider;
    and whether the caller sees who sent them (`sees_reporters`)."""
    ensure_role(principal, *HISTORY_ROLES, doing="read capacity history", any_api_key=True)
    facility = await facilities.get(session, facility_id)
    if not principal.has("referrer", "triagist", "admin") and not principal.belongs_to(
        facility.organisation_id
    ):
        raise NotFound("No such facility.")
    if place_type not in facility.place_types:
        raise NotFound(f"This facility does not offer {place_type}.")
    rows = await repository.history(
        session, facility_id, place_type, since=since, until=until, before=before, limit=limit
    )
    return rows, sees_reporters(principal, facility.organisation_id)


NUMBERS_ROLES = ("referrer", "triagist", "admin", "service")


def sees_numbers(principal: Principal, organisation_id: uuid.UUID) -> bool:
    """Per-facility numbers are for the roles that may search availability, and for the
    facility's own provider."""
    return principal.has(*NUMBERS_ROLES) or (
        principal.has("provider") and principal.belongs_to(organisation_id)
    )


async def current(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    facility_id: uuid.UUID,
    now: datetime,
) -> list[CapacityStateOut]:
    """The numbers of every place type at one facility now, stale ones included: for its own
    provider, and for the roles that may search availability."""
    facility = await facilities.get(session, facility_id)
    if not sees_numbers(principal, facility.organisation_id):
        if not principal.has("provider"):
            raise Forbidden("Per-facility capacity is not available to this role.")
        raise NotFound("No such facility.")
    states = await repository.states_of(session, facility_id)
    names = sees_reporters(principal, facility.organisation_id)
    return [state_out(state, settings, applied=True, now=now, names=names) for state in states]


async def current_of(
    session: AsyncSession, principal: Principal, settings: Settings, found: list[Facility]
) -> dict[uuid.UUID, list[CapacityStateOut]]:
    """The numbers now of those of `found` whose numbers the caller may see."""
    visible = [f.id for f in found if sees_numbers(principal, f.organisation_id)]
    now = datetime.now(UTC)
    numbers: dict[uuid.UUID, list[CapacityStateOut]] = {facility_id: [] for facility_id in visible}
    named = {f.id for f in found if sees_reporters(principal, f.organisation_id)}
    for state in await repository.states_of_many(session, visible):
        numbers[state.facility_id].append(
            state_out(state, settings, applied=True, now=now, names=state.facility_id in named)
        )
    return numbers


async def publish_stale(session: AsyncSession, settings: Settings, limit: int = 500) -> int:
    """Publish `capacity.stale` once for each place whose report went stale."""
    rows = await repository.claim_newly_stale(session, stale_expression(settings), limit)
    for state, facility in rows:
        state.stale_notified = True
        await publish_capacity(session, CAPACITY_STALE, facility, state)
    return len(rows)


async def remind_due(
    session: AsyncSession, settings: Settings, now: datetime, limit: int = 500
) -> int:
    """Send `capacity.due` to each location's own organisation: once when a report reaches
    three quarters of its time-to-live (stage `due`: report again before it goes stale),
    once more when it is stale (stage `stale`). Each stage once per report: a new report
    starts over. A report first seen past its time-to-live gets the `stale` stage only."""
    rows = await repository.claim_reminders(
        session, reminder_stage_expression(settings, now), limit
    )
    for state, facility, stage in rows:
        state.reminded_stage = stage
        moment = stale_at(state.place_type, state.observed_at, settings)
        await publish_due(session, facility, state, stage, moment)
    return len(rows)
