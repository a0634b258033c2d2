import uuid
from datetime import datetime

from pydantic import BaseModel


class FacilitySummary(BaseModel):
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


class AvailabilityItem(BaseModel):
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
    # The care rules for the patient searched for (`sex`, `due_at`); without them every
    # place is eligible. `admits_from`: the next admission moment while it admits not now.
    eligible: bool = True
    refusals: list[str] = []
    warnings: list[str] = []
    admits_from: datetime | None = None


class SummaryItem(BaseModel):
    region_code: str
    place_type: str
    facilities: int
    free: int
    staffed: int
    stale: int


class Summary(BaseModel):
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
    region: str | None
    since: datetime
    until: datetime
    step_seconds: int
    items: list[HistorySeries]
