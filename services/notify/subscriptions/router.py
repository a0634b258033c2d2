import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query, Response, status

from services.notify.base import Idempotency
from services.notify.subscriptions import service
from services.notify.subscriptions.rights import notify_router
from services.notify.subscriptions.schemas import (
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
    present,
    present_created,
)
from shared.auth import Professional
from shared.db import DbSession
from shared.errors import problem_responses
from shared.pagination import Cursor, Limit, Page, decode_cursor, page
from shared.settings import AppSettings

router = notify_router(prefix="/api/v1/subscriptions", tags=["subscriptions"])


def _now() -> datetime:
    return datetime.now(UTC)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SubscriptionCreated,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_subscription(
    body: SubscriptionIn,
    principal: Professional,
    session: DbSession,
    settings: AppSettings,
    idempotency: Idempotency,
) -> object:
    """Subscribe to events by webhook or e-mail. You receive what you may see: referral and
    reservation events of your own organisation's referrals (triagists: of their regions),
    capacity events that match the filter — judged by your present rights before every
    delivery. A webhook subscription answers its signing `secret` (`whsec_…`) in this
    response only: keep it. It runs for 180 days (`ZORGPLEK_SUBSCRIPTION_TTL_DAYS`) unless
    renewed. An API key needs the scopes `subscriptions:write` and `events:read`, and its
    subscriptions stop when it is revoked."""
    if (replay := await idempotency.replay()) is not None:
        return replay
    subscription, secret = await service.create(session, principal, settings, body, _now())
    return await idempotency.respond(201, present_created(subscription, secret))


@router.get(
    "", response_model=Page[SubscriptionOut], responses=problem_responses(401, 403, 404, 422)
)
async def list_subscriptions(
    principal: Professional,
    session: DbSession,
    organisation_id: Annotated[
        uuid.UUID | None,
        Query(
            description="An organisation's subscriptions instead of your own: for an admin, "
            "and for a provider of that organisation."
        ),
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[SubscriptionOut]:
    """Your own subscriptions, or an organisation's, oldest first. Secrets are never shown
    again."""
    after = decode_cursor(cursor, datetime.fromisoformat, uuid.UUID)
    rows = await service.list_page(
        session, principal, organisation_id=organisation_id, after=after, limit=limit + 1
    )
    now = _now()
    items = [present(row, now) for row in rows]
    return page(items, limit, lambda item: (item.created_at.isoformat(), item.id))


@router.get(
    "/{subscription_id}",
    response_model=SubscriptionOut,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_subscription(
    subscription_id: uuid.UUID, principal: Professional, session: DbSession
) -> SubscriptionOut:
    """One subscription you own or manage, with its status (`disabled` after a `410 Gone`
    or once the API key that made it is revoked; `expired` after `expires_at`)."""
    subscription = await service.get(session, principal, subscription_id)
    return present(subscription)


@router.post(
    "/{subscription_id}/renew",
    response_model=SubscriptionOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def renew_subscription(
    subscription_id: uuid.UUID,
    principal: Professional,
    session: DbSession,
    settings: AppSettings,
) -> SubscriptionOut:
    """Let your own subscription run another 180 days from now, with your present rights.
    An expired one starts again; events of the time between are not sent. Only the owner
    (the same person, or the same API key) renews; 409 for a disabled subscription."""
    subscription = await service.renew(session, principal, settings, subscription_id, _now())
    return present(subscription)


@router.delete(
    "/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 422),
)
async def delete_subscription(
    subscription_id: uuid.UUID, principal: Professional, session: DbSession
) -> Response:
    """Stop a subscription you own, or one of an organisation you manage (an admin; a
    provider for its own organisation — also one whose API key was revoked); its delivery
    log goes with it."""
    await service.delete(session, principal, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
