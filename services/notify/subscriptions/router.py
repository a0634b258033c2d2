import uuid
from datetime import datetime

from fastapi import Response, status

from services.notify.base import Idempotency
from services.notify.subscriptions import service
from services.notify.subscriptions.schemas import (
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
    present,
    present_created,
)
from shared.auth import Professional, authenticated_router
from shared.db import DbSession
from shared.errors import problem_responses
from shared.pagination import Cursor, Limit, Page, decode_cursor, page
from shared.settings import AppSettings

router = authenticated_router(prefix="/api/v1/subscriptions", tags=["subscriptions"])


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
    capacity events that match the filter. A webhook subscription answers its signing
    `secret` (`whsec_…`) in this response only: keep it."""
    if (replay := await idempotency.replay()) is not None:
        return replay
    subscription, secret = await service.create(session, principal, settings, body)
    return await idempotency.respond(201, present_created(subscription, secret))


@router.get("", response_model=Page[SubscriptionOut], responses=problem_responses(401, 403, 422))
async def list_subscriptions(
    principal: Professional, session: DbSession, limit: Limit = 50, cursor: Cursor = None
) -> Page[SubscriptionOut]:
    """Your own subscriptions, oldest first. Secrets are never shown again."""
    after = decode_cursor(cursor, datetime.fromisoformat, uuid.UUID)
    rows = await service.list_page(session, principal, after=after, limit=limit + 1)
    items = [present(row) for row in rows]
    return page(items, limit, lambda item: (item.created_at.isoformat(), item.id))


@router.get(
    "/{subscription_id}",
    response_model=SubscriptionOut,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_subscription(
    subscription_id: uuid.UUID, principal: Professional, session: DbSession
) -> SubscriptionOut:
    """One of your subscriptions, with its status (`disabled` after a `410 Gone`)."""
    subscription = await service.get(session, principal, subscription_id)
    return present(subscription)


@router.delete(
    "/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 422),
)
async def delete_subscription(
    subscription_id: uuid.UUID, principal: Professional, session: DbSession
) -> Response:
    """Stop one of your subscriptions; its delivery log goes with it."""
    await service.delete(session, principal, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
