"""The outbox events of reservations: `reservation.held|accepted|declined|expired|released`, with
the same thin data and audience as the referral's own events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.referrals.events import SOURCE, audience, reservation_data
from services.triage.referrals.models import Referral, Reservation
from shared.contracts.events import MembersAudience, ReservationData
from shared.outbox import EventType, publish


async def publish_reservation(
    session: AsyncSession,
    event_type: EventType[ReservationData, MembersAudience],
    referral: Referral,
    reservation: Reservation,
    from_status: str | None,
) -> None:
    """`reservation.held|accepted|declined|expired|released`, in the caller's transaction."""
    data = reservation_data(referral, from_status, reservation)
    await publish(session, event_type.event(SOURCE, data, audience(referral, reservation)))
