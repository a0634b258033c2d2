import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from shared.contracts.events import EVENT_TYPES
from shared.schemas import Latitude, Line, Longitude, check_place_type, check_region

Channel = Literal["webhook", "email"]


def check_event_type(value: str) -> str:
    if value not in EVENT_TYPES:
        raise ValueError(f"unknown event type {value!r}; known: {', '.join(sorted(EVENT_TYPES))}")
    return value


class Near(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: Latitude
    lon: Longitude


class FilterIn(BaseModel):
    """Narrows which events reach the subscription; every part is optional."""

    model_config = ConfigDict(extra="forbid")

    place_types: list[str] | None = Field(default=None, min_length=1)
    region: str | None = Field(
        default=None, description="A region code; a ROAZ region covers its zorgkantoren."
    )
    near: Near | None = Field(
        default=None, description='`{"lat", "lon"}` or "LAT,LON"; needs `radius_km`.'
    )
    radius_km: float | None = Field(default=None, gt=0, le=500)

    @field_validator("place_types")
    @classmethod
    def _place_types(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else sorted({check_place_type(v) for v in value})

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        return None if value is None else check_region(value)

    @field_validator("near", mode="before")
    @classmethod
    def _near(cls, value: Any) -> Any:
        if isinstance(value, str):
            lat, sep, lon = value.partition(",")
            if not sep:
                raise ValueError('near must be {"lat", "lon"} or "LAT,LON"')
            return {"lat": lat.strip(), "lon": lon.strip()}
        return value


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel
    target: Annotated[Line, StringConstraints(strip_whitespace=True, min_length=3, max_length=2048)]
    event_types: list[str] = Field(min_length=1)
    filter: FilterIn | None = None

    @field_validator("event_types")
    @classmethod
    def _event_types(cls, value: list[str]) -> list[str]:
        return sorted({check_event_type(v) for v in value})


class FilterOut(BaseModel):
    place_types: list[str] | None
    region: str | None
    near: Near | None
    radius_km: float | None


class OwnerOut(BaseModel):
    sub: str = Field(description="The person's `sub`, or `apikey:{id}` for an API key.")
    name: str
    organisation_id: uuid.UUID | None
    api_key_id: uuid.UUID | None = Field(description="The API key that made it, if one did.")


class SubscriptionOut(BaseModel):
    id: uuid.UUID
    channel: str
    target: str
    event_types: list[str]
    filter: FilterOut | None
    status: Literal["active", "disabled", "expired"] = Field(
        description="`expired` once `expires_at` has passed unrenewed; `disabled` after a "
        "`410 Gone` or when the API key that made it was revoked."
    )
    disabled_reason: str | None
    owner: OwnerOut
    created_at: datetime
    renewed_at: datetime | None
    expires_at: datetime = Field(description="Renew it before then to go on receiving.")


class SubscriptionCreated(SubscriptionOut):
    secret: str | None = Field(
        default=None,
        description="The webhook's signing secret (`whsec_…`); shown only in this answer.",
    )


def present(subscription: Any, now: datetime | None = None) -> SubscriptionOut:
    """The public form of a stored subscription (never its secret)."""
    now = now or datetime.now(UTC)
    status = subscription.status
    if status == "active" and subscription.expires_at <= now:
        status = "expired"
    has_filter = any(
        v is not None
        for v in (
            subscription.filter_place_types,
            subscription.filter_region,
            subscription.filter_lat,
            subscription.filter_radius_km,
        )
    )
    near = (
        Near(lat=subscription.filter_lat, lon=subscription.filter_lon)
        if subscription.filter_lat is not None and subscription.filter_lon is not None
        else None
    )
    return SubscriptionOut(
        id=subscription.id,
        channel=subscription.channel,
        target=subscription.target,
        event_types=list(subscription.event_types),
        filter=FilterOut(
            place_types=subscription.filter_place_types,
            region=subscription.filter_region,
            near=near,
            radius_km=subscription.filter_radius_km,
        )
        if has_filter
        else None,
        status=status,
        disabled_reason=subscription.disabled_reason,
        owner=OwnerOut(
            sub=subscription.owner_sub,
            name=subscription.owner_name,
            organisation_id=subscription.owner_org,
            api_key_id=subscription.api_key_id,
        ),
        created_at=subscription.created_at,
        renewed_at=subscription.renewed_at,
        expires_at=subscription.expires_at,
    )


def present_created(subscription: Any, secret: str | None) -> SubscriptionCreated:
    """The answer to a new subscription: the one time its secret is shown."""
    return SubscriptionCreated(**present(subscription).model_dump(), secret=secret)
