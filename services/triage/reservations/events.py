"""The outbox events of reservations: `reservation.held|accepted|declined|expired|released`, with
the same thin data and audience as the referral's own events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.referrals.events import SOURCE, audience, data
from services.triage.referrals.models import Referral, Reservation
from shared.outbox import Event, publish


async def publish_reservation(
    session: AsyncSession,
    event_type: str,
    referral: Referral,
    reservation: Reservation,
    from_status: str | None,
) -> None:
    """`reservation.held|accepted|declined|expired|released`, in the caller's transaction."""
    await publish(
        session,
        Event(
            type=event_type,
            source=SOURCE,
            data=data(referral, from_status, reservation),
            audience=audience(referral, reservation),
        ),
    )
