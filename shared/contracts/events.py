"""Every event type Zorgplek publishes, with the models of its `data` and its `audience`.

The producers (capacity's and triage's `events` modules) build these models and publish
them through the outbox; notify reads them back from the outbox with `read_data` and
`read_audience` to decide who may see an event and whether it matches a subscription's
filter. Registering a type here is what lets the outbox accept it, and what lets notify
offer it to subscribers (`EVENT_TYPES`): adding an event type is a model, a `register`
line and its producer (see docs/architecture.md#adding-an-event-type).

An event's data is thin on purpose — ids, statuses, counts, place type, region — never
anything about a patient."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, TypeAdapter, ValidationError

from shared.outbox import event_types, register, registered

# Times in event data are written as Python writes them (`2026-03-01T09:30:00+00:00`), as
# they always were; subscribers parse them as ISO 8601.
EventTime = Annotated[
    datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json")
]


@dataclass(frozen=True, slots=True)
class Where:
    """What subscribers' filters look at in an event: its place type, region and point.
    A filter narrows only events that carry the part it looks at."""

    place_type: str | None = None
    region_code: str | None = None
    point: tuple[float, float] | None = None


class EventData(BaseModel):
    """The base of every event's data."""

    model_config = ConfigDict(frozen=True)

    def where(self) -> Where:
        """The place type, region and point of this event, for subscribers' filters."""
        return Where()


class CapacityData(EventData):
    """`capacity.*`: one place type at one location, with its numbers after the change."""

    facility_id: uuid.UUID
    organisation_id: uuid.UUID
    place_type: str
    region_code: str
    lat: float
    lon: float
    free: int = Field(description="available - held, never below 0.")
    available: int
    held: int
    staffed: int
    observed_at: EventTime

    def where(self) -> Where:
        return Where(self.place_type, self.region_code, (self.lat, self.lon))


class CapacityDueData(EventData):
    """`capacity.due`: a location's report of one place type is due (three quarters of its
    time-to-live passed: report again before `stale_at`) or went stale (`stage: stale`).
    For the location's own organisation only."""

    facility_id: uuid.UUID
    facility_name: str
    organisation_id: uuid.UUID
    place_type: str
    region_code: str
    stage: Literal["due", "stale"]
    observed_at: EventTime
    stale_at: EventTime = Field(description="When the report goes (or went) stale.")

    def where(self) -> Where:
        return Where(self.place_type, self.region_code)


class ReferralData(EventData):
    """`referral.*`: a referral's ids and status. `referral.status_changed` while the
    referral has a reservation carries the reservation's part too (`ReservationData`)."""

    referral_id: uuid.UUID
    status: str
    from_status: str | None
    place_type: str
    urgency: str
    region_code: str

    def where(self) -> Where:
        return Where(self.place_type, self.region_code)


class ReservationData(ReferralData):
    """`reservation.*`: the referral's part and its reservation at one location."""

    reservation_id: uuid.UUID
    reservation_status: str
    facility_id: uuid.UUID
    facility_name: str
    expires_at: EventTime
    reason_code: str | None


class PublicAudience(BaseModel):
    """Every professional may see the event (capacity events)."""

    public: Literal[True]


class MembersAudience(BaseModel):
    """Members of the listed organisations may see the event, and triagists whose regions
    cover a listed region (referral and reservation events)."""

    organisation_ids: list[uuid.UUID]
    regions: list[str]


Audience = PublicAudience | MembersAudience
EVERY_PROFESSIONAL = PublicAudience(public=True)
# An audience that does not read as one of the above (an event whose audience is gone, or
# was never written as agreed) is seen by no one.
NOBODY = MembersAudience(organisation_ids=[], regions=[])
_AUDIENCE: TypeAdapter[Audience] = TypeAdapter(
    Annotated[Audience, Field(union_mode="left_to_right")]
)

CAPACITY_UPDATED = register("capacity.updated", CapacityData, PublicAudience)
CAPACITY_AVAILABLE = register("capacity.available", CapacityData, PublicAudience)
CAPACITY_STALE = register("capacity.stale", CapacityData, PublicAudience)
CAPACITY_DUE = register("capacity.due", CapacityDueData, MembersAudience)
REFERRAL_CREATED = register("referral.created", ReferralData, MembersAudience)
REFERRAL_STATUS_CHANGED = register("referral.status_changed", ReferralData, MembersAudience)
RESERVATION_HELD = register("reservation.held", ReservationData, MembersAudience)
RESERVATION_ACCEPTED = register("reservation.accepted", ReservationData, MembersAudience)
RESERVATION_DECLINED = register("reservation.declined", ReservationData, MembersAudience)
RESERVATION_EXPIRED = register("reservation.expired", ReservationData, MembersAudience)
RESERVATION_RELEASED = register("reservation.released", ReservationData, MembersAudience)

# What a subscription may ask for: every event type notify can deliver, all registered above.
EVENT_TYPES = event_types()


def read_audience(raw: Mapping[str, Any]) -> Audience:
    """An outbox row's audience as its model; `NOBODY` when it reads as neither."""
    try:
        return _AUDIENCE.validate_python(raw)
    except ValidationError:
        return NOBODY


def read_data(event_type: str, raw: Mapping[str, Any]) -> EventData | None:
    """An outbox row's data as the most specific model of its type it reads as (a referral's
    event that carries its reservation's part reads as `ReservationData`); None for a type
    nobody registered or data that reads as none of them (then it carries nothing a filter
    looks at)."""
    known = registered(event_type)
    if known is None:
        return None
    models: list[type[EventData]] = [*known.data.__subclasses__(), known.data]
    for model in models:
        try:
            return model.model_validate(raw)
        except ValidationError:
            continue
    return None
