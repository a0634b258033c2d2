import uuid
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from shared.contracts.capacity import FacilityOut as FacilityOut
from shared.contracts.capacity import Identifier as Identifier
from shared.phone import OptionalPhoneNumber
from shared.schemas import (
    Latitude,
    Line,
    Longitude,
    Postcode,
    blank_is_none,
    check_feature,
    check_place_type,
    check_region,
)

AdmissionHours = Literal["24/7", "office"]
MAX_IDENTIFIERS = 20
CONTACT_FIELDS = ("street", "house_number", "phone", "contact_note")

Street = Annotated[Line, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
# "12", "12a", "12 A", "12-14", "12 bis", "12-1 hs": a number, then at most two short parts.
HouseNumber = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        max_length=16,
        pattern=r"^[1-9][0-9]{0,4}(?:[ /-]?[A-Za-z0-9]{1,4}){0,2}$",
    ),
]
ContactNote = Annotated[
    Line, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]


class Contacts(BaseModel):
    """How to reach a location. All optional; a blank value means none."""

    street: Annotated[Street | None, BeforeValidator(blank_is_none)] = None
    house_number: Annotated[HouseNumber | None, BeforeValidator(blank_is_none)] = Field(
        default=None, description='With any addition: "12", "12a", "12-14", "12 bis".'
    )
    phone: OptionalPhoneNumber = Field(
        default=None,
        description="The admissions number, a Dutch phone number as people write it "
        '("023 531 2000", "+31 6 12345678"); answered in E.164 ("+31235312000").',
    )
    contact_note: Annotated[ContactNote | None, BeforeValidator(blank_is_none)] = Field(
        default=None,
        description='How to reach it when it matters, e.g. "na 22:00 via de avonddienst".',
    )


def _distinct_identifiers(value: list[Identifier]) -> list[Identifier]:
    pairs = [(i.system, i.value) for i in value]
    if len(set(pairs)) != len(pairs):
        raise ValueError("each (system, value) pair may appear only once")
    return sorted(value, key=lambda i: (i.system, i.value))


class FacilityIn(Contacts):
    model_config = ConfigDict(extra="forbid")

    organisation_id: uuid.UUID
    name: Annotated[Line, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    city: Annotated[Line, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    postcode: Postcode = Field(description='"NNNN" or "NNNN AA".')
    region_code: str
    lat: Latitude
    lon: Longitude
    place_types: list[str] = Field(min_length=1)
    features: list[str] = Field(default_factory=list)
    admission_hours: AdmissionHours = "24/7"
    identifiers: list[Identifier] = Field(default_factory=list, max_length=MAX_IDENTIFIERS)

    @field_validator("identifiers")
    @classmethod
    def _identifiers(cls, value: list[Identifier]) -> list[Identifier]:
        return _distinct_identifiers(value)

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


class FacilityPatch(Contacts):
    """A change to a facility: only the fields given change (null or "" clears a contact);
    `identifiers` replaces the whole list."""

    model_config = ConfigDict(extra="forbid")

    identifiers: list[Identifier] | None = Field(default=None, max_length=MAX_IDENTIFIERS)

    @field_validator("identifiers")
    @classmethod
    def _identifiers(cls, value: list[Identifier] | None) -> list[Identifier] | None:
        return None if value is None else _distinct_identifiers(value)
