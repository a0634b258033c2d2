"""When a report is stale: older than its place type's time-to-live. Unknown is not zero."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, case, func

from services.capacity.capacity.models import CapacityState
from shared import reference
from shared.settings import Settings


def ttl_seconds(settings: Settings) -> dict[str, float]:
    """Each place type's time-to-live in seconds (`reference.ttl_seconds`)."""
    return reference.ttl_seconds(settings.stale_ttl_hours)


def is_stale(place_type: str, observed_at: datetime, now: datetime, settings: Settings) -> bool:
    return (now - observed_at).total_seconds() > ttl_seconds(settings)[place_type]


def stale_expression(settings: Settings) -> ColumnElement[bool]:
    """SQL: whether a capacity row's report is older than its time-to-live."""
    ttl = case(
        *[(CapacityState.place_type == code, secs) for code, secs in ttl_seconds(settings).items()],
        else_=0.0,
    )
    return func.extract("epoch", func.now() - CapacityState.observed_at) > ttl


def free_expression() -> ColumnElement[int]:
    """SQL: free = max(available - held, 0)."""
    return func.greatest(CapacityState.available - CapacityState.held, 0)
