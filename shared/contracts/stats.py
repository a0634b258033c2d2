"""Triage's key figures of a region over a window (`GET /api/v1/stats`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PlacementTimes(BaseModel):
    placed: int = Field(description="Referrals of the window that were placed.")
    median: float | None = Field(description="Seconds from submission to placement.")
    p90: float | None = Field(description="90th percentile, seconds.")


class UnmetGroup(BaseModel):
    region_code: str | None = Field(description="Null: every region of the answer together.")
    place_type: str
    referrals: int = Field(description="Referrals of this region and place type in the window.")
    unmet: int = Field(description="Of those, unmet demand.")
    share: float | None = Field(description="unmet / referrals (0–1).")
    median_wait_seconds: float | None = Field(description="Median wait of the unmet.")
    reasons: dict[str, int] = Field(
        description="Unmet by reason: no_place_found, no_place, overdue."
    )


class UnmetDemand(BaseModel):
    """Referrals of the window that found no place: cancelled as `no_place_found`, advised
    with `advice_reason: no_place`, or still searching past their due time. Placed
    referrals never count."""

    unmet: int
    share: float | None = Field(description="Of all referrals of the window (0–1).")
    median_wait_seconds: float | None = Field(
        description="From submission until closed, or until `to` while still searching."
    )
    reasons: dict[str, int]
    groups: list[UnmetGroup] = Field(description="Per region and place type.")
    place_types: list[UnmetGroup] = Field(
        description="Per place type over every region of the answer (region_code null)."
    )


class WrongBedGroup(BaseModel):
    region_code: str
    place_type: str
    referrals: int = Field(description="Hospital referrals with bed-days in the window.")
    days: float = Field(description="Verkeerde beddagen in the window.")
    waiting_now: int = Field(description="Of those patients, still waiting at `to`.")


class WrongBedDays(BaseModel):
    """Verkeerde beddagen: for referrals from a hospital (the referring organisation's kind
    `hospital`), the days from submission until placement — or until closed without one,
    or until `to` while waiting — that fall in the window."""

    days: float
    referrals: int
    waiting_now: int
    groups: list[WrongBedGroup] = Field(description="Per region and place type.")


class Stats(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    region: str | None = Field(description="The region asked for; null: all the caller's.")
    from_: datetime = Field(alias="from")
    to: datetime
    referrals: int = Field(description="Referrals submitted in the window.")
    counts: dict[str, int] = Field(description="Those referrals per current status (outcome).")
    time_to_placement_seconds: PlacementTimes
    share_placed_in_own_region: float | None = Field(
        description="Of the placed referrals, the share placed in their own region (0–1)."
    )
    expired_holds: int = Field(description="Reservations made in the window that expired.")
    declines: dict[str, int] = Field(description="Declined reservations per reason code.")
    unmet_demand: UnmetDemand
    wrong_bed_days: WrongBedDays | None = Field(
        description="Null while the capacity service (which knows the hospitals) cannot be reached."
    )
