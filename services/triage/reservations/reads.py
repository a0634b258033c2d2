"""Reading reservations, under the one visibility rule (`referrals.visibility`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.audit.service import Hidden, Trail
from services.triage.referrals import access
from services.triage.referrals import repository as referrals
from services.triage.referrals.models import Referral, Reservation
from services.triage.reservations import repository
from shared.auth import Principal, ensure_role
from shared.errors import NotFound


def _ensure_reader(principal: Principal) -> None:
    ensure_role(
        principal,
        *access.READERS,
        doing="read reservations",
        api_key_scope=access.RESERVATIONS_SCOPE,
    )


async def get(
    session: AsyncSession, trail: Trail, principal: Principal, reservation_id: uuid.UUID
) -> tuple[Reservation, Referral]:
    """One reservation: for the provider of its facility, and for whoever sees its referral
    as referrer or triagist."""
    _ensure_reader(principal)
    reservation = await repository.get(session, reservation_id)
    if reservation is None:
        raise NotFound("No such reservation.")
    trail.about(reservation.referral_id)
    if not await repository.is_visible(session, reservation_id, access.visibility(principal)):
        raise Hidden()
    referral = await referrals.get(session, reservation.referral_id)
    if referral is None:
        raise NotFound("No such reservation.")
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
    _ensure_reader(principal)
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
