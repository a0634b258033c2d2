"""`Idempotency-Key` on POSTs that create something: a repeat with the same body answers the
first response; a repeat with another body is 422.

The key row is inserted in the request's own transaction. A concurrent repeat blocks on that
row until the first request commits (then it replays) or rolls back (then it runs itself).

A request that must call another service before it writes (a reservation holds a place at
the capacity service first) looks for an earlier answer without claiming the key
(`earlier_answer`), and names what it creates elsewhere with an id that is the same for
every repeat (`stable_id`), so a retry finds the same thing again."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.auth import CurrentPrincipal
from shared.db import DbSession
from shared.errors import Invalid

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def idempotency_table(metadata: MetaData) -> Table:
    """The idempotency table of one service, in that service's schema."""
    return Table(
        "idempotency_keys",
        metadata,
        Column("owner", String(255), primary_key=True),
        Column("route", String(255), primary_key=True),
        Column("key", String(MAX_KEY_LENGTH), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer),
        Column("response", JSONB),
        Column("created_at", DateTime(timezone=True), server_default=func.now(), index=True),
    )


def _fingerprint(body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


class IdempotentCall:
    """The idempotency state of one request."""

    def __init__(
        self, table: Table, session: Any, key: str | None, owner: str, route: str, fingerprint: str
    ) -> None:
        self.table, self.session, self.key = table, session, key
        self.owner, self.route, self.fingerprint = owner, route, fingerprint

    def stable_id(self, namespace: uuid.UUID) -> uuid.UUID:
        """A new id, or — with a key — the same id for every repeat of this key and body."""
        if self.key is None:
            return uuid.uuid4()
        return uuid.uuid5(namespace, f"{self.owner}\n{self.route}\n{self.key}\n{self.fingerprint}")

    async def earlier_answer(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> JSONResponse | None:
        """The stored answer to an earlier request with this key, read in a short session of
        its own without claiming the key; None when there is none yet or the first request is
        still running (its row decides later). 422 when the key came with another body."""
        if self.key is None:
            return None
        t = self.table
        async with sessions() as session:
            row = (
                await session.execute(
                    select(t.c.request_hash, t.c.status_code, t.c.response).where(
                        t.c.owner == self.owner, t.c.route == self.route, t.c.key == self.key
                    )
                )
            ).first()
        if row is None or row.status_code is None:
            return None
        return self._answer(row)

    def _answer(self, row: Any) -> JSONResponse:
        if row.request_hash != self.fingerprint:
            raise Invalid(
                "This Idempotency-Key was used before with a different body.",
                loc=["header", HEADER],
            )
        return JSONResponse(
            row.response, status_code=row.status_code, headers={"Idempotent-Replayed": "true"}
        )

    async def replay(self) -> JSONResponse | None:
        """The first response to this key, or None when this request is the first."""
        if self.key is None:
            return None
        t = self.table
        inserted = await self.session.execute(
            insert(t)
            .values(owner=self.owner, route=self.route, key=self.key, request_hash=self.fingerprint)
            .on_conflict_do_nothing()
            .returning(t.c.key)
        )
        if inserted.first() is not None:
            return None
        row = (
            await self.session.execute(
                select(t.c.request_hash, t.c.status_code, t.c.response).where(
                    t.c.owner == self.owner, t.c.route == self.route, t.c.key == self.key
                )
            )
        ).one()
        return self._answer(row)

    async def respond(self, status_code: int, content: Any) -> JSONResponse:
        """Answer, and keep the answer for repeats of this key."""
        body = jsonable_encoder(content)
        if self.key is not None:
            t = self.table
            await self.session.execute(
                update(t)
                .where(t.c.owner == self.owner, t.c.route == self.route, t.c.key == self.key)
                .values(status_code=status_code, response=body)
            )
        return JSONResponse(body, status_code=status_code)


def idempotency(table: Table) -> Callable[..., Awaitable[IdempotentCall]]:
    """A dependency giving the endpoint its `IdempotentCall` against `table`."""

    async def dependency(
        request: Request, session: DbSession, principal: CurrentPrincipal
    ) -> IdempotentCall:
        key = request.headers.get(HEADER)
        if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
            raise Invalid(
                f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters.", loc=["header", HEADER]
            )
        # The concrete path, not the route template: one key sent for two organisations or
        # two referrals is two requests, not a repeat.
        return IdempotentCall(
            table,
            session,
            key,
            principal.sub,
            f"{request.method} {request.url.path}"[:255],
            _fingerprint(await request.body()),
        )

    return dependency


def idempotency_dependency(table: Table) -> Any:
    """`Annotated[IdempotentCall, Depends(...)]` for a service's table."""
    return Annotated[IdempotentCall, Depends(idempotency(table))]
