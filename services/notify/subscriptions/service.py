"""Subscriptions: who wants which events, by webhook or e-mail, and what they may see.

A subscription is bound to the credential that made it. A person's keeps the claims of the
newest token they showed notify; one an API key made receives only while that key is
active (checked before every delivery). Each ends `subscription_ttl_days` after it was made
or last renewed. Its owner manages it; so do an admin, and a provider for its own
organisation — also when the key that made it has been revoked."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.audience import EventFilter, Viewer, ensure_may_read_events, types_or_none
from services.notify.subscriptions import repository, targets
from services.notify.subscriptions.models import Subscription
from services.notify.subscriptions.schemas import SubscriptionIn
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.settings import Settings

MAX_PER_OWNER = 100
SCOPE = "subscriptions:write"


def ensure_may_manage_own(principal: Principal) -> None:
    """Tokens carry a person's rights; an API key needs the `subscriptions:write` scope."""
    if not principal.allows(SCOPE):
        raise Forbidden(f"This API key lacks the scope '{SCOPE}'.")


def ensure_may_subscribe(principal: Principal) -> None:
    """A subscription receives events: an API key needs `events:read` beside
    `subscriptions:write`."""
    ensure_may_manage_own(principal)
    ensure_may_read_events(principal)


def may_manage_organisation(principal: Principal, organisation_id: uuid.UUID | None) -> bool:
    """An admin manages every organisation's subscriptions, a provider its own
    organisation's; both signed in as a person, as for API keys."""
    if principal.via != "jwt" or organisation_id is None:
        return False
    return principal.has("admin") or (
        principal.has("provider") and principal.belongs_to(organisation_id)
    )


def ensure_may_manage_organisation(principal: Principal, organisation_id: uuid.UUID) -> None:
    """403 for who may never list an organisation's subscriptions, 404 for a provider
    asking after another organisation (its existence is not revealed)."""
    if principal.via != "jwt" or not principal.has("admin", "provider"):
        raise Forbidden(
            "Only an admin, or a provider for its own organisation, signed in as a person, "
            "may manage an organisation's subscriptions."
        )
    if not may_manage_organisation(principal, organisation_id):
        raise NotFound("No such organisation.")


async def create(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    data: SubscriptionIn,
    now: datetime,
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
        owner_claims_issued_at=principal.issued_at,
        api_key_id=principal.api_key_id,
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
        expires_at=now + timedelta(days=settings.subscription_ttl_days),
    )
    subscription = await repository.add(session, subscription)
    await _audit(session, principal, "create", subscription)
    return subscription, secret


async def get(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID
) -> Subscription:
    """A subscription the caller owns or manages (see `may_manage_organisation`); 404 for
    anyone else's."""
    subscription = await repository.get(session, subscription_id)
    if subscription is None or not (
        subscription.owner_sub == principal.sub
        or may_manage_organisation(principal, subscription.owner_org)
    ):
        raise NotFound("No such subscription.")
    return subscription


async def list_page(
    session: AsyncSession,
    principal: Principal,
    *,
    organisation_id: uuid.UUID | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Subscription]:
    """The caller's own subscriptions, or (for who manages it) an organisation's, oldest
    first."""
    if organisation_id is None:
        return await repository.list_page(
            session, owner_sub=principal.sub, after=after, limit=limit
        )
    ensure_may_manage_organisation(principal, organisation_id)
    return await repository.list_page(
        session, organisation_id=organisation_id, after=after, limit=limit
    )


async def delete(
    session: AsyncSession,
    principal: Principal,
    subscription_id: uuid.UUID,
) -> None:
    """Stop a subscription; its deliveries go with it."""
    ensure_may_manage_own(principal)
    subscription = await get(session, principal, subscription_id)
    await repository.remove(session, subscription.id)
    await _audit(session, principal, "delete", subscription)


async def renew(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    subscription_id: uuid.UUID,
    now: datetime,
) -> Subscription:
    """Let the caller's own subscription run `subscription_ttl_days` from now, with the
    caller's present rights; an expired one starts again (what happened meanwhile is not
    sent). 409 for a disabled subscription."""
    ensure_may_subscribe(principal)
    subscription = await repository.get(session, subscription_id)
    if subscription is None or subscription.owner_sub != principal.sub:
        raise NotFound("No such subscription; only its owner renews it.")
    if subscription.status != "active":
        raise Conflict(
            f"The subscription is {subscription.status}"
            + (f" ({subscription.disabled_reason})" if subscription.disabled_reason else "")
            + "; subscribe again to receive events.",
            extra={"subscription_status": subscription.status},
        )
    subscription.expires_at = now + timedelta(days=settings.subscription_ttl_days)
    subscription.renewed_at = now
    stored = subscription.owner_claims_issued_at
    if principal.via == "jwt" and (
        stored is None or (principal.issued_at is not None and principal.issued_at >= stored)
    ):
        subscription.owner_name = principal.name[:255]
        subscription.owner_org = principal.org
        subscription.owner_roles = sorted(principal.roles)
        subscription.owner_regions = list(principal.regions)
        subscription.owner_claims_issued_at = principal.issued_at
    await session.flush()
    await _audit(session, principal, "renew", subscription)
    return subscription


async def note_rights(session: AsyncSession, principal: Principal) -> int:
    """A person's rights are what their newest token says: give their subscriptions the
    claims of this token when it is newer than the one they keep (a role lost, another
    organisation or other regions take effect from the next event on). The number of
    subscriptions changed."""
    if principal.via != "jwt" or principal.issued_at is None:
        return 0
    return await repository.refresh_owner(
        session,
        principal.sub,
        name=principal.name[:255],
        org=principal.org,
        roles=sorted(principal.roles),
        regions=list(principal.regions),
        issued_at=principal.issued_at,
    )


async def _audit(
    session: AsyncSession, principal: Principal, action: str, subscription: Subscription
) -> None:
    await audit.record(
        session, principal, action=action, object_type="subscription", object_id=subscription.id
    )


def viewer_of(subscription: Subscription) -> Viewer:
    """The owner as the subscription knows them now."""
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
