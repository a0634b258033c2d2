import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DeliveryStatus = Literal["pending", "delivered", "failed", "dead"]


class DeliveryOut(BaseModel):
    """One event for one subscription. `last_status_code` is the receiver's HTTP status
    (webhooks) or the SMTP reply code (e-mail)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    subscription_id: uuid.UUID
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None = Field(
        description="When the next attempt is due; null once delivered or dead."
    )
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
