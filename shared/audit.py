"""The append-only audit log of NEN 7513: who did what to which record, when, from where,
and with what outcome. The database refuses to change or delete a row."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import Request
from sqlalchemy import BigInteger, DateTime, Identity, Index, String, func, insert
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.auth import Principal
from shared.db import KernelBase
from shared.observability import client_address as current_client_address
from shared.observability import request_id


class AuditEntry(KernelBase):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_object", "object_type", "object_id", "at"),
        {"schema": "audit"},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(255))  # the user's `sub`
    actor_name: Mapped[str] = mapped_column(String(255))
    on_behalf_of: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(64))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    action: Mapped[str] = mapped_column(String(64))  # read, create, update, list, ...
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    source_address: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    # The sign-in the action was taken in (a hash of its token; see shared/ended_tokens.py).
    session_id: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(32))  # success, denied, not_found, error


async def record(
    session: AsyncSession,
    principal: Principal,
    *,
    action: str,
    object_type: str,
    object_id: uuid.UUID | str | None,
    outcome: str = "success",
    source_address: str | None = None,
) -> None:
    """Append one audit entry in the caller's transaction: who (`principal`, on whose
    behalf, in which sign-in), did what (`action`) to which record, with what outcome. The
    request's id and client address (behind trusted proxies) are filled in; outside a
    request (the CLI, background loops) they are empty."""
    # Inline: nothing is fetched back (no RETURNING of the id); services may insert here
    # but never read (shared/roles.py).
    entry = {
        "actor": principal.sub,
        "actor_name": principal.name,
        "on_behalf_of": principal.on_behalf_of,
        "role": ",".join(sorted(principal.roles)),
        "organisation_id": principal.org,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id) if object_id is not None else None,
        "source_address": source_address or current_client_address.get(),
        "request_id": request_id.get(),
        "session_id": principal.session,
        "outcome": outcome,
    }
    await session.execute(insert(AuditEntry).inline().values(entry))


def client_address(request: Request) -> str | None:
    """The client's address (the right-most untrusted hop behind trusted proxies)."""
    return request.client.host if request.client else None
