import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.contracts.capacity import OrganisationOut as OrganisationOut
from shared.phone import OptionalPhoneNumber
from shared.schemas import Latitude, Line, Longitude

OrganisationKind = Literal["vvt", "ggz", "hospital", "gp", "hap", "rap", "other"]
Name = Annotated[Line, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
EightDigits = Annotated[str, StringConstraints(pattern=r"^\d{8}$")]
SCOPES = (
    "capacity:write",
    "facilities:write",
    "reservations:write",
    "subscriptions:write",
    "events:read",
)
# subscriptions:write lets a provider's system manage notify's subscriptions; events:read
# lets it receive events (the live stream, and what its subscriptions deliver).
Scope = Literal[
    "capacity:write", "facilities:write", "reservations:write", "subscriptions:write", "events:read"
]


class OrganisationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: OrganisationKind
    agb_code: EightDigits | None = Field(default=None, description="AGB code, 8 digits.")
    ura: EightDigits | None = Field(default=None, description="URA number, 8 digits.")
    city: Annotated[Line, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    phone: OptionalPhoneNumber = Field(
        default=None,
        description='A Dutch phone number as people write it ("023 531 2000"); answered in '
        'E.164 ("+31235312000").',
    )


class OrganisationPatch(BaseModel):
    """A change to an organisation's contact: only the fields given change; null or ""
    clears the phone."""

    model_config = ConfigDict(extra="forbid")

    phone: OptionalPhoneNumber = None


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scopes: list[Scope] = Field(min_length=1)
    label: Annotated[Line, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    organisation_id: uuid.UUID
    label: str
    scopes: list[str]
    key_prefix: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself, shown only in this answer.")


class ApiKeyIntrospectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Annotated[Line, StringConstraints(min_length=1, max_length=200)]


class ApiKeyIntrospection(BaseModel):
    """Who an API key stands for, for the other services; never the key itself."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    label: str
    scopes: list[str]
