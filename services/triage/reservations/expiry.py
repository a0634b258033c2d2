"""The expiry sweeper: held reservations whose time has passed are released and their
referrals return to `searching`. Any number of replicas may run it at once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.capacity_client import CapacityClient, CapacityUnavailable, HoldEnded
from services.triage.referrals.lifecycle import SYSTEM
from services.triage.referrals.models import Referral, Reservation
from services.triage.reservations import repository
from services.triage.reservations.outcomes import conclude
from shared import audit
from shared.auth import Principal
from shared.contracts.capacity import HoldEnding
from shared.contracts.referrals import TimelineDetail

log = logging.getLogger("zorgplek.triage.reservations")

SYSTEM_PRINCIPAL = Principal(
    sub=SYSTEM.sub, name=SYSTEM.name, org=None, roles=frozenset({"service"})
)


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
            await client.release(reservation.hold_id, HoldEnding(outcome="expired"))
        except CapacityUnavailable:
            # The hold ends by itself shortly after (its time-to-live has a small margin).
            log.warning("capacity unreachable while expiring; its hold expires by itself")
        except HoldEnded:
            await _repair_committed(session, reservation, referral, now)
            continue
        await conclude(
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
    await conclude(
        session,
        reservation,
        referral,
        "accepted",
        to_status="placed",
        action="accept",
        actor=SYSTEM,
        at=now,
        detail=TimelineDetail(reservation_id=reservation.id, repaired=True),
    )
    await audit.record(
        session, SYSTEM_PRINCIPAL, action="accept", object_type="referral", object_id=referral.id
    )
