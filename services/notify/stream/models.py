import uuid
from datetime import datetime

from sqlalchemy import DateTime, String, func
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.notify.base import Base


class StreamTicket(Base):
    """A short-lived, single-use pass to open one live stream, so a web page never holds
    the user's token. It carries the rights of the credential that asked for it and when
    that credential expires; only its hash is stored."""

    __tablename__ = "stream_tickets"

    ticket_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    org: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    regions: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    via: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    on_behalf_of: Mapped[str | None] = mapped_column(String(255))
    # The sign-in of the token that asked (see shared/ended_tokens): signing out ends it.
    session: Mapped[str | None] = mapped_column(String(32))
    credential_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
