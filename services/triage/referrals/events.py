"""The outbox events of referrals and reservations, with thin data — ids, statuses, place
type, urgency, region — never anything about the patient.

`audience` says who may see an event: members of the referrer's organisation, members of
the provider organisation while it holds (or just held) a reservation for the referral, and
triagists whose regions cover the referral's region."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.referrals.models import Referral, Reservation
from shared.contracts.events import (
    REFERRAL_CREATED,
    REFERRAL_STATUS_CHANGED,
    MembersAudience,
    ReferralData,
    ReservationData,
)
from shared.outbox import publish

SOURCE = "triage"


def audience(referral: Referral, reservation: Reservation | None = None) -> MembersAudience:
    """Who may see an event about `referral` (and `reservation`)."""
    organisation_ids: list[uuid.UUID] = [referral.organisation_id]
    if reservation is not None and reservation.facility_organisation_id not in organisation_ids:
        organisation_ids.append(reservation.facility_organisation_id)
    return MembersAudience(organisation_ids=organisation_ids, regions=[referral.region_code])


def referral_data(referral: Referral, from_status: str | None) -> ReferralData:
    """The thin data of a referral's event: ids, statuses, place type, urgency and region."""
    return ReferralData(
        referral_id=referral.id,
        status=referral.status,
        from_status=from_status,
        place_type=referral.place_type,
        urgency=referral.urgency,
        region_code=referral.region_code,
    )


def reservation_data(
    referral: Referral, from_status: str | None, reservation: Reservation
) -> ReservationData:
    """The referral's thin data with its reservation's: which place, its status and why."""
    return ReservationData(
        referral_id=referral.id,
        status=referral.status,
        from_status=from_status,
        place_type=referral.place_type,
        urgency=referral.urgency,
        region_code=referral.region_code,
        reservation_id=reservation.id,
        reservation_status=reservation.status,
        facility_id=reservation.facility_id,
        facility_name=reservation.facility_name,
        expires_at=reservation.expires_at,
        reason_code=reservation.reason_code,
    )


async def publish_created(session: AsyncSession, referral: Referral) -> None:
    """`referral.created`, in the caller's transaction."""
    event = REFERRAL_CREATED.event(SOURCE, referral_data(referral, None), audience(referral))
    await publish(session, event)


async def publish_status_changed(
    session: AsyncSession,
    referral: Referral,
    from_status: str,
    reservation: Reservation | None = None,
) -> None:
    """`referral.status_changed`, with the reservation's part while it has one, in the
    caller's transaction."""
    data = (
        referral_data(referral, from_status)
        if reservation is None
        else reservation_data(referral, from_status, reservation)
    )
    event = REFERRAL_STATUS_CHANGED.event(SOURCE, data, audience(referral, reservation))
    await publish(session, event)
