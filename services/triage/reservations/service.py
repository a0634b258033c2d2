"""Reservations: a place held at the capacity service for one referral until its provider
says yes (the hold is committed, the referral placed) or no (released, back to searching),
or the time runs out (released by the expiry loop, back to searching).

Network calls to the capacity service never happen while this process keeps a database
connection it is not using: a reservation first holds the place (the hold is idempotent on
the reservation id), then records it. A crash in between leaves only a hold that expires
by itself. A provider's answer locks the reservation while it calls capacity, so an answer
and the expiry loop never both act on one reservation."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.triage.audit.service import Hidden, Trail
from services.triage.base import idempotency_keys
from services.triage.capacity_client import (
    CapacityClient,
    CapacityUnavailable,
    Hold,
    HoldEnded,
    UnknownFacility,
)
from services.triage.matching.service import ensure_may_search
from services.triage.referrals import access, events, lifecycle
from services.triage.referrals import repository as referrals
from services.triage.referrals.lifecycle import SYSTEM, Actor, IllegalTransition
from services.triage.referrals.models import Referral
from services.triage.reservations import repository
from services.triage.reservations.models import Reservation
from services.triage.reservations.schemas import ReservationIn
from services.triage.reservations.states import ReservationEnded, finish
from shared import audit, metrics, reference
from shared.auth import Principal
from shared.errors import Conflict, DomainError, Invalid, NotFound
from shared.idempotency import IdempotentCall
from shared.settings import Settings

log = logging.getLogger("zorgplek.triage.reservations")

# The hold outlives the reservation a little, so that the expiry loop — not the capacity
# sweeper — ends it; if triage is down, the hold still ends by itself shortly after.
HOLD_GRACE_SECONDS = 120
KEY_NAMESPACE = uuid.UUID("6f0d3f55-3b4e-4a8e-9a63-2d1f1f8c9b27")
SYSTEM_PRINCIPAL = Principal(
    sub=SYSTEM.sub, name=SYSTEM.name, org=None, roles=frozenset({"service"})
)


@dataclass(frozen=True, slots=True)
class HeldPlace:
    """A place held at the capacity service, not yet recorded as a reservation."""

    reservation_id: uuid.UUID
    referral_id: uuid.UUID
    hold: Hold
    facility: dict[str, Any]
    place_type: str
    expires_at: datetime
    path: list[str]  # the referral's steps to `reserved`


async def replay_if_answered(
    sessions: async_sessionmaker[AsyncSession], call: IdempotentCall
) -> JSONResponse | None:
    """The stored answer to a repeated Idempotency-Key, before anything is held again;
    422 when the key came with another body."""
    if call.key is None:
        return None
    async with sessions() as read:
        stored = await repository.stored_response(
            read, idempotency_keys, call.owner, call.route, call.key
        )
    if stored is None:
        return None
    request_hash, status_code, response = stored
    if status_code is None:  # the first request is still running; its row decides later
        return None
    if request_hash != call.fingerprint:
        raise Invalid(
            "This Idempotency-Key was used before with a different body.",
            loc=["header", "Idempotency-Key"],
        )
    return JSONResponse(response, status_code=status_code, headers={"Idempotent-Replayed": "true"})


def reservation_id_for(call: IdempotentCall) -> uuid.UUID:
    """A new id, or — with an Idempotency-Key — the same id for the same key and body, so
    that a retried request finds the same hold at the capacity service."""
    if call.key is None:
        return uuid.uuid4()
    return uuid.uuid5(KEY_NAMESPACE, f"{call.owner}\n{call.route}\n{call.key}\n{call.fingerprint}")


def path_to_reserved(status: str) -> list[str]:
    """The steps from `status` to `reserved`; from in_triage the timeline records
    `searching` first."""
    if status == "in_triage":
        return ["searching", "reserved"]
    if status in ("submitted", "searching"):
        return ["reserved"]
    raise IllegalTransition(status, "reserved")


def ensure_may_reserve(principal: Principal, referral: Referral) -> list[str]:
    """The referrer books a direct-bookable place itself; otherwise the triagist who
    claimed the referral reserves. Returns the steps to `reserved`."""
    ensure_may_search(principal, referral, "reserve places")
    path = path_to_reserved(referral.status)
    direct = (
        access.owns(principal, referral)
        and reference.place_types()[referral.place_type].direct_booking
    )
    if not direct:
        access.ensure_assignee(principal, referral, "reserve a place")
    return path


async def hold_place(
    sessions: async_sessionmaker[AsyncSession],
    principal: Principal,
    client: CapacityClient,
    settings: Settings,
    referral_id: uuid.UUID,
    data: ReservationIn,
    reservation_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> HeldPlace:
    """Check that the caller may reserve for this referral, then hold one place at the
    capacity service; 409 when none is free there, 503 when it cannot be reached."""
    access.ensure_role(principal, "triagist", "referrer", doing="reserve places")
    async with sessions() as read:
        referral = await access.visible_referral(read, principal, referral_id)
        path = ensure_may_reserve(principal, referral)
    minutes = data.hold_minutes or settings.reservation_ttl_minutes
    try:
        hold = await client.hold(
            key=reservation_id,
            facility_id=data.facility_id,
            place_type=referral.place_type,
            referral_id=referral.id,
            ttl_seconds=minutes * 60 + HOLD_GRACE_SECONDS,
        )
    except UnknownFacility as exc:
        raise Invalid("No facility has this id.", loc=["body", "facility_id"]) from exc
    if hold is None:
        metrics.reservations.labels("conflict").inc()
        raise Conflict(
            f"No free {referral.place_type} place is left at this facility.",
            extra={"referral_status": referral.status, "facility_id": str(data.facility_id)},
        )
    # Only the winners of a race need the facility's details.
    try:
        facility = await client.facility(data.facility_id)
    except CapacityUnavailable:
        await release_quietly(client, hold.id)
        raise
    if facility is None:
        await release_quietly(client, hold.id)
        raise Invalid("No facility has this id.", loc=["body", "facility_id"])
    now = now or datetime.now(UTC)
    # A repeated request gets the first hold back: the reservation never outlives it.
    expires_at = min(
        now + timedelta(minutes=minutes), hold.expires_at - timedelta(seconds=HOLD_GRACE_SECONDS)
    )
    return HeldPlace(
        reservation_id=reservation_id,
        referral_id=referral.id,
        hold=hold,
        facility=facility,
        place_type=referral.place_type,
        expires_at=expires_at,
        path=path,
    )


async def release_quietly(client: CapacityClient, hold_id: uuid.UUID) -> None:
    """Give back a hold that will not be recorded; if that fails it expires by itself."""
    try:
        await client.release(hold_id)
    except (CapacityUnavailable, HoldEnded):
        log.warning("could not release an unrecorded hold; it expires by itself")


async def record(
    session: AsyncSession,
    principal: Principal,
    client: CapacityClient,
    held: HeldPlace,
    *,
    now: datetime | None = None,
) -> tuple[Reservation, Referral]:
    """Record the held place as a reservation and move the referral to `reserved`, in the
    request's transaction. When the referral changed meanwhile, the hold is released and the
    request refused: nothing is left half-done."""
    now = now or datetime.now(UTC)
    try:
        referral = await referrals.get(session, held.referral_id, lock=True)
        if referral is None:
            raise NotFound("No such referral.")
        path = ensure_may_reserve(principal, referral)
        if held.expires_at <= now:
            raise Conflict(
                "The place held for this request has expired; send it with a new Idempotency-Key.",
                extra={"referral_status": referral.status},
            )
    except DomainError:
        await release_quietly(client, held.hold.id)
        raise
    facility = held.facility
    reservation = await repository.add(
        session,
        Reservation(
            id=held.reservation_id,
            referral_id=referral.id,
            hold_id=held.hold.id,
            facility_id=uuid.UUID(str(facility["id"])),
            facility_name=facility["name"],
            facility_organisation_id=uuid.UUID(str(facility["organisation_id"])),
            facility_region_code=facility["region_code"],
            own_region=facility["region_code"] in reference.covered_regions(referral.region_code),
            place_type=held.place_type,
            status="held",
            created_by=principal.sub,
            created_by_name=principal.name,
            created_at=now,
            expires_at=held.expires_at,
        ),
    )
    actor = Actor.of(principal)
    detail = {
        "reservation_id": str(reservation.id),
        "facility_id": str(reservation.facility_id),
        "facility_name": reservation.facility_name,
        "expires_at": reservation.expires_at.isoformat(),
    }
    for step in path:
        if step == "searching":
            await lifecycle.transition(
                session, referral, "searching", actor=actor, action="search", at=now
            )
    from_status = referral.status
    await lifecycle.transition(
        session,
        referral,
        "reserved",
        actor=actor,
        action="reserve",
        detail=detail,
        reservation=reservation,
        at=now,
    )
    await events.publish_reservation(
        session, "reservation.held", referral, reservation, from_status
    )
    metrics.reservations.labels("held").inc()
    return reservation, referral


async def _for_provider(
    session: AsyncSession, trail: Trail, principal: Principal, reservation_id: uuid.UUID
) -> tuple[Reservation, Referral]:
    """The reservation at one of the caller's facilities, with its referral, both locked
    (referral first, as everywhere)."""
    access.ensure_role(
        principal, "provider", doing="answer reservations", api_key_scope=access.RESERVATIONS_SCOPE
    )
    found = await repository.get(session, reservation_id)
    if found is None:
        raise NotFound("No such reservation.")
    trail.about(found.referral_id)
    if not principal.belongs_to(found.facility_organisation_id):
        raise Hidden()
    referral = await referrals.get(session, found.referral_id, lock=True)
    reservation = await repository.get(session, reservation_id, lock=True)
    if referral is None or reservation is None:
        raise NotFound("No such reservation.")
    return reservation, referral


async def accept(
    session: AsyncSession,
    trail: Trail,
    principal: Principal,
    client: CapacityClient,
    reservation_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> tuple[Reservation, Referral]:
    """The provider admits the patient: the hold is committed (the place counts as
    occupied), the reservation is `accepted` and the referral `placed`."""
    reservation, referral = await _for_provider(session, trail, principal, reservation_id)
    now = now or datetime.now(UTC)
    if reservation.status != "held":
        raise ReservationEnded(reservation)
    if reservation.expires_at <= now:
        raise Conflict(
            "The reservation has expired; the place is no longer held for this referral.",
            extra={"reservation_status": "expired"},
        )
    lifecycle.ensure_path(referral.status, ["placed"])
    try:
        await client.commit(reservation.hold_id)
    except HoldEnded as exc:
        raise Conflict(
            "The place is no longer held at the capacity service.",
            extra={"reservation_status": reservation.status, "hold_status": exc.hold_status},
        ) from exc
    await _conclude(
        session,
        reservation,
        referral,
        "accepted",
        to_status="placed",
        action="accept",
        actor=Actor.of(principal),
        at=now,
    )
    return reservation, referral


async def decline(
    session: AsyncSession,
    trail: Trail,
    principal: Principal,
    client: CapacityClient,
    reservation_id: uuid.UUID,
    reason_code: str,
    note: str | None,
    *,
    now: datetime | None = None,
) -> tuple[Reservation, Referral]:
    """The provider says no, with a reason: the hold is released, the reservation is
    `declined`, and the referral goes back to `searching`. This facility is no longer
    proposed for it."""
    reservation, referral = await _for_provider(session, trail, principal, reservation_id)
    now = now or datetime.now(UTC)
    if reservation.status != "held":
        raise ReservationEnded(reservation)
    lifecycle.ensure_path(referral.status, ["searching"])
    try:
        await client.release(reservation.hold_id)
    except HoldEnded as exc:
        raise Conflict(
            "The place was already taken at the capacity service; it cannot be declined.",
            extra={"reservation_status": reservation.status, "hold_status": exc.hold_status},
        ) from exc
    await _conclude(
        session,
        reservation,
        referral,
        "declined",
        to_status="searching",
        action="decline",
        actor=Actor.of(principal),
        at=now,
        detail={**place_detail(reservation), "reason_code": reason_code, "note": note},
        reason_code=reason_code,
        note=note,
    )
    return reservation, referral


async def get(
    session: AsyncSession, trail: Trail, principal: Principal, reservation_id: uuid.UUID
) -> tuple[Reservation, Referral]:
    """One reservation: for the provider of its facility, and for whoever may read its
    referral."""
    access.ensure_role(
        principal,
        *access.READERS,
        doing="read reservations",
        api_key_scope=access.RESERVATIONS_SCOPE,
    )
    reservation = await repository.get(session, reservation_id)
    if reservation is None:
        raise NotFound("No such reservation.")
    trail.about(reservation.referral_id)
    if principal.has("provider") and principal.belongs_to(reservation.facility_organisation_id):
        referral = await referrals.get(session, reservation.referral_id)
        if referral is None:
            raise NotFound("No such reservation.")
        return reservation, referral
    try:
        referral = await access.visible_referral(session, principal, reservation.referral_id)
    except NotFound as exc:
        raise Hidden() from exc
    return reservation, referral


async def list_page(
    session: AsyncSession,
    trail: Trail,
    principal: Principal,
    *,
    referral_id: uuid.UUID | None,
    statuses: list[str],
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[tuple[Reservation, str]]:
    """Reservations the caller may see, newest first: a provider those at its facilities
    (`status=held` is its to-do list), a referrer its organisation's, a triagist its
    regions'."""
    access.ensure_role(
        principal,
        *access.READERS,
        doing="read reservations",
        api_key_scope=access.RESERVATIONS_SCOPE,
    )
    rows = await repository.list_page(
        session,
        access.visibility(principal),
        referral_id=referral_id,
        statuses=statuses,
        after=after,
        limit=limit,
    )
    trail.about(*(r.referral_id for r, _ in rows))
    return rows


