"""Tokens whose session has ended: signing out records the token here until it would have
expired, and every service refuses it from then on. Tokens are known by their SHA-256."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import DateTime, Index, String, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import KernelBase

SESSION_ID_LENGTH = 32


class EndedToken(KernelBase):
    __tablename__ = "ended_tokens"
    __table_args__ = (
        Index("ix_ended_tokens_expires_at", "expires_at"),
        {"schema": "access"},
    )

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # When the token expires anyway; the row is of no use after that.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_id(token: str) -> str:
    """The session a token stands for in the audit log: the first half of its hash, the
    same for every request of one sign-in and of no use to anyone who reads the log."""
    return token_hash(token)[:SESSION_ID_LENGTH]


@cache
def _ended_sql(dialect: Dialect) -> str:
    """The look-up of one token, compiled once: it runs on every request."""
    query = select(EndedToken.token_hash).where(EndedToken.token_hash == bindparam("hash"))
    return str(query.compile(dialect=dialect))


async def has_ended(connection: AsyncConnection, token: str) -> bool:
    """Whether the token's session has ended: asked of the database on every request, so a
    sign-out takes effect at once in every service."""
    result = await connection.exec_driver_sql(_ended_sql(connection.dialect), (token_hash(token),))
    return result.first() is not None


async def ended_sessions(session: AsyncSession, sessions: Collection[str]) -> set[str]:
    """Which of `sessions` (see `session_id`) have ended: a long-lived stream asks this
    from time to time, as it holds no token to check."""
    if not sessions:
        return set()
    prefix = func.left(EndedToken.token_hash, SESSION_ID_LENGTH)
    return set(await session.scalars(select(prefix).where(prefix.in_(sorted(sessions)))))


async def end(session: AsyncSession, token: str, expires_at: datetime) -> None:
    """End the token's session for good; rows of tokens expired since are dropped."""
    await session.execute(
        insert(EndedToken)
        .values(token_hash=token_hash(token), expires_at=expires_at)
        .on_conflict_do_nothing(index_elements=[EndedToken.token_hash])
    )
    await session.execute(delete(EndedToken).where(EndedToken.expires_at < datetime.now(UTC)))
