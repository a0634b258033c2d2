"""Every notify request made with a person's token brings their subscriptions up to date
with that token's claims (see `service.note_rights`), in a transaction of its own, so that
it holds even when the request itself is then refused."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from services.notify.subscriptions import service
from shared.auth import CurrentPrincipal, authenticate


async def note_rights(request: Request, principal: CurrentPrincipal) -> None:
    """Keep the caller's subscriptions on the rights of their newest token."""
    if principal.via != "jwt" or principal.issued_at is None:
        return
    async with request.app.state.database.sessions.begin() as session:
        await service.note_rights(session, principal)


def notify_router(**kwargs: Any) -> APIRouter:
    """A router on which every endpoint needs a caller, and notes a person's rights."""
    return APIRouter(dependencies=[Depends(authenticate), Depends(note_rights)], **kwargs)
