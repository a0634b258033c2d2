import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    false,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.capacity.base import Base

# The sources a report may have (`shared.contracts.capacity.ReportSource`), checked by the
# database too; NULL for reports received before sources were kept.
SOURCE_CHECK = "source IN ('page', 'api', 'csv', 'fhir', 'confirm')"


class CapacityState(Base):
    """The current numbers of one place type at one facility.

    `available` is what the provider reported; `held` is what Zorgplek reserved;
    free = max(available - held, 0) is what a searcher may still take."""

    __tablename__ = "capacity"
    __table_args__ = (
        CheckConstraint(
            "staffed >= 0 AND occupied >= 0 AND available >= 0 AND held >= 0",
            name="counts_not_negative",
        ),
        CheckConstraint(SOURCE_CHECK, name="source_known"),
        CheckConstraint("reminded_stage IN ('due', 'stale')", name="reminded_stage_known"),
    )

    facility_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("facilities.id"), primary_key=True)
    place_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    staffed: Mapped[int] = mapped_column(Integer)
    occupied: Mapped[int] = mapped_column(Integer)
    available: Mapped[int] = mapped_column(Integer)
    held: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    expected_available_24h: Mapped[int | None] = mapped_column(Integer)
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # How the applied report came in and who sent it (a person's or an API key's name).
    source: Mapped[str | None] = mapped_column(String(16))
    reported_by: Mapped[str | None] = mapped_column(String(255))
    # The last `capacity.due` reminder sent for the applied report ('due', then 'stale'),
    # so each stage is sent once per report; cleared when a report is applied.
    reminded_stage: Mapped[str | None] = mapped_column(String(8))
    # Set when `capacity.stale` was published, so it is published once per stale spell.
    stale_notified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class CapacityReport(Base):
    """Every report received, applied or not: the history regions plan with."""

    __tablename__ = "capacity_reports"
    __table_args__ = (
        Index(
            "ix_capacity_reports_facility_place_observed",
            "facility_id",
            "place_type",
            "observed_at",
        ),
        # Retention deletes by age (shared/retention.py).
        Index("ix_capacity_reports_received_at", "received_at", postgresql_using="brin"),
        CheckConstraint(SOURCE_CHECK, name="source_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    facility_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    place_type: Mapped[str] = mapped_column(String(32))
    staffed: Mapped[int] = mapped_column(Integer)
    occupied: Mapped[int] = mapped_column(Integer)
    available: Mapped[int] = mapped_column(Integer)
    expected_available_24h: Mapped[int | None] = mapped_column(Integer)
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    applied: Mapped[bool] = mapped_column(Boolean)
    # Who sent it: the caller's `sub` (a person, or `apikey:<id>`) and their name.
    reporter: Mapped[str] = mapped_column(String(255))
    reported_by: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str | None] = mapped_column(String(16))


class HistoryHour(Base):
    """Per whole hour, place type and region: the sum of the last report of every place
    that was still fresh at that hour (unknown is not zero: `reporting` says how many).
    Written only by the database, by a trigger on every insert of reports (migration
    capacity_0009); the regional history reads it."""

    __tablename__ = "history_hours"
    # The sums in the index too: the history reads the index only.
    __table_args__ = (
        PrimaryKeyConstraint(
            "at",
            "place_type",
            "region_code",
            postgresql_include=["available", "staffed", "reporting"],
        ),
    )

    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    place_type: Mapped[str] = mapped_column(String(32))
    region_code: Mapped[str] = mapped_column(String(64))
    available: Mapped[int] = mapped_column(BigInteger)
    staffed: Mapped[int] = mapped_column(BigInteger)
    reporting: Mapped[int] = mapped_column(Integer)
