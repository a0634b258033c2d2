import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shared.schemas import Moment, check_place_type

MAX_SKEW = timedelta(minutes=2)
MAX_COUNT = 100_000
Count = Annotated[int, Field(ge=0, le=MAX_COUNT, strict=False)]


class CapacityReportIn(BaseModel):
    """What a provider reports for one place type at one location."""

    model_config = ConfigDict(extra="forbid")

    staffed: Count = Field(description="Operational places with staff.")
    occupied: Count
    available: Count = Field(description="Free to admit now.")
    expected_available_24h: Count | None = Field(
        default=None, description="Forecast for the next 24 hours (e.g. planned discharges)."
    )
    observed_at: Moment = Field(description="When these numbers were true (RFC 3339).")

    @field_validator("available")
    @classmethod
    def _fits_staffed(cls, available: int, info: ValidationInfo) -> int:
        staffed, occupied = info.data.get("staffed"), info.data.get("occupied")
        if staffed is not None and occupied is not None and occupied + available > staffed:
            raise ValueError(
                f"occupied + available ({occupied} + {available}) must not exceed staffed "
                f"({staffed})"
            )
        return available

    @field_validator("observed_at")
    @classmethod
    def _not_in_future(cls, observed_at: datetime) -> datetime:
        if observed_at > datetime.now(UTC) + MAX_SKEW:
            raise ValueError("observed_at lies more than 2 minutes in the future")
        return observed_at


class BatchReport(CapacityReportIn):
    facility_id: uuid.UUID
    place_type: str

    @field_validator("place_type")
    @classmethod
    def _place_type(cls, value: str) -> str:
        return check_place_type(value)


class BatchIn(BaseModel):
    """A JSON batch: at most ZORGPLEK_BATCH_MAX_ROWS (default 5000) reports."""

    reports: list[Any]


class CapacityStateOut(BaseModel):
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
    applied: bool


class RowError(BaseModel):
    row: int
    errors: list[dict[str, object]]


class BatchOut(BaseModel):
    results: list[CapacityStateOut | RowError]


class HistoryEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    staffed: int
    occupied: int
    available: int
    expected_available_24h: int | None
    observed_at: datetime
    received_at: datetime
    applied: bool
