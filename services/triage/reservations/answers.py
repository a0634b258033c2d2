"""The provider's answers to a held reservation: accept (the hold is committed, the
referral placed) or decline with a reason (released, back to searching). An answer locks
the reservation while it calls capacity, so an answer and the expiry loop never both act
on one reservation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.audit.service import Hidden, Trail
from services.triage.capacity_client import CapacityClient, HoldEnded
from services.triage.referrals import access, lifecycle
from services.triage.referrals import repository as referrals
from services.triage.referrals.lifecycle import Actor
from services.triage.referrals.models import Referral, Reservation
from services.triage.referrals.reservation_states import ReservationEnded
from services.triage.reservations import repository
from services.triage.reservations.outcomes import conclude, place_detail
from shared.auth import Principal, ensure_role
from shared.contracts.capacity import DeclineReason, HoldEnding
from shared.errors import Conflict, NotFound


async def _for_provider(
    session: AsyncSession, trail: Trail, principal: Principal, reservation_id: uuid.UUID
) -> tuple[Reservation, Referral]:
    """The reservation at one of the caller's facilities, with its referral, both locked
    (referral first, as everywhere)."""
    ensure_role(
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
    await conclude(
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
    reason_code: DeclineReason,
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
        await client.release(
            reservation.hold_id, HoldEnding(outcome="declined", reason_code=reason_code)
        )
    except HoldEnded as exc:
        raise Conflict(
            "The place was already taken at the capacity service; it cannot be declined.",
            extra={"reservation_status": reservation.status, "hold_status": exc.hold_status},
        ) from exc
    await conclude(
        session,
        reservation,
        referral,
        "declined",
        to_status="searching",
        action="decline",
        actor=Actor.of(principal),
        at=now,
        detail=place_detail(reservation).model_copy(
            update={"reason_code": reason_code, "note": note}
        ),
        reason_code=reason_code,
        note=note,
    )
    return reservation, referral
