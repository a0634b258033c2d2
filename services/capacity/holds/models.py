import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.capacity.base import Base

HOLD_STATUSES = ("active", "committed", "released", "expired")


class Hold(Base):
    """One place kept aside for a referral until it is committed, released or expires."""

    __tablename__ = "holds"
    __table_args__ = (
        Index(
            "ix_holds_active_expires_at", "expires_at", postgresql_where=text("status = 'active'")
        ),
        # A location's track record reads its holds of the last 30 days.
        Index("ix_holds_facility_created_at", "facility_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"), index=True)
    place_type: Mapped[str] = mapped_column(String(32))
    referral_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Why triage gave it back (`shared.contracts.capacity.HoldEnding`): the reservation was
    # declined (with the provider's reason), expired, released or cancelled. None for a hold
    # committed, expired here, or released before endings were recorded.
    ending: Mapped[str | None] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(32))
