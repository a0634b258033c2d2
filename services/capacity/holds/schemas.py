import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.schemas import check_place_type


class HoldIn(BaseModel):
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


class HoldOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    facility_id: uuid.UUID
    place_type: str
    referral_id: uuid.UUID
    status: str
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None
