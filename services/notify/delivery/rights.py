"""Before every attempt: may the subscription's owner still receive this event? Rights are
judged at delivery time, not when the event was fanned out or the subscription made — an
expired subscription sends nothing, an owner whose present rights no longer cover the
event is not sent it, and a subscription whose API key was revoked (or cannot read events)
is disabled with every delivery it still had open."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

from services.notify.audience import EVENTS_SCOPE, Viewer, may_see
from services.notify.delivery.outcome import Outcome
from shared.auth import Principal
from shared.contracts.events import Audience
from shared.errors import Unavailable
from shared.remote_keys import RemoteApiKeys

EXPIRED = "not sent: the subscription expired; renew it to receive events again"
NOT_VISIBLE = "not sent: the owner may no longer see this event"
KEY_UNCHECKED = "not sent yet: the API key that made the subscription could not be checked"
KEY_REVOKED = "the API key that made it was revoked"
KEY_UNSCOPED = f"the API key that made it lacks the scope '{EVENTS_SCOPE}'"


class KeyChecks:
    """Whether API keys are still active, asked of the capacity service once per key for
    one batch of claims (never remembered longer)."""

    def __init__(self, keys: RemoteApiKeys) -> None:
        self._keys = keys
        self._asked: dict[uuid.UUID, asyncio.Future[Principal | None]] = {}

    async def active(self, key_id: uuid.UUID) -> Principal | None:
        asked = self._asked.get(key_id)
        if asked is None:
            asked = asyncio.ensure_future(self._keys.active(key_id))
            self._asked[key_id] = asked
        return await asyncio.shield(asked)


async def refusal(
    *,
    expires_at: datetime,
    viewer: Viewer,
    audience: Audience,
    api_key_id: uuid.UUID | None,
    checks: KeyChecks,
    now: datetime,
) -> Outcome | None:
    """Why this delivery may not be attempted now (as the attempt's outcome), or None."""
    if expires_at <= now:
        return Outcome(False, error=EXPIRED, final=True)
    if not may_see(viewer, audience):
        return Outcome(False, error=NOT_VISIBLE, final=True)
    if api_key_id is not None:
        try:
            key = await checks.active(api_key_id)
        except Unavailable:
            return Outcome(False, error=KEY_UNCHECKED)
        if key is None:
            return Outcome(False, error=f"not sent: {KEY_REVOKED}", disable=KEY_REVOKED)
        if not key.allows(EVENTS_SCOPE):
            return Outcome(False, error=f"not sent: {KEY_UNSCOPED}", disable=KEY_UNSCOPED)
    return None
