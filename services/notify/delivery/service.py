"""Deliveries: claiming due ones, one attempt each, and what follows from its outcome —
delivered, a retry later (with jitter), `dead` after the last try, or a disabled
subscription after `410 Gone`. Claims are short transactions; no lock is held while a
webhook or mail server is being talked to."""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify import metrics
from services.notify.audience import Viewer
from services.notify.delivery import email, repository, rights, webhook
from services.notify.delivery.models import Delivery
from services.notify.delivery.outcome import Outcome
from services.notify.subscriptions import repository as subscriptions
from services.notify.subscriptions.service import SCOPE, viewer_of
from shared.auth import Principal
from shared.contracts.events import Audience, read_audience
from shared.errors import Conflict, Forbidden, NotFound
from shared.settings import Settings

log = logging.getLogger("zorgplek.notify.delivery")

JITTER = 0.2  # each retry waits its scheduled time, give or take 20%
LEASE_MARGIN_SECONDS = 5.0


def lease(settings: Settings) -> timedelta:
    """How long a claim keeps others off: the attempt's timeout and a margin. After it, a
    claim whose worker died is taken up again."""
    return timedelta(seconds=settings.webhook_timeout_seconds + LEASE_MARGIN_SECONDS)


def retry_delay(
    settings: Settings, attempts: int, rng: random.Random | None = None
) -> float | None:
    """Seconds until the next try after `attempts` failed ones; None after the last."""
    schedule = settings.delivery_retry_seconds
    if attempts > len(schedule):
        return None
    jitter = (rng or random).uniform(1 - JITTER, 1 + JITTER)
    return schedule[attempts - 1] * jitter


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery this worker may attempt, with what the attempt needs."""

    delivery_id: uuid.UUID
    claim_token: uuid.UUID
    subscription_id: uuid.UUID
    channel: str
    target: str
    secret: str | None
    owner: Viewer
    api_key_id: uuid.UUID | None
    expires_at: datetime
    audience: Audience
    payload: dict[str, Any]
    event_occurred_at: datetime


async def claim_due(
    session: AsyncSession, settings: Settings, now: datetime, limit: int
) -> list[Claim]:
    """Claim up to `limit` due deliveries, in the caller's (short) transaction. Safe with
    any number of workers: each row goes to one of them."""
    rows = await repository.claim_due(session, now, limit)
    until = now + lease(settings)
    claims = []
    for delivery, subscription in rows:
        delivery.attempts += 1
        delivery.lease_until = until
        delivery.last_attempt_at = now
        delivery.claim_token = uuid.uuid4()
        claims.append(
            Claim(
                delivery_id=delivery.id,
                claim_token=delivery.claim_token,
                subscription_id=subscription.id,
                channel=subscription.channel,
                target=subscription.target,
                secret=subscription.secret,
                owner=viewer_of(subscription),
                api_key_id=subscription.api_key_id,
                expires_at=subscription.expires_at,
                audience=read_audience(delivery.audience),
                payload=delivery.payload,
                event_occurred_at=delivery.event_occurred_at,
            )
        )
    await session.flush()
    return claims


async def attempt(
    claim: Claim,
    settings: Settings,
    http: httpx.AsyncClient,
    checks: rights.KeyChecks,
    now: datetime,
) -> Outcome:
    """Send one claimed delivery, if its owner may still receive it; outside any
    transaction."""
    refused = await rights.refusal(
        expires_at=claim.expires_at,
        viewer=claim.owner,
        audience=claim.audience,
        api_key_id=claim.api_key_id,
        checks=checks,
        now=now,
    )
    if refused is not None:
        return refused
    try:
        if claim.channel == "webhook":
            return await webhook.send(
                http,
                target=claim.target,
                secret=claim.secret or "",
                payload=claim.payload,
                timeout_seconds=settings.webhook_timeout_seconds,
                allow_private=settings.webhook_allow_private,
            )
        message = email.compose(
            settings,
            to=claim.target,
            payload=claim.payload,
            subscription_id=str(claim.subscription_id),
            owner_roles=claim.owner.roles,
        )
        return await email.send(settings, message)
    except Exception as exc:  # one broken delivery must not stop the others
        log.exception("delivery attempt failed unexpectedly")
        return Outcome(False, error=f"internal error: {type(exc).__name__}")


async def record(
    session: AsyncSession, settings: Settings, claim: Claim, outcome: Outcome, now: datetime
) -> str | None:
    """Store how the attempt went and schedule what follows. None when the claim was
    overtaken meanwhile (redelivered, or its subscription deleted)."""
    if outcome.disable is not None:
        # The subscription first, then the delivery: two attempts that both disable it
        # take their locks in the same order, and the second finds its claim ended.
        await subscriptions.lock(session, claim.subscription_id)
    delivery = await repository.lock_claimed(session, claim.delivery_id, claim.claim_token)
    if delivery is None:
        return None
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    delivery.lease_until = None
    delivery.claim_token = None
    if outcome.delivered:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
        latency = (datetime.now(UTC) - claim.event_occurred_at).total_seconds()
        metrics.notification_latency.labels(claim.channel).observe(max(latency, 0.0))
    elif outcome.disable is not None:
        delivery.status, delivery.next_attempt_at = "dead", None
        reason = f"disabled: {outcome.disable}"
        await subscriptions.disable(session, claim.subscription_id, reason, now)
        await session.flush()
        await repository.give_up_open(session, claim.subscription_id, f"subscription {reason}", now)
        log.warning(
            "subscription disabled",
            extra={"subscription_id": str(claim.subscription_id), "reason": outcome.disable},
        )
    elif outcome.final:
        delivery.status, delivery.next_attempt_at = "dead", None
    else:
        delay = retry_delay(settings, delivery.attempts)
        if delay is None:
            delivery.status, delivery.next_attempt_at = "dead", None
        else:
            delivery.status = "failed"
            delivery.next_attempt_at = now + timedelta(seconds=delay)
    metrics.notifications.labels(claim.channel, delivery.status).inc()
    await session.flush()
    return delivery.status


async def redeliver(
    session: AsyncSession, principal: Principal, delivery_id: uuid.UUID, now: datetime
) -> Delivery:
    """Queue a delivery again, whatever its status, with a fresh retry schedule; 409 when
    its subscription was disabled."""
    if not principal.allows(SCOPE):
        raise Forbidden(f"This API key lacks the scope '{SCOPE}'.")
    found = await repository.get_visible(session, delivery_id, _owner_scope(principal))
    if found is None:
        raise NotFound("No such delivery.")
    delivery, subscription = found
    if subscription.status != "active":
        raise Conflict(
            f"The subscription is {subscription.status}"
            + (f" ({subscription.disabled_reason})" if subscription.disabled_reason else "")
            + "; subscribe again to receive events.",
            extra={"subscription_status": subscription.status},
        )
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.lease_until = None
    delivery.claim_token = None
    await session.flush()
    return delivery


async def list_page(
    session: AsyncSession,
    principal: Principal,
    *,
    subscription_id: uuid.UUID | None,
    status: str | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Delivery]:
    """The delivery log, newest first: the caller's own subscriptions', or everyone's for
    an admin."""
    owner = _owner_scope(principal)
    if subscription_id is not None and owner is not None:
        if await subscriptions.get_owned(session, subscription_id, owner) is None:
            raise NotFound("No such subscription.")
    return await repository.list_page(
        session,
        owner_sub=owner,
        subscription_id=subscription_id,
        status=status,
        before=before,
        limit=limit,
    )


async def refresh_gauges(session: AsyncSession) -> None:
    """Set the dead-deliveries gauge from the database."""
    metrics.deliveries_dead.set(await repository.count_dead(session))


def _owner_scope(principal: Principal) -> str | None:
    """Whose deliveries the caller may see: their own, or (admin) everyone's."""
    return None if principal.has("admin") and principal.via == "jwt" else principal.sub
