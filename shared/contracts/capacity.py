"""The capacity service's side of its seams: availability search, the regional picture,
holds, a location's capacity and track record, and facilities and organisations as capacity
answers them — the same models for the service that answers and the ones that read."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from shared.schemas import Line, check_place_type

ReportSource = Literal["page", "api", "csv", "fhir", "confirm"]
"""How a capacity report reached Zorgplek: typed on Mijn locaties (`page`), sent by a linked
system as JSON (`api`), uploaded as CSV (`csv`), sent as a FHIR MeasureReport (`fhir`), or
the numbers before confirmed unchanged (`confirm`)."""

SOURCE_WORDS: dict[str, str] = {
    "page": "handmatig",
    "api": "via koppeling",
    "csv": "via CSV-bestand",
    "fhir": "via koppeling",
    "confirm": "ongewijzigd bevestigd",
}
"""The Dutch words for a source, as every page and every match reason shows them."""


def source_words(source: str | None) -> str | None:
    """'handmatig', 'via koppeling', …; None for a report from before sources were kept."""
    return SOURCE_WORDS.get(source) if source else None


class FacilitySummary(BaseModel):
    """A location as availability search and matching show it."""

    id: uuid.UUID
    name: str
    organisation_id: uuid.UUID
    organisation_name: str
    city: str
    region_code: str
    lat: float
    lon: float
    admission_hours: str
    features: list[str]
    # Where it is and how to reach it: the address, the admissions number in E.164
    # (`shared.phone.display` writes it as people do) and how to call after hours.
    postcode: str | None = None
    street: str | None = None
    house_number: str | None = None
    phone: str | None = None
    contact_note: str | None = None


class AvailabilityItem(BaseModel):
    """One place type at one location with its numbers now (`GET /api/v1/availability`)."""

    facility: FacilitySummary
    place_type: str
    free: int
    available: int
    held: int
    staffed: int
    expected_available_24h: int | None
    observed_at: datetime
    stale: bool
    distance_km: float | None
    # How the numbers were reported; None for a report from before sources were kept.
    source: ReportSource | None = None
    # The care rules for the patient searched for (`sex`, `due_at`); without them every
    # place is eligible. `admits_from`: the next admission moment while it admits not now.
    eligible: bool = True
    refusals: list[str] = []
    warnings: list[str] = []
    admits_from: datetime | None = None


class CandidatePlace(BaseModel):
    """One place type at one location with at least one free, as matching ranks it
    (`GET /api/v1/availability/candidates`): the location as a match shows it and the
    numbers the ranking weighs; the care rules are the ranking's own."""

    facility: FacilitySummary
    place_type: str
    free: int
    observed_at: datetime
    stale: bool
    source: ReportSource | None = None


class Candidates(BaseModel):
    """Every candidate place of a search for matching, in one answer and in no order."""

    items: list[CandidatePlace]


class HoldIn(BaseModel):
    """`POST /api/v1/holds`: hold one free place for a referral."""

    model_config = ConfigDict(extra="forbid")

    facility_id: uuid.UUID
    place_type: str
    referral_id: uuid.UUID
    ttl_seconds: int = Field(
        default=1800,
        ge=10,
        le=24 * 3600,
        description="Seconds until the place returns by itself; at most "
        "ZORGPLEK_HOLD_MAX_MINUTES and a short grace.",
    )

    @field_validator("place_type")
    @classmethod
    def _place_type(cls, value: str) -> str:
        return check_place_type(value)


# Why a provider declines a reserved place. `no_capacity` ("toch geen plek"): the place was
# reported free but was not — it counts against the location's track record.
DeclineReason = Literal[
    "no_capacity", "no_staff", "care_too_complex", "features_missing", "patient_refused", "other"
]
DECLINE_REASONS: tuple[str, ...] = get_args(DeclineReason)
HoldOutcome = Literal["declined", "expired", "released", "cancelled"]


class HoldEnding(BaseModel):
    """Why triage gives a held place back (`DELETE /api/v1/holds/{id}`): the reservation's
    outcome and, for a decline, its reason. Capacity keeps it with the hold, so that a
    location's track record is computed where its history is."""

    model_config = ConfigDict(extra="forbid")

    outcome: HoldOutcome
    reason_code: DeclineReason | None = None


class HoldOut(BaseModel):
    """A hold as capacity answers it: created, committed or released."""

    id: uuid.UUID
    facility_id: uuid.UUID
    place_type: str
    referral_id: uuid.UUID
    status: str
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None


