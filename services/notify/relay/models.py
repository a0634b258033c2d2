from datetime import datetime

from sqlalchemy import BigInteger, DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from services.notify.base import Base

DELIVERY_RELAY = "deliveries"


class RelayCursor(Base):
    """How far a reader of the outbox has come, kept durably.

    The outbox is read in windows of transaction ids: a window `[horizon, window_end)` is
    opened at the oldest transaction of this database still running, so every row in it has
    committed (or never will) and the window's set of rows cannot change. Inside a window rows go in
    position order; `last_position` is the last one processed. When a window is done,
    `horizon` moves to its end. A row that commits late with a lower position lands in a
    later window, never behind the cursor."""

    __tablename__ = "relay_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    horizon: Mapped[int] = mapped_column(BigInteger)
    window_end: Mapped[int | None] = mapped_column(BigInteger)
    last_position: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
