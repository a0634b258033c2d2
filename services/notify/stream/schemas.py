from datetime import datetime

from pydantic import BaseModel, Field


class TicketOut(BaseModel):
    ticket: str = Field(
        description="Opens one stream as `GET /api/v1/stream?ticket=…`; shown only here."
    )
    expires_at: datetime = Field(description="Unused after this moment, it is refused.")
