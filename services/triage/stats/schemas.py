from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PlacementTimes(BaseModel):
    placed: int = Field(description="Referrals of the window that were placed.")
    median: float | None = Field(description="Seconds from submission to placement.")
    p90: float | None = Field(description="90th percentile, seconds.")


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
