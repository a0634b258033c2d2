import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from shared.schemas import (
    Latitude,
    Longitude,
    Postcode,
    check_feature,
    check_place_type,
    check_region,
)

AdmissionHours = Literal["24/7", "office"]


class FacilityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation_id: uuid.UUID
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    city: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    postcode: Postcode = Field(description='"NNNN" or "NNNN AA".')
    region_code: str
    lat: Latitude
    lon: Longitude
    place_types: list[str] = Field(min_length=1)
    features: list[str] = Field(default_factory=list)
    admission_hours: AdmissionHours = "24/7"

    @field_validator("region_code")
    @classmethod
    def _region(cls, value: str) -> str:
        return check_region(value)

    @field_validator("place_types")
    @classmethod
    def _place_types(cls, value: list[str]) -> list[str]:
        return sorted({check_place_type(v) for v in value})

    @field_validator("features")
    @classmethod
    def _features(cls, value: list[str]) -> list[str]:
        return sorted({check_feature(v) for v in value})


class FacilityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    organisation_id: uuid.UUID
    name: str
    city: str
    postcode: str
    region_code: str
    lat: float
    lon: float
    place_types: list[str]
    features: list[str]
    admission_hours: str
    created_at: datetime
