"""Short sessions of their own, for work that must not keep a database connection while
it waits on the capacity service."""

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


def _sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.database.sessions
    return sessions


Sessions = Annotated[async_sessionmaker[AsyncSession], Depends(_sessions)]
