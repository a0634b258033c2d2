"""The audit trail of referrals (NEN 7513): every read and write of a referral — who, on
whose behalf, what, which referral, when, from where, and the outcome — and the trail read
back by auditors.

A request's trail is written when the endpoint ends. On success it goes into the request's
own transaction, so it commits with the change. On failure that transaction rolls back, so
the trail is written in a short transaction of its own: refused and denied attempts are
exactly the ones an auditor looks for."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.audit import repository
from services.triage.audit.schemas import AuditEntryOut
from shared import audit
from shared.audit import client_address
from shared.auth import CurrentPrincipal, Principal, ensure_role
from shared.db import DbSession
from shared.errors import DomainError, Forbidden, NotFound, Unavailable
from shared.observability import request_id
from shared.pagination import Page, decode_cursor, page

OBJECT_TYPE = "referral"
log = logging.getLogger("zorgplek.triage.audit")


class Hidden(NotFound):
    """The referral exists but the caller may not see it: answered as 404, never revealing
    that it exists, and audited as `denied`."""

    def __init__(self) -> None:
        super().__init__("No such referral.")


@dataclass(slots=True)
class Trail:
    """The referrals one request touched, and how."""

    principal: Principal
    action: str
    source_address: str | None
    referral_ids: list[uuid.UUID] = field(default_factory=list)

    def about(self, *referral_ids: uuid.UUID) -> None:
        """Name the referrals this request reads or writes."""
        for referral_id in referral_ids:
            if referral_id not in self.referral_ids:
                self.referral_ids.append(referral_id)

    def entries(self, outcome: str) -> list[dict[str, Any]]:
        base = {
            "actor": self.principal.sub,
            "actor_name": self.principal.name,
            "on_behalf_of": self.principal.on_behalf_of,
            "role": ",".join(sorted(self.principal.roles)),
            "organisation_id": self.principal.org,
            "action": self.action,
            "object_type": OBJECT_TYPE,
            "source_address": self.source_address,
            "request_id": request_id.get(),
            "session_id": self.principal.session,
            "outcome": outcome,
        }
        ids: list[uuid.UUID | None] = list(self.referral_ids) or [None]
        return [{**base, "object_id": str(i) if i else None} for i in ids]


def outcome_of(exc: BaseException) -> str:
    """The audit outcome of a failed request."""
    if isinstance(exc, Hidden | Forbidden):
        return "denied"
    if isinstance(exc, NotFound):
        return "not_found"
    if isinstance(exc, RequestValidationError):
        return "refused"
    if isinstance(exc, Unavailable) or not isinstance(exc, DomainError):
        return "error"
    return "refused"


async def write(session: AsyncSession, trail: Trail, outcome: str) -> None:
    """Append the trail's entries in `session`'s transaction."""
    await repository.append(session, trail.entries(outcome))


def audited(action: str) -> Any:
    """A dependency giving the endpoint its `Trail` for `action`, and writing the trail when
    the endpoint ends (before the response is sent)."""

    async def dependency(
        request: Request, principal: CurrentPrincipal, session: DbSession
    ) -> AsyncIterator[Trail]:
        trail = Trail(principal=principal, action=action, source_address=client_address(request))
        path_id = request.path_params.get("referral_id")
        if path_id:
            try:
                trail.about(uuid.UUID(str(path_id)))
            except ValueError:
                pass
        try:
            yield trail
        except Exception as exc:
            # The request's work is rolled back; the attempt itself must still be on record,
            # so it gets a transaction of its own on the same connection.
            try:
                await session.rollback()
                await write(session, trail, outcome_of(exc))
                await session.commit()
            except Exception:
                # The database itself failed: the original error is the one to answer.
                log.exception("could not write the audit entry of a failed request")
            raise
        await write(session, trail, "success")

    return Depends(dependency, scope="function")


@dataclass(frozen=True, slots=True)
class TrailQuery:
    """What an auditor asks of the trail; every part optional."""

    referral_id: uuid.UUID | None = None
    actor: str | None = None
    start: datetime | None = None
    end: datetime | None = None


async def read_trail(
    session: AsyncSession,
    principal: Principal,
    query: TrailQuery,
    *,
    limit: int,
    cursor: str | None,
) -> Page[AuditEntryOut]:
    """The trail for an auditor, newest first. Reading it is recorded like any other
    access, under the referral asked about; anyone else is refused, and that is recorded
    too (in a transaction of its own, as the request's own is rolled back)."""
    about = str(query.referral_id) if query.referral_id else None
    try:
        ensure_role(principal, "auditor", doing="read the audit trail", any_api_key=True)
    except Forbidden:
        await session.rollback()
        await audit.record(
            session,
            principal,
            action="read",
            object_type="audit_log",
            object_id=about,
            outcome="denied",
        )
        await session.commit()
        raise
    position = decode_cursor(cursor, int)
    rows = await repository.trail(
        session,
        object_id=about,
        actor=query.actor,
        start=query.start,
        end=query.end,
        before_id=position[0] if position else None,
        limit=limit + 1,
    )
    await audit.record(session, principal, action="read", object_type="audit_log", object_id=about)
    return page([AuditEntryOut.model_validate(r) for r in rows], limit, lambda e: [e.id])
