import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from services.triage.referrals.bsn import refuse_bsn
from services.triage.referrals.models import Referral, Reservation
from shared import phone, reference
from shared.contracts.referrals import PatientOut as PatientOut
from shared.contracts.referrals import Person as Person
from shared.contracts.referrals import PlaceContact as PlaceContact
from shared.contracts.referrals import Point as Point
from shared.contracts.referrals import ReferralOut as ReferralOut
from shared.contracts.referrals import ReservationSummary as ReservationSummary
from shared.contracts.referrals import ReservingOrganisation as ReservingOrganisation
from shared.contracts.referrals import Sex as Sex
from shared.contracts.referrals import Status as Status
from shared.contracts.referrals import Timeline as Timeline
from shared.contracts.referrals import TimelineEntry as TimelineEntry
from shared.contracts.referrals import Urgency as Urgency
from shared.schemas import Line, Text


def check_place_type(code: str) -> str:
    if code not in reference.place_types():
        raise ValueError(
            f"unknown place type {code!r}; known: {', '.join(reference.place_types())}"
        )
    return code


def check_region(code: str) -> str:
    if code not in reference.regions():
        raise ValueError(f"unknown region code {code!r}; see GET /api/v1/regions")
    return code


def check_needs(codes: list[str]) -> list[str]:
    unknown = [c for c in codes if c not in reference.features()]
    if unknown:
        raise ValueError(
            f"unknown feature(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(reference.features())}"
        )
    return sorted(set(codes))


def check_birth_year(year: int) -> int:
    if year > datetime.now(UTC).year:
        raise ValueError("birth_year lies in the future")
    return year


def not_blank(value: str) -> str:
    """Text without its surrounding spaces, refused when nothing is left."""
    value = value.strip()
    if not value:
        raise ValueError("may not be empty")
    return value


PlaceTypeCode = Annotated[str, AfterValidator(check_place_type)]
# The referring practice's own case number: short, and never a BSN (as `notes`).
Reference = Annotated[
    Line,
    AfterValidator(not_blank),
    StringConstraints(max_length=30),
    AfterValidator(refuse_bsn),
]
RegionCode = Annotated[str, AfterValidator(check_region)]
FreeText = Annotated[Text, AfterValidator(not_blank), AfterValidator(refuse_bsn)]


class Patient(BaseModel):
    """Only what matching needs: never a name or a BSN."""

    model_config = ConfigDict(extra="forbid")

    birth_year: Annotated[int, Field(ge=1900), AfterValidator(check_birth_year)]
    sex: Sex
    postcode: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[1-9]\d{3}$")] = (
        Field(description='Four digits, "NNNN".')
    )


class ReferralIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    place_type: PlaceTypeCode
    urgency: Urgency
    patient: Patient
    needs: Annotated[list[str], Field(max_length=20), AfterValidator(check_needs)] = Field(
        default_factory=list, description="Features the place must have, e.g. dementia."
    )
    region_code: RegionCode
    near: Point | None = Field(
        default=None, description="Where to search from; default the referrer's location."
    )
    preferred_facility_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)
    planned_date: date | None = Field(default=None, description="Required when planned.")
    notes: (
        Annotated[
            Text,
            StringConstraints(strip_whitespace=True, max_length=1000),
            AfterValidator(refuse_bsn),
        ]
        | None
    ) = Field(default=None, description="Short notes; never a name or BSN.")
    reference: Reference | None = Field(
        default=None,
        description="The practice's own case number (at most 30 characters; never a BSN).",
    )


CancelReason = Literal["no_place_found", "patient_deceased", "placed_elsewhere", "other"]
# Why advice instead of a place: `no_place` — nothing suitable was free (unmet demand).
AdviceReason = Literal["no_place", "other"]


class AdviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    advice: Annotated[FreeText, StringConstraints(max_length=2000)]
    advice_reason: AdviceReason | None = Field(
        default=None,
        description="`no_place`: nothing suitable was free, so the patient found no place "
        "(counted as unmet demand); `other`.",
    )


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[FreeText, StringConstraints(max_length=500)] = Field(
        description="Why, in a few words; required."
    )
    reason_code: CancelReason | None = None


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee: Annotated[Line, StringConstraints(min_length=1, max_length=255)] | None = Field(
        description="The `sub` of a triagist of the referral's region, or null to hand the "
        "case back to the queue."
    )


def place_contact(reservation: Reservation) -> PlaceContact | None:
    contact = reservation.facility_contact
    return PlaceContact.model_validate(contact) if contact is not None else None


def _address(contact: PlaceContact) -> str | None:
    street = " ".join(p for p in (contact.street, contact.house_number) if p)
    town = " ".join(p for p in (contact.postcode, contact.city) if p)
    return ", ".join(p for p in (street, town) if p) or None


def next_steps(reservation: Reservation) -> str | None:
    """What to do now, in Dutch, for the reservation's place: while it is held, whom to
    ring; once accepted, where the patient goes and whom to ring to arrange it."""
    contact = place_contact(reservation) or PlaceContact()
    name = reservation.facility_name
    note = f" ({contact.contact_note})" if contact.contact_note else ""
    call = (
        f"bel de opname op {phone.display(contact.phone)}{note}"
        if contact.phone
        else f"neem contact op met {name}{note}"
    )
    if reservation.status == "held":
        return (
            f"De plaats bij {name} is gereserveerd; de zorgaanbieder beslist nog. "
            f"Bij haast: {call}."
        )
    if reservation.status == "accepted":
        address = _address(contact)
        where = f" Adres: {address}." if address else ""
        return (
            f"{name} neemt de cliënt op: {call} om de overplaatsing en het vervoer af te "
            f"spreken, en geef de overdracht mee.{where}"
        )
    return None


def referral_out(referral: Referral, reservation: Reservation | None, declines: int) -> ReferralOut:
    """The API form of a referral, with its live reservation and number of declines."""
    known = reference.place_types().get(referral.place_type)
    near = (
        Point(lat=referral.near_lat, lon=referral.near_lon)
        if referral.near_lat is not None and referral.near_lon is not None
        else None
    )
    return ReferralOut(
        id=referral.id,
        status=referral.status,
        place_type=referral.place_type,
        urgency=referral.urgency,
        patient=PatientOut(
            birth_year=referral.patient_birth_year,
            sex=referral.patient_sex,
            postcode=referral.patient_postcode,
        ),
        needs=list(referral.needs),
        region_code=referral.region_code,
        near=near,
        preferred_facility_ids=list(referral.preferred_facility_ids),
        planned_date=referral.planned_date,
        notes=referral.notes,
        reference=referral.reference,
        organisation_id=referral.organisation_id,
        created_by=Person(id=referral.created_by, name=referral.created_by_name),
        assignee=Person(id=referral.assignee, name=referral.assignee_name or referral.assignee)
        if referral.assignee
        else None,
        advice=referral.advice,
        closed_reason=referral.closed_reason,
        direct_booking=known is not None and known.direct_booking,
        escalated_at=referral.escalated_at,
        created_at=referral.created_at,
        due_at=referral.due_at,
        updated_at=referral.updated_at,
        placed_at=referral.placed_at,
        closed_at=referral.closed_at,
        reservation=ReservationSummary(
            id=reservation.id,
            facility_id=reservation.facility_id,
            facility_name=reservation.facility_name,
            status=reservation.status,
            expires_at=reservation.expires_at,
            direct_booking=reservation.direct_booking,
            facility_contact=place_contact(reservation),
            next_steps=next_steps(reservation),
        )
        if reservation is not None
        else None,
        declines=declines,
    )
