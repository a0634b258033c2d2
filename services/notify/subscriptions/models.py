import uuid
from datetime import datetime

from sqlalchemy import DateTime, Float, Index, String, func
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.notify.base import Base

CHANNELS = ("webhook", "email")
SUBSCRIPTION_STATUSES = ("active", "disabled")


class Subscription(Base):
    """Someone who wants events by webhook or e-mail, bound to the credential that made it.

    A person's subscription keeps the organisation, roles and regions of the newest token
    they showed notify (when subscribing, renewing, or on any later request), so the relay
    and the delivery worker apply the same visibility rule as a live request would. A
    subscription an API key made receives only while that key is active and may read
    events. Either ends at `expires_at` unless renewed."""

    __tablename__ = "subscriptions"
    __table_args__ = (Index("ix_subscriptions_owner_org", "owner_org", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    owner_sub: Mapped[str] = mapped_column(String(255), index=True)
    owner_name: Mapped[str] = mapped_column(String(255))
    owner_org: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    owner_roles: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    owner_regions: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    # When the token whose claims are kept above was issued: an older token never
    # overwrites them.
    owner_claims_issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The API key that made the subscription (None for a person's).
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(2048))
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    filter_place_types: Mapped[list[str] | None] = mapped_column(ARRAY(String(32)))
    filter_region: Mapped[str | None] = mapped_column(String(64))
    filter_lat: Mapped[float | None] = mapped_column(Float)
    filter_lon: Mapped[float | None] = mapped_column(Float)
    filter_radius_km: Mapped[float | None] = mapped_column(Float)
    # The webhook's signing secret, `whsec_` + base64; needed in clear to sign.
    secret: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="active")
    disabled_reason: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    renewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
