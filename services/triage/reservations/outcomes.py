"""How a held reservation ends — accepted, declined, expired or released — in the caller's
transaction: the reservation, its referral's status and timeline, and the outcome's event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.referrals import lifecycle
from services.triage.referrals.lifecycle import Actor
from services.triage.referrals.models import Referral, Reservation
from services.triage.referrals.reservation_states import finish
from services.triage.reservations import events
from shared.contracts.events import (
    RESERVATION_ACCEPTED,
    RESERVATION_DECLINED,
    RESERVATION_EXPIRED,
    RESERVATION_RELEASED,
)
from shared.contracts.referrals import TimelineDetail

OUTCOME_EVENTS = {
    "accepted": RESERVATION_ACCEPTED,
    "declined": RESERVATION_DECLINED,
    "expired": RESERVATION_EXPIRED,
    "released": RESERVATION_RELEASED,
}


def place_detail(reservation: Reservation) -> TimelineDetail:
    """What a timeline entry says of the reserved place."""
    return TimelineDetail(
        reservation_id=reservation.id,
        facility_id=reservation.facility_id,
        facility_name=reservation.facility_name,
    )


async def conclude(
    session: AsyncSession,
    reservation: Reservation,
    referral: Referral,
    outcome: str,
    *,
    to_status: str,
    action: str,
    actor: Actor,
    at: datetime,
    detail: TimelineDetail | None = None,
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
