from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.triage.base import Base


class Triagist(Base):
    """A triagist Zorgplek has seen at work (the queue, a claim), with the name and regions
    of their last token: whom a case may be handed to."""

    __tablename__ = "triagists"

    sub: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    regions: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
