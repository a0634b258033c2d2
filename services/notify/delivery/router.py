import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query

from services.notify.delivery import service
from services.notify.delivery.schemas import DeliveryOut, DeliveryStatus
from services.notify.subscriptions.rights import notify_router
from shared.auth import Professional
from shared.db import DbSession
from shared.errors import problem_responses
from shared.pagination import Cursor, Limit, Page, decode_cursor, page

router = notify_router(prefix="/api/v1/deliveries", tags=["deliveries"])


@router.get("", response_model=Page[DeliveryOut], responses=problem_responses(401, 403, 404, 422))
async def list_deliveries(
    principal: Professional,
    session: DbSession,
    subscription_id: Annotated[uuid.UUID | None, Query()] = None,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DeliveryOut]:
    """The delivery log of your subscriptions (an admin sees every subscription's),
    newest first: each attempt's outcome and when the next one is due."""
    before = decode_cursor(cursor, datetime.fromisoformat, uuid.UUID)
    rows = await service.list_page(
        session,
        principal,
        subscription_id=subscription_id,
        status=status,
        before=before,
        limit=limit + 1,
    )
    items = [DeliveryOut.model_validate(row) for row in rows]
    return page(items, limit, lambda item: (item.created_at.isoformat(), item.id))


@router.post(
    "/{delivery_id}/redeliver",
    response_model=DeliveryOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def redeliver(
    delivery_id: uuid.UUID, principal: Professional, session: DbSession
) -> DeliveryOut:
    """Queue a delivery again — typically a `dead` one after the receiver was fixed — with
    a fresh retry schedule. The event keeps its id (`webhook-id`), so a receiver that got
    it before can tell."""
    delivery = await service.redeliver(session, principal, delivery_id, datetime.now(UTC))
    return DeliveryOut.model_validate(delivery)
