"""Holds: a place kept aside for a referral. Every hold has a time-to-live, so a crash
anywhere between triage and capacity heals itself. Only the triage service holds, commits
and releases places; each of those is written to the audit log under the referral."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.capacity import metrics
from services.capacity.capacity.events import free_of, publish_change
from services.capacity.capacity.models import CapacityState
from services.capacity.facilities import service as facilities
from services.capacity.holds import repository
from services.capacity.holds.models import Hold
from services.capacity.holds.schemas import HoldIn
from shared import audit
from shared.auth import Principal
from shared.contracts.capacity import HoldEnding
from shared.errors import Conflict, Invalid, NotFound
from shared.settings import Settings

# A caller lets its hold outlive its own deadline a little, so that it ends the hold itself.
GRACE_SECONDS = 300


def max_ttl_seconds(settings: Settings) -> int:
    """The longest a place may be held: the configured maximum and a short grace."""
    return settings.hold_max_minutes * 60 + GRACE_SECONDS


async def _audit(
    session: AsyncSession, principal: Principal, action: str, hold: Hold, address: str | None
) -> None:
    await audit.record(
        session,
        principal,
        action=action,
        object_type="referral",
        object_id=hold.referral_id,
        source_address=address,
    )


async def create(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    data: HoldIn,
    address: str | None = None,
) -> Hold:
    """Hold one free place; 409 when none is free, 422 for a time-to-live beyond the cap."""
    if data.ttl_seconds > max_ttl_seconds(settings):
        raise Invalid(
            f"A place may be held for at most {max_ttl_seconds(settings)} seconds.",
            loc=["body", "ttl_seconds"],
        )
    facility = await facilities.get(session, data.facility_id)
    state = await repository.take_place(session, data.facility_id, data.place_type)
    if state is None:
        metrics.holds.labels("conflict").inc()
        raise Conflict(
            f"No free {data.place_type} place at {facility.name}.",
            extra={"facility_id": str(facility.id), "place_type": data.place_type},
        )
    hold = await repository.add(
        session,
        Hold(
            facility_id=data.facility_id,
            place_type=data.place_type,
            referral_id=data.referral_id,
            status="active",
            created_by=principal.sub,
            expires_at=datetime.now(UTC) + timedelta(seconds=data.ttl_seconds),
        ),
    )
    await publish_change(session, facility, state, free_of(state) + 1)
    await _audit(session, principal, "hold", hold, address)
    metrics.holds.labels("created").inc()
    return hold


async def _active(session: AsyncSession, hold_id: uuid.UUID, now: datetime) -> Hold:
    hold = await repository.lock(session, hold_id)
    if hold is None:
        raise NotFound("No such hold.")
    if hold.status == "active" and hold.expires_at <= now:
        await _end(session, hold, "expired", now)
    if hold.status != "active":
        raise Conflict(f"The hold is {hold.status}.", extra={"hold_status": hold.status})
    return hold


async def commit(
    session: AsyncSession, principal: Principal, hold_id: uuid.UUID, address: str | None = None
) -> Hold:
    """The held place becomes occupied; 409 when the hold expired or was released."""
    now = datetime.now(UTC)
    hold = await _active(session, hold_id, now)
    state = await repository.occupy_place(session, hold.facility_id, hold.place_type)
    hold.status, hold.ended_at = "committed", now
    if state is not None:
        facility = await facilities.get(session, hold.facility_id)
        await publish_change(session, facility, state, free_of(state))
    await _audit(session, principal, "commit_hold", hold, address)
    metrics.holds.labels("committed").inc()
    return hold


async def release(
    session: AsyncSession,
    principal: Principal,
    hold_id: uuid.UUID,
    address: str | None = None,
    ending: HoldEnding | None = None,
) -> Hold:
    """Give the place back, keeping why (`ending`) for the location's track record.
    Releasing a hold that already ended changes nothing but a missing `ending` (the hold
    expired here a moment before the provider's answer arrived); a committed hold cannot be
    released (409)."""
    now = datetime.now(UTC)
    hold = await repository.lock(session, hold_id)
    if hold is None:
        raise NotFound("No such hold.")
    if hold.status == "committed":
        raise Conflict(
            "The hold was committed: the patient was admitted.", extra={"hold_status": hold.status}
        )
    if ending is not None and hold.ending is None:
        hold.ending, hold.reason_code = ending.outcome, ending.reason_code
    if hold.status == "active":
        await _end(session, hold, "expired" if hold.expires_at <= now else "released", now)
        await _audit(session, principal, "release_hold", hold, address)
    return hold


async def _end(session: AsyncSession, hold: Hold, status: str, now: datetime) -> None:
    state: CapacityState | None = await repository.return_place(
        session, hold.facility_id, hold.place_type
    )
    hold.status, hold.ended_at = status, now
    await session.flush()
    if state is not None:
        facility = await facilities.get(session, hold.facility_id)
        free_before = max(state.available - state.held - 1, 0)
        await publish_change(session, facility, state, free_before)
    metrics.holds.labels(status).inc()


async def expire_due(session: AsyncSession, now: datetime | None = None, limit: int = 200) -> int:
    """Expire holds past their time; safe with any number of sweepers at once."""
    now = now or datetime.now(UTC)
    due = await repository.claim_expired(session, now, limit)
    for hold in due:
        await _end(session, hold, "expired", now)
    return len(due)
