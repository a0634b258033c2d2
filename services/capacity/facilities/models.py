import uuid
from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, String, func
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.capacity.base import Base


class Facility(Base):
    """A location of a provider where places of one or more types are offered."""

    __tablename__ = "facilities"
    # The search's box around a point (shared.geo.bounding_box) is read from this index.
    __table_args__ = (Index("ix_facilities_lat_lon", "lat", "lon"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    postcode: Mapped[str] = mapped_column(String(7))
    region_code: Mapped[str] = mapped_column(String(64), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    place_types: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    features: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    admission_hours: Mapped[str] = mapped_column(String(8))
    # How to reach it: the address, the admissions number (E.164) and how to call after
    # hours ("na 22:00 via de avonddienst").
    street: Mapped[str | None] = mapped_column(String(100))
    house_number: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(16))
    contact_note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    identifiers: Mapped[list["FacilityIdentifier"]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="(FacilityIdentifier.system, FacilityIdentifier.value)",
    )


class FacilityIdentifier(Base):
    """A code another system knows the facility by (AGB, URA, a FHIR Location id): one
    (system, value) pair names at most one facility in all of Zorgplek."""

    __tablename__ = "facility_identifiers"

    system: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)
    facility_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("facilities.id", ondelete="CASCADE"), index=True
    )
