import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.triage.base import Base

RESERVATION_STATUSES = ("held", "accepted", "declined", "expired", "cancelled")


class Reservation(Base):
    """A place held at a facility for one referral, waiting for the provider's yes or no.

    Its id is also the idempotency key of the hold at the capacity service."""

    __tablename__ = "reservations"
    __table_args__ = (
        # One live reservation per referral, whatever the timing of two requests.
        Index(
            "uq_reservations_live_referral_id",
            "referral_id",
            unique=True,
            postgresql_where=text("status IN ('held', 'accepted')"),
        ),
        Index(
            "ix_reservations_held_expires_at",
            "expires_at",
            postgresql_where=text("status = 'held'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), index=True)
    hold_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    facility_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    facility_name: Mapped[str] = mapped_column(String(200))
    facility_organisation_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    facility_region_code: Mapped[str] = mapped_column(String(64))
    # Whether the facility lies in the referral's own region: kept for the KPI.
    own_region: Mapped[bool] = mapped_column(Boolean)
    place_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(255))
    created_by_name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(255))
    reason_code: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
