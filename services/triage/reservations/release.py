"""Releasing a held reservation to try another place: the one who booked it — the
referral's triagist, or the referrer for its own direct booking — gives the place back.
The hold is released, the reservation `released`, the referral back to `searching`; unlike
a decline, the place may be proposed and reserved again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.audit.service import Trail
from services.triage.capacity_client import CapacityClient, HoldEnded
from services.triage.referrals import access, lifecycle
from services.triage.referrals.lifecycle import Actor
from services.triage.referrals.models import Referral, Reservation
from services.triage.referrals.reservation_states import ReservationEnded
from services.triage.reservations import repository
from services.triage.reservations.outcomes import conclude, place_detail
from shared.auth import Principal, ensure_role
from shared.contracts.capacity import HoldEnding
from shared.errors import Conflict, Forbidden, NotFound


def ensure_may_release(principal: Principal, referral: Referral, reservation: Reservation) -> None:
    """The referral's triagist (once claimed) releases any of its reservations; its
    referrer only one it booked directly. Anyone else who sees the referral: 403."""
    if access.covers(principal, referral):
        access.ensure_assignee(principal, referral, "release its reservation")
        return
    if access.owns(principal, referral) and reservation.direct_booking:
        return
    raise Forbidden(
        "Only the referral's triagist releases this reservation; a referrer releases only a "
        "place it booked itself."
    )


async def release(
    session: AsyncSession,
    trail: Trail,
    principal: Principal,
    client: CapacityClient,
    reservation_id: uuid.UUID,
    reason: str | None,
    *,
    now: datetime | None = None,
) -> tuple[Reservation, Referral]:
    """Give the held place back: reservation `released`, hold released, referral back to
    `searching`, `reservation.released` published and the step in the timeline."""
    ensure_role(principal, "triagist", "referrer", doing="release reservations")
    found = await repository.get(session, reservation_id)
    if found is None:
        raise NotFound("No such reservation.")
    trail.about(found.referral_id)
    referral = await access.visible_referral(session, principal, found.referral_id, lock=True)
    reservation = await repository.get(session, reservation_id, lock=True)
    if reservation is None:
        raise NotFound("No such reservation.")
    ensure_may_release(principal, referral, reservation)
    if reservation.status != "held":
        raise ReservationEnded(reservation)
    lifecycle.ensure_path(referral.status, ["searching"])
    try:
        await client.release(reservation.hold_id, HoldEnding(outcome="released"))
    except HoldEnded as exc:
        raise Conflict(
            "The place was already taken at the capacity service; it cannot be released.",
            extra={"reservation_status": reservation.status, "hold_status": exc.hold_status},
        ) from exc
    detail = place_detail(reservation)
    if reason:
        detail = detail.model_copy(update={"reason": reason})
    await conclude(
        session,
        reservation,
        referral,
        "released",
        to_status="searching",
        action="release",
        actor=Actor.of(principal),
        at=now or datetime.now(UTC),
        detail=detail,
        note=reason,
    )
    return reservation, referral
