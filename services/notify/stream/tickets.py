"""Stream tickets: a page asks for one (server-side, with the user's token) and hands only
the ticket to the browser, whose `EventSource` opens the stream with `?ticket=`. A ticket
is random, stored as a hash, valid for a minute and for one stream; the stream it opens has
the rights of the credential that asked for it, and ends when that credential expires or
its session is signed out."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Literal, cast

from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.stream import repository
from services.notify.stream.models import StreamTicket
from shared import ended_tokens
from shared.auth import Principal

PREFIX = "zst_"


def _hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


async def issue(
    session: AsyncSession, principal: Principal, now: datetime, seconds: float
) -> tuple[str, datetime]:
    """A new ticket for `principal`, and when it stops being accepted (never after the
    credential itself)."""
    ticket = PREFIX + secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=seconds)
    if principal.expires_at is not None:
        expires_at = min(expires_at, principal.expires_at)
    record = StreamTicket(
        ticket_hash=_hash(ticket),
        sub=principal.sub,
        name=principal.name[:255],
        org=principal.org,
        roles=sorted(principal.roles),
        regions=list(principal.regions),
        via=principal.via,
        scopes=sorted(principal.scopes),
        on_behalf_of=principal.on_behalf_of,
        session=principal.session,
        credential_expires_at=principal.expires_at,
        expires_at=expires_at,
    )
    await repository.add_ticket(session, record, now)
    return ticket, expires_at


async def redeem(session: AsyncSession, ticket: str, now: datetime) -> Principal | None:
    """The caller a ticket stands for, once; None for an unknown, used or expired one."""
    if not ticket.startswith(PREFIX) or len(ticket) > 100:
        return None
    record = await repository.take_ticket(session, _hash(ticket), now)
    if record is None:
        return None
    if record.session is not None and await ended_tokens.ended_sessions(session, [record.session]):
        return None  # signed out since
    return Principal(
        sub=record.sub,
        name=record.name,
        org=record.org,
        roles=frozenset(record.roles),
        regions=tuple(record.regions),
        via=cast(Literal["jwt", "api_key"], record.via),
        scopes=frozenset(record.scopes),
        on_behalf_of=record.on_behalf_of,
        session=record.session,
        expires_at=record.credential_expires_at,
    )
