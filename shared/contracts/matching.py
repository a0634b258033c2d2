"""Triage's answer for a referral's matches: each proposed place with its score."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from shared.contracts.capacity import FacilitySummary, ReportSource
from shared.contracts.referrals import Point

Scope = Literal["region", "supraregional"]


class ScoreComponents(BaseModel):
    distance: float = Field(description="40 minus half a point per km.")
    region: float = Field(description="20 own region; 10 same ROAZ region.")
    freshness: float = Field(description="Up to 15 for a fresh report.")
    preference: float = Field(description="15 when the client prefers this facility.")
    capacity: float = Field(description="2 per free place, up to 10.")
    record: float = Field(
        default=0.0,
        description="-10 to +10: the location's track record (reservations accepted, "
        "fresh reports); 0 without one.",
    )


class MatchItem(BaseModel):
    facility: FacilitySummary
    place_type: str
    free: int
    distance_km: float | None
    score: float = Field(
        description="The sum of the components: 0–100, and the track record's -10 to +10."
    )
    components: ScoreComponents
    reasons: list[str] = Field(description='In Dutch, e.g. "3,2 km", "eigen regio".')
    stale: bool
    observed_at: datetime
    source: ReportSource | None = Field(
        default=None,
        description="How the numbers came in (`page`, `api`, `csv`, `fhir`, `confirm`); null "
        "when not known. The reasons say it in Dutch: 'via koppeling, 4 min geleden'.",
    )
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
    """`GET /api/v1/referrals/{id}/matches`: the proposed places, best first."""

    items: list[MatchItem]
    scope: Scope
    stale_fallback: bool = Field(
        description="Nothing fresh was found, so places with stale reports are shown."
    )
    origin: Point | None = Field(description="Where distances are measured from.")
    considered: int
    excluded: dict[str, int] = Field(description="Places left out, by rule.")
