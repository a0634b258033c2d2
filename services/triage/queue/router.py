import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import Query
from pydantic import AfterValidator

from services.triage.audit.service import Trail, audited
from services.triage.queue import service
from services.triage.queue.schemas import QueueItem
from services.triage.referrals.schemas import Urgency, check_region, referral_out
from services.triage.referrals.service import ReferralView
from shared.auth import CurrentPrincipal, authenticated_router
from shared.db import DbSession
from shared.errors import problem_responses
from shared.pagination import Cursor, Limit, Page, decode_cursor, page

router = authenticated_router(prefix="/api/v1/queue", tags=["queue"])
OpenStatus = Literal["submitted", "in_triage", "searching", "reserved"]


@router.get("", response_model=Page[QueueItem], responses=problem_responses(401, 403, 422))
async def queue(
    principal: CurrentPrincipal,
    session: DbSession,
    trail: Annotated[Trail, audited("queue")],
    region: Annotated[str | None, AfterValidator(lambda v: v and check_region(v)), Query()] = None,
    status: Annotated[list[OpenStatus] | None, Query()] = None,
    urgency: Annotated[list[Urgency] | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[QueueItem]:
    """Open referrals of the triagist's regions, most urgent first (by `due_at`), each with
    its waiting time, time left, whether it is overdue, its assignee (`claimable` when it
    has none) and the number of declines so far."""
    after = decode_cursor(cursor, datetime.fromisoformat, uuid.UUID)
    rows = await service.open_referrals(
        session,
        trail,
        principal,
        region=region,
        statuses=status or [],
        urgencies=urgency or [],
        after=after,
        limit=limit + 1,
    )
    now = datetime.now(UTC)

    def item(view: ReferralView) -> QueueItem:
        waiting, left, overdue = service.timing(view, now)
        base = referral_out(view.referral, view.reservation, view.declines)
        return QueueItem(
            **base.model_dump(),
            waiting_seconds=waiting,
            time_left_seconds=left,
            overdue=overdue,
            claimable=service.claimable(view),
        )

    paged = page(rows, limit, lambda view: (view.referral.due_at.isoformat(), view.referral.id))
    return paged.map(item)
