"""When a report is stale: older than its place type's time-to-live. Unknown is not zero.
Before that, at three quarters of it, the report is due: time to report again."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, DateTime, bindparam, case, func, null

from services.capacity.capacity.models import CapacityState
from shared import reference
from shared.settings import Settings


def ttl_seconds(settings: Settings) -> dict[str, float]:
    """Each place type's time-to-live in seconds (`reference.ttl_seconds`)."""
    return reference.ttl_seconds(settings.stale_ttl_hours)


ReminderStage = Literal["due", "stale"]

# The share of the time-to-live after which the organisation is reminded to report again.
DUE_AT_SHARE = 0.75


def is_stale(place_type: str, observed_at: datetime, now: datetime, settings: Settings) -> bool:
    return (now - observed_at).total_seconds() > ttl_seconds(settings)[place_type]


def stale_at(place_type: str, observed_at: datetime, settings: Settings) -> datetime:
    """The moment a report goes stale: report again before it."""
    return observed_at + timedelta(seconds=ttl_seconds(settings)[place_type])


def is_due(place_type: str, observed_at: datetime, now: datetime, settings: Settings) -> bool:
    """Whether a report has reached the moment to report again (stale ones too)."""
    ttl = ttl_seconds(settings)[place_type]
    return (now - observed_at).total_seconds() >= ttl * DUE_AT_SHARE


def reminder_stage_expression(settings: Settings, now: datetime) -> ColumnElement[str | None]:
    """SQL: the reminder a capacity row has reached at `now`: 'stale' past its time-to-live,
    'due' from three quarters of it, else NULL."""
    ttls = ttl_seconds(settings)
    ttl = case(*[(CapacityState.place_type == code, s) for code, s in ttls.items()], else_=0.0)
    moment = bindparam("reminder_now", now, DateTime(timezone=True))
    age = func.extract("epoch", moment - CapacityState.observed_at)
    return case((age > ttl, "stale"), (age >= ttl * DUE_AT_SHARE, "due"), else_=null())


def stale_expression(settings: Settings) -> ColumnElement[bool]:
    """SQL: whether a capacity row's report is older than its time-to-live."""
    return stale_expression_of(ttl_seconds(settings))


def stale_expression_of(ttl_by_place_type: dict[str, float]) -> ColumnElement[bool]:
    """SQL: the same, for these times-to-live in seconds."""
    ttl = case(
        *[(CapacityState.place_type == code, secs) for code, secs in ttl_by_place_type.items()],
        else_=0.0,
    )
    return func.extract("epoch", func.now() - CapacityState.observed_at) > ttl


def free_expression() -> ColumnElement[int]:
    """SQL: free = max(available - held, 0)."""
    return func.greatest(CapacityState.available - CapacityState.held, 0)
