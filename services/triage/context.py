"""What a use case that waits on the capacity service works with, as one dependency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.triage.capacity_client import CapacityApi, CapacityClient
from shared.clock import Now
from shared.db import DbSession
from shared.settings import AppSettings, Settings


@dataclass(frozen=True, slots=True)
class Context:
    """The request's session (its one transaction, committed before the response), short
    sessions of its own for reads that must not keep a connection while capacity answers,
    the capacity client, the settings and the request's moment (the care rules' clock)."""

    session: AsyncSession
    sessions: async_sessionmaker[AsyncSession]
    capacity: CapacityClient
    settings: Settings
    now: datetime


def _context(
    request: Request, session: DbSession, capacity: CapacityApi, settings: AppSettings, now: Now
) -> Context:
    return Context(
        session=session,
        sessions=request.app.state.database.sessions,
        capacity=capacity,
        settings=settings,
        now=now,
    )


TriageContext = Annotated[Context, Depends(_context)]
