"""Subscriptions: who wants which events, by webhook or e-mail, and what they may see."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.audience import EventFilter, Viewer, types_or_none
from services.notify.subscriptions import repository, targets
from services.notify.subscriptions.models import Subscription
from services.notify.subscriptions.schemas import SubscriptionIn
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.settings import Settings

MAX_PER_OWNER = 100
SCOPE = "subscriptions:write"


def ensure_may_subscribe(principal: Principal) -> None:
    """Tokens carry a person's rights; an API key needs the `subscriptions:write` scope."""
    if not principal.allows(SCOPE):
        raise Forbidden(f"This API key lacks the scope '{SCOPE}'.")


async def create(
    session: AsyncSession, principal: Principal, settings: Settings, data: SubscriptionIn
) -> tuple[Subscription, str | None]:
    """Subscribe the caller. A webhook gets a new signing secret, returned here only.
    The caller's organisation, roles and regions are kept with it: the subscription sees
    what the caller may see."""
    ensure_may_subscribe(principal)
    try:
        if data.channel == "webhook":
            await targets.check_webhook_url(data.target, settings.webhook_allow_private)
        else:
            targets.check_email(data.target)
    except targets.UnsafeTarget as exc:
        raise Invalid(f"The target cannot be used: {exc}.", loc=["body", "target"]) from exc
    wanted = data.filter
    if wanted is not None and (wanted.near is None) != (wanted.radius_km is None):
        missing = "radius_km" if wanted.radius_km is None else "near"
        raise Invalid(
            "A distance filter needs both near and radius_km.", loc=["body", "filter", missing]
        )
    if await repository.count_owned(session, principal.sub) >= MAX_PER_OWNER:
        raise Conflict(f"You have {MAX_PER_OWNER} subscriptions, the most allowed; delete one.")
    secret = targets.new_secret() if data.channel == "webhook" else None
    subscription = Subscription(
        owner_sub=principal.sub,
        owner_name=principal.name[:255],
        owner_org=principal.org,
        owner_roles=sorted(principal.roles),
        owner_regions=list(principal.regions),
        channel=data.channel,
        target=data.target,
        event_types=data.event_types,
        filter_place_types=wanted.place_types if wanted else None,
        filter_region=wanted.region if wanted else None,
        filter_lat=wanted.near.lat if wanted and wanted.near else None,
        filter_lon=wanted.near.lon if wanted and wanted.near else None,
        filter_radius_km=wanted.radius_km if wanted else None,
        secret=secret,
        status="active",
    )
    added = await repository.add(session, subscription)
    await audit.record(
        session, principal, action="create", object_type="subscription", object_id=added.id
    )
    return added, secret


async def get(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID
) -> Subscription:
    """One of the caller's own subscriptions; 404 for anyone else's."""
    subscription = await repository.get_owned(session, subscription_id, principal.sub)
    if subscription is None:
        raise NotFound("No such subscription.")
    return subscription


async def list_page(
    session: AsyncSession,
    principal: Principal,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Subscription]:
    """The caller's own subscriptions, oldest first."""
    return await repository.list_owned(session, principal.sub, after=after, limit=limit)


async def delete(session: AsyncSession, principal: Principal, subscription_id: uuid.UUID) -> None:
    """Stop a subscription; its deliveries go with it."""
    ensure_may_subscribe(principal)
    subscription = await get(session, principal, subscription_id)
    await repository.remove(session, subscription.id)
    await audit.record(
        session, principal, action="delete", object_type="subscription", object_id=subscription.id
    )


def viewer_of(subscription: Subscription) -> Viewer:
    """The owner as they were when they subscribed."""
    return Viewer(
        sub=subscription.owner_sub,
        org=subscription.owner_org,
        roles=frozenset(subscription.owner_roles),
        regions=tuple(subscription.owner_regions),
    )


def filter_of(subscription: Subscription) -> EventFilter:
    """What the subscription asked for: its event types and filter."""
    near = (
        (subscription.filter_lat, subscription.filter_lon)
        if subscription.filter_lat is not None and subscription.filter_lon is not None
        else None
    )
    return EventFilter(
        event_types=frozenset(subscription.event_types),
        place_types=types_or_none(subscription.filter_place_types),
        region=subscription.filter_region,
        near=near,
        radius_km=subscription.filter_radius_km,
    )