async def expire_due(
    session: AsyncSession, client: CapacityClient, *, now: datetime | None = None, limit: int = 100
) -> int:
    """Expire held reservations whose time has passed: release the hold, mark the
    reservation `expired`, return the referral to `searching` and tell everyone
    (`reservation.expired`). Claims rows with SKIP LOCKED, so any number of replicas may run
    it at once."""
    now = now or datetime.now(UTC)
    due = await repository.claim_expired(session, now, limit)
    for reservation, referral in due:
        try:
            await client.release(reservation.hold_id)
        except CapacityUnavailable:
            # The hold ends by itself shortly after (its time-to-live has a small margin).
            log.warning("capacity unreachable while expiring; its hold expires by itself")
        except HoldEnded:
            await _repair_committed(session, reservation, referral, now)
            continue
        await _conclude(
            session,
            reservation,
            referral,
            "expired",
            to_status="searching",
            action="expire",
            actor=SYSTEM,
            at=now,
        )
        await audit.record(
            session,
            SYSTEM_PRINCIPAL,
            action="expire",
            object_type="referral",
            object_id=referral.id,
        )
    return len(due)


async def _repair_committed(
    session: AsyncSession, reservation: Reservation, referral: Referral, now: datetime
) -> None:
    """The capacity service says the hold was committed — an accept whose answer was lost
    after capacity took it. The patient has the place: record it as accepted."""
    log.error("expiring a reservation whose hold was committed; recording it as accepted")
    await _conclude(
        session,
        reservation,
        referral,
        "accepted",
        to_status="placed",
        action="accept",
        actor=SYSTEM,
        at=now,
        detail={"reservation_id": str(reservation.id), "repaired": True},
    )
    await audit.record(
        session, SYSTEM_PRINCIPAL, action="accept", object_type="referral", object_id=referral.id
    )


