"""The outbox events of referrals and reservations, with thin data — ids, statuses, place
type, urgency, region — never anything about the patient.

`audience` says who may see an event: members of the referrer's organisation, members of
the provider organisation while it holds (or just held) a reservation for the referral, and
triagists whose regions cover the referral's region."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.referrals.models import Referral, Reservation
from shared.outbox import Event, publish

SOURCE = "triage"


def audience(referral: Referral, reservation: Reservation | None = None) -> dict[str, Any]:
    """Who may see an event about `referral` (and `reservation`)."""
    organisation_ids = [str(referral.organisation_id)]
    if reservation is not None:
        provider = str(reservation.facility_organisation_id)
        if provider not in organisation_ids:
            organisation_ids.append(provider)
    return {"organisation_ids": organisation_ids, "regions": [referral.region_code]}


def data(
    referral: Referral, from_status: str | None, reservation: Reservation | None = None
) -> dict[str, Any]:
    """The thin data of an event: ids, statuses, place type, urgency and region."""
    body: dict[str, Any] = {
        "referral_id": str(referral.id),
        "status": referral.status,
        "from_status": from_status,
        "place_type": referral.place_type,
        "urgency": referral.urgency,
        "region_code": referral.region_code,
    }
    if reservation is not None:
        body.update(
            reservation_id=str(reservation.id),
            reservation_status=reservation.status,
            facility_id=str(reservation.facility_id),
            facility_name=reservation.facility_name,
            expires_at=reservation.expires_at.isoformat(),
            reason_code=reservation.reason_code,
        )
    return body


async def publish_referral(
    session: AsyncSession,
    event_type: str,
    referral: Referral,
    from_status: str | None,
    reservation: Reservation | None = None,
) -> None:
    """`referral.created` or `referral.status_changed`, in the caller's transaction."""
    await publish(
        session,
        Event(
            type=event_type,
            source=SOURCE,
            data=data(referral, from_status, reservation),
            audience=audience(referral, reservation),
        ),
    )
