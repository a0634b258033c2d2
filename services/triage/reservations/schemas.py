import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.triage.referrals.models import Reservation
from services.triage.referrals.schemas import (
    FreeText,
    Person,
    ReservingOrganisation,
    place_contact,
)
from shared.contracts.reservations import ReasonCode as ReasonCode
from shared.contracts.reservations import ReservationOut as ReservationOut
from shared.contracts.reservations import ReservationStatus as ReservationStatus


class ReservationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    facility_id: uuid.UUID
    hold_minutes: int | None = Field(
        default=None,
        ge=1,
        le=24 * 60,
        description="How long the place is held for the provider's answer; default 30, at "
        "most ZORGPLEK_HOLD_MAX_MINUTES (240).",
    )


class DeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason_code: ReasonCode
    note: Annotated[FreeText, StringConstraints(max_length=500)] | None = None


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[FreeText, StringConstraints(max_length=500)] | None = Field(
        default=None, description="Why, for the timeline; optional."
    )


def reservation_out(reservation: Reservation, referral_status: str) -> ReservationOut:
    return ReservationOut(
        id=reservation.id,
        referral_id=reservation.referral_id,
        referral_status=referral_status,
        facility_id=reservation.facility_id,
        facility_name=reservation.facility_name,
        facility_organisation_id=reservation.facility_organisation_id,
        place_type=reservation.place_type,
        status=reservation.status,
        created_at=reservation.created_at,
        created_by=Person(id=reservation.created_by, name=reservation.created_by_name),
        direct_booking=reservation.direct_booking,
        expires_at=reservation.expires_at,
        decided_at=reservation.decided_at,
        reason_code=reservation.reason_code,
        note=reservation.note,
        facility_contact=place_contact(reservation),
        reserved_by=ReservingOrganisation.model_validate(reservation.reserved_by)
        if reservation.reserved_by is not None
        else None,
    )
