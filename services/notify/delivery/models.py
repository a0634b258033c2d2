import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.notify.base import Base
from services.notify.subscriptions.models import Subscription

DELIVERY_STATUSES = ("pending", "delivered", "failed", "dead")


class Delivery(Base):
    """One event for one subscription: sent until it succeeds or the schedule runs out.

    `pending` waits for its first attempt, `failed` for a retry at `next_attempt_at`;
    `delivered` and `dead` are ends. A worker that claims it sets `lease_until`, so a crash
    during the attempt only delays it: after the lease another worker sends it again."""

    __tablename__ = "deliveries"
    __table_args__ = (
        # Each event reaches each subscription once, however many relays run.
        UniqueConstraint("event_id", "subscription_id", name="uq_deliveries_event_subscription"),
        Index(
            "ix_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'failed')"),
        ),
        Index("ix_deliveries_subscription_created", "subscription_id", "created_at"),
        Index("ix_deliveries_created", "created_at", "id"),
        # The dead-deliveries gauge counts these often.
        Index("ix_deliveries_dead", "id", postgresql_where=text("status = 'dead'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE")
    )
    event_type: Mapped[str] = mapped_column(String(64))
    event_occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The wire body `{"id", "type", "timestamp", "data"}`, the same on every attempt.
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # Who may see the event (its outbox `audience`): checked again before each attempt.
    audience: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claim_token: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    subscription: Mapped[Subscription] = relationship(lazy="raise")
