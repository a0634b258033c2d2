import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.triage.base import Base

OPEN_STATUSES = ("submitted", "in_triage", "searching", "reserved")
RESERVATION_STATUSES = ("held", "accepted", "declined", "expired", "cancelled", "released")
# A reservation that holds a place or has taken it: one per referral at most.
LIVE_RESERVATION = ("held", "accepted")


class Referral(Base):
    """A request for a temporary care place: only what matching needs, never a name or BSN."""

    __tablename__ = "referrals"
    __table_args__ = (
        Index(
            "ix_referrals_open_due_at",
            "due_at",
            postgresql_where=text("status IN ('submitted', 'in_triage', 'searching', 'reserved')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    status: Mapped[str] = mapped_column(String(16))
    place_type: Mapped[str] = mapped_column(String(32))
    urgency: Mapped[str] = mapped_column(String(16))
    patient_birth_year: Mapped[int] = mapped_column(Integer)
    patient_sex: Mapped[str] = mapped_column(String(8))
    patient_postcode: Mapped[str] = mapped_column(String(4))
    needs: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    region_code: Mapped[str] = mapped_column(String(64), index=True)
    near_lat: Mapped[float | None] = mapped_column(Float)
    near_lon: Mapped[float | None] = mapped_column(Float)
    preferred_facility_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    planned_date: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    # The referring practice's own case number; never a BSN.
    reference: Mapped[str | None] = mapped_column(String(30), index=True)
    # The referrer's organisation owns the referral; it keeps it when advice closes it.
    organisation_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    created_by: Mapped[str] = mapped_column(String(255))
    created_by_name: Mapped[str] = mapped_column(String(255))
    assignee: Mapped[str | None] = mapped_column(String(255))
    assignee_name: Mapped[str | None] = mapped_column(String(255))
    advice: Mapped[str | None] = mapped_column(Text)
    # The reason code it closed with: a cancel's `reason_code`, an advice's `advice_reason`.
    # `no_place_found` and `no_place` count as unmet demand (`stats.unmet`).
    closed_reason: Mapped[str | None] = mapped_column(String(32))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    placed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReferralEvent(Base):
    """One entry of a referral's timeline: who did what, when, from which status to which,
    and why."""

    __tablename__ = "referral_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(255))
    actor_name: Mapped[str] = mapped_column(String(255))
    # Whose person acted, and in what role: the timeline shows names and free text only to
    # that organisation and the RAP (services/triage/referrals/timeline.py).
    actor_organisation_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    actor_role: Mapped[str] = mapped_column(String(16), default="system")
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class Reservation(Base):
    """A place held at a facility for one referral, waiting for the provider's yes or no.

    Part of the referral's record: a referral has at most one live reservation, its status
    follows it, and a provider sees the referral while it holds one. The use cases that
    create and answer reservations live in `services.triage.reservations`.

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
    # Booked by the referrer itself (ELV), not by a triagist: the referrer may release it.
    direct_booking: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(255))
    reason_code: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    # Contacts as they were when the place was reserved (see `schemas.PlaceContact` and
    # `schemas.ReservingOrganisation`): how to reach the location, and who reserved it.
    facility_contact: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    reserved_by: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
