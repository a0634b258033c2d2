from pydantic import BaseModel, Field

from shared.contracts.capacity import TrackRecord

__all__ = ["Compliance", "TrackRecord"]


class Compliance(BaseModel):
    regions: list[str] = Field(description="The regions covered (a ROAZ with its zorgkantoren).")
    days: int = Field(description="The window of every record: the last this many days.")
    items: list[TrackRecord] = Field(
        description="Every location with its record, worst first: overdue now, then the "
        "least fresh, then the most `no_capacity` declines and expiries."
    )
