"""Triage's answers about referrals: a referral with its live reservation, its timeline,
the queue of a region, and the triagists a case may be given to."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from shared.schemas import Latitude, Longitude

Urgency = Literal["acute", "urgent", "soon", "planned"]
Sex = Literal["female", "male", "other", "unknown"]
Status = Literal[
    "submitted",
    "in_triage",
    "searching",
    "reserved",
    "placed",
    "handed_over",
    "advised",
    "cancelled",
]


class Point(BaseModel):
    """A place on the map; also what a referral asks to search from."""

    model_config = ConfigDict(extra="forbid")

    lat: Latitude
    lon: Longitude


class Person(BaseModel):
    id: str
    name: str


class PatientOut(BaseModel):
    birth_year: int
    sex: str
    postcode: str


class PlaceContact(BaseModel):
    """How to reach a reserved location: its address and admissions phone (E.164) with a
    note, as they were when the place was reserved."""

    street: str | None = None
    house_number: str | None = None
    postcode: str | None = None
    city: str | None = None
    phone: str | None = None
    contact_note: str | None = None


class ReservingOrganisation(BaseModel):
    """Who reserved a place — the triagist's RAP or the GP's practice — and its phone
    (E.164), for the provider to call back."""

    id: uuid.UUID
    name: str
    phone: str | None = None


class ReservationSummary(BaseModel):
    id: uuid.UUID
    facility_id: uuid.UUID
    facility_name: str
    status: str
    expires_at: datetime
    direct_booking: bool = Field(
        description="Booked by the referrer itself: the referrer may release it."
    )
    facility_contact: PlaceContact | None = Field(
        description="How to reach the location: address and admissions phone."
    )
    next_steps: str | None = Field(
        description="In Dutch: whom to ring while the place is held; once accepted, where "
        "the patient goes and how to arrange it."
    )


class ReferralOut(BaseModel):
    id: uuid.UUID
    status: Status
    place_type: str
    urgency: Urgency
    patient: PatientOut
    needs: list[str]
    region_code: str
    near: Point | None
    preferred_facility_ids: list[uuid.UUID]
    planned_date: date | None
    notes: str | None
    reference: str | None = Field(description="The practice's own case number.")
    organisation_id: uuid.UUID
    created_by: Person
    assignee: Person | None
    advice: str | None
    closed_reason: str | None = Field(
        description="The reason code it closed with: a cancel's `reason_code` or an "
        "advice's `advice_reason`."
    )
    direct_booking: bool = Field(description="Whether the referrer may book this place type.")
    escalated_at: datetime | None
    created_at: datetime
    due_at: datetime
    updated_at: datetime
    placed_at: datetime | None
    closed_at: datetime | None
    reservation: ReservationSummary | None = Field(
        description="The reservation that holds or has taken a place, if any."
    )
    declines: int = Field(description="Reservations declined so far.")


# A moment in a timeline step, written as Python writes it (`2026-03-01T09:30:00+00:00`), as
# it always was.
StepTime = Annotated[
    datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json")
]


class TimelineDetail(BaseModel):
    """What a timeline step was about. Each kind of step says only what it has to say, and
    only what it said is written and answered (a field left out is absent, not null; one
    given as null — `assignee` when a case goes back to the queue — is null)."""

    model_config = ConfigDict(extra="forbid")

    reservation_id: uuid.UUID | None = None
    facility_id: uuid.UUID | None = None
    facility_name: str | None = None
    expires_at: StepTime | None = Field(default=None, description="Until when a place is held.")
    reason_code: str | None = Field(default=None, description="A decline or cancel reason.")
    note: str | None = Field(default=None, description="A provider's note with a decline.")
    reason: str | None = Field(default=None, description="Why, in the actor's words.")
    advice: str | None = None
    advice_reason: str | None = None
    assignee: Person | None = Field(default=None, description="Who has the case now.")
    previous: Person | None = Field(default=None, description="Who had the case before.")
    scope: str | None = Field(default=None, description="How far the search was widened.")
    roaz: list[str] | None = Field(default=None, description="The ROAZ regions searched.")
    repaired: bool | None = Field(
        default=None, description="A reservation whose end was found half-done and finished."
    )

    @model_serializer(mode="wrap")
    def _as_said(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if k in self.model_fields_set}


class TimelineEntry(BaseModel):
    at: datetime
    actor: str = Field(
        description="Who acted (display name); to another organisation than the actor's, "
        "outside the RAP, only the part they played: RAP, Zorgaanbieder or Verwijzer."
    )
    actor_id: str | None = Field(description="Who acted; null where the name is not shown.")
    actor_role: str = Field(description="triagist, provider, referrer, or system (Zorgplek).")
    action: str
    from_status: str | None
    to_status: str | None
    detail: TimelineDetail = Field(
        description="What the step was about. Free text (`note`, `reason`) and people "
        "(`assignee`, `previous`) only for the actor's organisation and the RAP."
    )


class Timeline(BaseModel):
    items: list[TimelineEntry]


class QueueItem(ReferralOut):
    waiting_seconds: int = Field(description="Since submission.")
    time_left_seconds: int = Field(description="Until `due_at`; negative once it has passed.")
    overdue: bool = Field(description="Whether `due_at` has passed.")
    claimable: bool = Field(description="No triagist has it: take it with `claim`.")


class Colleague(BaseModel):
    id: str
    name: str


class Colleagues(BaseModel):
    items: list[Colleague]
