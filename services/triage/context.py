"""What a use case that waits on the capacity service works with, as one dependency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.triage.capacity_client import CapacityApi, CapacityClient
from shared.db import DbSession
from shared.settings import AppSettings, Settings


@dataclass(frozen=True, slots=True)
class Context:
    """The request's session (its one transaction, committed before the response), short
    sessions of its own for reads that must not keep a connection while capacity answers,
    the capacity client and the settings."""

    session: AsyncSession
    sessions: async_sessionmaker[AsyncSession]
    capacity: CapacityClient
    settings: Settings


def _context(
    request: Request, session: DbSession, capacity: CapacityApi, settings: AppSettings
) -> Context:
    return Context(
        session=session,
        sessions=request.app.state.database.sessions,
        capacity=capacity,
        settings=settings,
    )


TriageContext = Annotated[Context, Depends(_context)]
