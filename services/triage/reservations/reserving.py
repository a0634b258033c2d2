"""Reserving a place: one use case, `reserve`, in two phases.

Network calls to the capacity service never happen while this process keeps a database
connection it is not using: a reservation first holds the place (the hold is idempotent on
the reservation id), then records it in the request's transaction. A crash in between
leaves only a hold that expires by itself. A repeated Idempotency-Key is answered from the
first answer before anything is held again, and a retry that comes while the first request
is still running finds the same hold (the reservation id is stable per key and body)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage import metrics
from services.triage.capacity_client import (
    CapacityClient,
    CapacityUnavailable,
    HoldEnded,
    UnknownFacility,
)
from services.triage.context import Context
from services.triage.matching.service import ensure_may_search
from services.triage.referrals import access, lifecycle
from services.triage.referrals import repository as referrals
from services.triage.referrals.lifecycle import Actor, IllegalTransition
from services.triage.referrals.models import Referral, Reservation
from services.triage.referrals.schemas import PlaceContact, ReservingOrganisation
from services.triage.reservations import repository
from services.triage.reservations.events import publish_reservation
from services.triage.reservations.schemas import ReservationIn, reservation_out
from shared import reference
from shared.auth import Principal, ensure_role
from shared.care_rules import Screen
from shared.contracts.capacity import FacilityOut, HoldOut, OrganisationOut
from shared.contracts.events import RESERVATION_HELD
from shared.contracts.referrals import TimelineDetail
from shared.errors import Conflict, DomainError, Invalid, NotFound
from shared.idempotency import IdempotentCall

log = logging.getLogger("zorgplek.triage.reservations")

# The hold outlives the reservation a little, so that the expiry loop — not the capacity
# sweeper — ends it; if triage is down, the hold still ends by itself shortly after.
HOLD_GRACE_SECONDS = 120
KEY_NAMESPACE = uuid.UUID("6f0d3f55-3b4e-4a8e-9a63-2d1f1f8c9b27")


@dataclass(frozen=True, slots=True)
class HeldPlace:
    """A place held at the capacity service, not yet recorded as a reservation."""

    reservation_id: uuid.UUID
    referral_id: uuid.UUID
    hold: HoldOut
    facility: FacilityOut
    place_type: str
    expires_at: datetime
    path: list[str]  # the referral's steps to `reserved`
    reserved_by: OrganisationOut | None = None  # the caller's organisation


async def reserve(
    ctx: Context,
    principal: Principal,
    call: IdempotentCall,
    referral_id: uuid.UUID,
    data: ReservationIn,
) -> JSONResponse:
    """Hold a place for the referral and record the reservation: 201 with the reservation,
    or the first answer again for a repeated Idempotency-Key."""
    if (earlier := await call.earlier_answer(ctx.sessions)) is not None:
        return earlier
    held = await hold_place(ctx, principal, referral_id, data, call.stable_id(KEY_NAMESPACE))
    if (replay := await call.replay()) is not None:
        return replay
    reservation, referral = await record(ctx.session, principal, ctx.capacity, held)
    return await call.respond(201, reservation_out(reservation, referral.status))


def path_to_reserved(status: str) -> list[str]:
    """The steps from `status` to `reserved`; from in_triage the timeline records
    `searching` first."""
    if status == "in_triage":
        return ["searching", "reserved"]
    if status in ("submitted", "searching"):
        return ["reserved"]
    raise IllegalTransition(status, "reserved")


def books_directly(principal: Principal, referral: Referral) -> bool:
    """The referrer books a direct-bookable place itself (and may release it itself)."""
    return (
        access.owns(principal, referral)
        and reference.place_types()[referral.place_type].direct_booking
    )


def ensure_may_reserve(principal: Principal, referral: Referral) -> list[str]:
    """The referrer books a direct-bookable place itself; otherwise the triagist who
    claimed the referral reserves. Returns the steps to `reserved`."""
    ensure_may_search(principal, referral, "reserve places")
    path = path_to_reserved(referral.status)
    if not books_directly(principal, referral):
        access.ensure_assignee(principal, referral, "reserve a place")
    return path


async def hold_place(
    ctx: Context,
    principal: Principal,
    referral_id: uuid.UUID,
    data: ReservationIn,
    reservation_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> HeldPlace:
    """Check that the caller may reserve for this referral, then hold one place at the
    capacity service; 409 when none is free there, 503 when it cannot be reached."""
    ensure_role(principal, "triagist", "referrer", doing="reserve places")
    minutes = data.hold_minutes or ctx.settings.reservation_ttl_minutes
    if minutes > ctx.settings.hold_max_minutes:
        raise Invalid(
            f"A place may be held for at most {ctx.settings.hold_max_minutes} minutes.",
            loc=["body", "hold_minutes"],
        )
    async with ctx.sessions() as read:
        referral = await access.visible_referral(read, principal, referral_id)
        path = ensure_may_reserve(principal, referral)
    client = ctx.capacity
    facility = await client.facility(data.facility_id)
    if facility is None:
        raise Invalid("No facility has this id.", loc=["body", "facility_id"])
    ensure_eligible(referral, facility, ctx.now)
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
    # Only the winners of a race need to know who they are, for the provider to call back.
    try:
        reserved_by = await client.organisation(principal.org) if principal.org else None
    except CapacityUnavailable:
        await release_quietly(client, hold.id)
        raise
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
        reserved_by=reserved_by,
    )


def ensure_eligible(referral: Referral, facility: FacilityOut, now: datetime) -> None:
    """409 when the care rules refuse this location for the referral's patient, with a
    `detail` in Dutch that says why — from when it admits, whom it admits."""
    verdict = Screen(now=now, sex=referral.patient_sex, due_at=referral.due_at).assess(
        facility.admission_hours, facility.features
    )
    if not verdict.eligible:
        metrics.reservations.labels("refused").inc()
        raise Conflict(
            verdict.detail,
            extra={
                "referral_status": referral.status,
                "facility_id": str(facility.id),
                "rules": [finding.rule for finding in verdict.refusals],
                "admits_from": verdict.admits_from.isoformat() if verdict.admits_from else None,
            },
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
            facility_id=facility.id,
            facility_name=facility.name,
            facility_organisation_id=facility.organisation_id,
            facility_region_code=facility.region_code,
            own_region=facility.region_code in reference.covered_regions(referral.region_code),
            place_type=held.place_type,
            status="held",
            created_by=principal.sub,
            created_by_name=principal.name,
            direct_booking=books_directly(principal, referral),
            created_at=now,
            expires_at=held.expires_at,
            facility_contact=PlaceContact(
                street=facility.street,
                house_number=facility.house_number,
                postcode=facility.postcode,
                city=facility.city,
                phone=facility.phone,
                contact_note=facility.contact_note,
            ).model_dump(),
            reserved_by=ReservingOrganisation(
                id=held.reserved_by.id, name=held.reserved_by.name, phone=held.reserved_by.phone
            ).model_dump(mode="json")
            if held.reserved_by is not None
            else None,
        ),
    )
    actor = Actor.of(principal)
    detail = TimelineDetail(
        reservation_id=reservation.id,
        facility_id=reservation.facility_id,
        facility_name=reservation.facility_name,
        expires_at=reservation.expires_at,
    )
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
    await publish_reservation(session, RESERVATION_HELD, referral, reservation, from_status)
    metrics.reservations.labels("held").inc()
    return reservation, referral
