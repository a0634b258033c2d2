from datetime import datetime

from pydantic import BaseModel, Field

from shared.contracts.capacity import AvailabilityItem, FacilitySummary

__all__ = [
    "AvailabilityItem",
    "FacilitySummary",
    "HistoryPoint",
    "HistorySeries",
    "RegionalHistory",
    "Summary",
    "SummaryItem",
]


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
