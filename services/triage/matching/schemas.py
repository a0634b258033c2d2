import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from services.triage.referrals.schemas import Point

Scope = Literal["region", "supraregional"]


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


class ScoreComponents(BaseModel):
    distance: float = Field(description="40 minus half a point per km.")
    region: float = Field(description="20 own region; 10 same ROAZ region.")
    freshness: float = Field(description="Up to 15 for a fresh report.")
    preference: float = Field(description="15 when the client prefers this facility.")
    capacity: float = Field(description="2 per free place, up to 10.")


class MatchItem(BaseModel):
    facility: FacilitySummary
    place_type: str
    free: int
    distance_km: float | None
    score: float = Field(description="0–100: the sum of the components.")
    components: ScoreComponents
    reasons: list[str] = Field(description='In Dutch, e.g. "3,2 km", "eigen regio".')
    stale: bool
    observed_at: datetime
    eligible: bool = Field(
        description="Whether the care rules allow this place for the patient; false only "
        "when asked for with include_ineligible."
    )
    refusals: list[str] = Field(description="In Dutch: why the care rules refuse it.")
    warnings: list[str] = Field(description="In Dutch: eligible, but check this first.")
    admits_from: datetime | None = Field(
        description="The next admission moment while the location does not admit now."
    )


class Matches(BaseModel):
    items: list[MatchItem]
    scope: Scope
    stale_fallback: bool = Field(
        description="Nothing fresh was found, so places with stale reports are shown."
    )
    origin: Point | None = Field(description="Where distances are measured from.")
    considered: int
    excluded: dict[str, int] = Field(description="Places left out, by rule.")