class TrackRecord(BaseModel):
    """A location's record over the last `days` days (`GET /api/v1/facilities/{id}/record`):
    how its reservations ended and how much of the time its reports were fresh."""

    facility_id: uuid.UUID
    facility_name: str
    organisation_id: uuid.UUID
    region_code: str
    days: int = Field(description="The window: the last this many days.")
    accepted: int = Field(description="Reservations accepted.")
    declined_no_capacity: int = Field(
        description='Reservations declined as `no_capacity` ("toch geen plek"): reported '
        "free, but not."
    )
    declined_other: int = Field(description="Reservations declined for another reason.")
    expired: int = Field(description="Reservations that expired unanswered.")
    fresh_share: float | None = Field(
        description="Share of the window (0–1) its place types had a fresh report, from the "
        "capacity history and each place type's time-to-live; null when the window is empty."
    )
    last_report_at: datetime | None = Field(description="Its newest report's observed_at.")
    overdue_now: bool = Field(description="A place type it offers has no fresh report now.")
    overdue_place_types: list[str] = Field(description="Those place types.")

    @property
    def answered(self) -> int:
        """Reservations that ended with the location's answer, or its silence."""
        return self.accepted + self.declined_no_capacity + self.declined_other + self.expired


class Identifier(BaseModel):
    """A code another system knows the facility by: AGB (`http://fhir.nl/fhir/NamingSystem/agb-z`),
    URA (`http://fhir.nl/fhir/NamingSystem/ura`) or a provider system's own URI."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    system: Annotated[
        Line,
        StringConstraints(
            strip_whitespace=True, max_length=255, pattern=r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$"
        ),
    ] = Field(description="An absolute URI naming the code system, e.g. urn:oid:… or https://….")
    value: Annotated[Line, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class FacilityOut(BaseModel):
    """A location as `GET /api/v1/facilities` and `GET /api/v1/facilities/{id}` answer it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    organisation_id: uuid.UUID
    name: str
    city: str
    postcode: str
    region_code: str
    lat: float
    lon: float
    place_types: list[str]
    features: list[str]
    admission_hours: str
    street: str | None
    house_number: str | None
    phone: str | None
    contact_note: str | None
    identifiers: list[Identifier]
    created_at: datetime


class OrganisationOut(BaseModel):
    """An organisation as `GET /api/v1/organisations/{id}` answers it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: str
    agb_code: str | None
    ura: str | None
    city: str | None
    lat: float | None
    lon: float | None
    phone: str | None
    created_at: datetime


class CapacityStateOut(BaseModel):
    """The current numbers of one place type at one location."""

    facility_id: uuid.UUID
    place_type: str
    staffed: int
    occupied: int
    available: int
    held: int
    free: int
    expected_available_24h: int | None
    observed_at: datetime
    received_at: datetime
    stale: bool
    due: bool = Field(
        description="Three quarters of the place type's time-to-live have passed (or all "
        "of it): time to report again, before `stale_at`."
    )
    stale_at: datetime = Field(description="When this report goes stale.")
    applied: bool
    source: ReportSource | None = Field(
        description="How the numbers now shown came in; null for a report from before "
        "sources were kept."
    )
    reported_by: str | None = Field(description="The name of the person or API key.")


class ConfirmOut(BaseModel):
    """Each reported place type of the location after confirming: `applied: false` where a
    newer or another report stood, `source: confirm` where it was confirmed."""

    items: list[CapacityStateOut]
    confirmed: int = Field(description="How many place types were confirmed.")


class SummaryItem(BaseModel):
    region_code: str
    place_type: str
    facilities: int
    free: int
    staffed: int
    stale: int
    expected_available_24h: int = Field(
        description="The forecast: the sum of `expected_available_24h` of the fresh reports "
        'that gave one ("verwacht morgen vrij").'
    )
    forecasting: int = Field(description="How many locations' fresh reports gave a forecast.")


class Summary(BaseModel):
    """`GET /api/v1/availability/summary`: free, staffed and stale per region and type."""

    items: list[SummaryItem]


class HistoryPoint(BaseModel):
    at: datetime
    available: int
    staffed: int
    reporting: int
    facilities: int


class HistorySeries(BaseModel):
    place_type: str
    points: list[HistoryPoint]


class RegionalHistory(BaseModel):
    """`GET /api/v1/availability/history`: free places over time per place type."""

    region: str | None
    since: datetime
    until: datetime
    step_seconds: int
    items: list[HistorySeries]


class Compliance(BaseModel):
    """`GET /api/v1/compliance`: every location of a region with its track record."""

    regions: list[str] = Field(description="The regions covered (a ROAZ with its zorgkantoren).")
    days: int = Field(description="The window of every record: the last this many days.")
    items: list[TrackRecord] = Field(
        description="Every location with its record, worst first: overdue now, then the "
        "most `no_capacity` declines and expiries, then the least fresh."
    )
