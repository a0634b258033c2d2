"""Triage's answer about a reservation: a place held for a referral, and how the provider
answered."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from shared.contracts.capacity import DeclineReason
from shared.contracts.referrals import Person, PlaceContact, ReservingOrganisation, Status

ReasonCode = DeclineReason
ReservationStatus = Literal["held", "accepted", "declined", "expired", "released", "cancelled"]


class ReservationOut(BaseModel):
    id: uuid.UUID
    referral_id: uuid.UUID
    referral_status: Status
    facility_id: uuid.UUID
    facility_name: str
    facility_organisation_id: uuid.UUID
    place_type: str
    status: ReservationStatus
    created_at: datetime
    created_by: Person
    direct_booking: bool = Field(description="Booked by the referrer itself, not a triagist.")
    expires_at: datetime
    decided_at: datetime | None
    reason_code: ReasonCode | None
    note: str | None
    facility_contact: PlaceContact | None = Field(
        description="How to reach the location: address and admissions phone."
    )
    reserved_by: ReservingOrganisation | None = Field(
        description="The organisation that reserved the place, with its phone: whom the "
        "provider calls back."
    )
