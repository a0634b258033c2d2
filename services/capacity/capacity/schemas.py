import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shared.contracts.capacity import CapacityStateOut as CapacityStateOut
from shared.contracts.capacity import ConfirmOut as ConfirmOut
from shared.contracts.capacity import ReportSource
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


class CapacityReportPut(CapacityReportIn):
    """One report as `PUT /capacity/{place_type}` takes it: the numbers, and how they were
    entered. `csv`, `fhir` and `confirm` are never claimed: Zorgplek sets them itself."""

    source: Literal["api", "page"] = Field(
        default="api",
        description="`page` when a person typed the numbers on a page (Zorgplek's own pages "
        "send it; an API key may not), else `api`: a linked system.",
    )


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


class ConfirmIn(BaseModel):
    """`POST …/capacity/confirm`: optionally, which report of each place type the confirming
    person saw, so a report that came in since is never confirmed unseen."""

    model_config = ConfigDict(extra="forbid")

    seen: dict[str, Moment] = Field(
        default_factory=dict,
        description="Place type → the `observed_at` shown when confirming; a place type "
        "whose stored report is another one is not confirmed. Leave out to confirm what is "
        "stored now.",
    )

    @field_validator("seen")
    @classmethod
    def _place_types(cls, seen: dict[str, datetime]) -> dict[str, datetime]:
        for place_type in seen:
            check_place_type(place_type)
        return seen


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
    source: ReportSource | None
    reported_by: str | None