OUTCOME_EVENTS = {
    "accepted": "reservation.accepted",
    "declined": "reservation.declined",
    "expired": "reservation.expired",
}


def place_detail(reservation: Reservation) -> dict[str, Any]:
    """What a timeline entry says of the reserved place."""
    return {
        "reservation_id": str(reservation.id),
        "facility_id": str(reservation.facility_id),
        "facility_name": reservation.facility_name,
    }


async def _conclude(
    session: AsyncSession,
    reservation: Reservation,
    referral: Referral,
    outcome: str,
    *,
    to_status: str,
    action: str,
    actor: Actor,
    at: datetime,
    detail: dict[str, Any] | None = None,
    reason_code: str | None = None,
    note: str | None = None,
) -> None:
    """End the reservation with `outcome`, move its referral to `to_status` where it still
    may go there, and publish the outcome's event — all in the caller's transaction."""
    finish(reservation, outcome, actor=actor, at=at, reason_code=reason_code, note=note)
    from_status = referral.status
    if lifecycle.may_become(referral.status, to_status):
        await lifecycle.transition(
            session,
            referral,
            to_status,
            actor=actor,
            action=action,
            detail=place_detail(reservation) if detail is None else detail,
            reservation=reservation,
            at=at,
        )
    await events.publish_reservation(
        session, OUTCOME_EVENTS[outcome], referral, reservation, from_status
    )
