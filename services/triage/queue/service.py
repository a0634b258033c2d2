"""The RAP queue: open referrals of the triagist's regions, the most urgent first."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage import metrics
from services.triage.audit.service import Trail
from services.triage.queue import repository
from services.triage.referrals import access, lifecycle
from services.triage.referrals.service import ReferralView, views
from services.triage.triagists import service as triagists
from shared import reference
from shared.auth import Principal, ensure_role
from shared.errors import Forbidden


async def open_referrals(
    session: AsyncSession,
    trail: Trail,
    principal: Principal,
    *,
    region: str | None,
    statuses: Sequence[str],
    urgencies: Sequence[str],
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[ReferralView]:
    """The queue of the triagist's regions (narrowed to `region` when given), ordered by
    `due_at`."""
    ensure_role(principal, "triagist", doing="work the queue")
    await triagists.note_at_work(session, principal, datetime.now(UTC))
    regions = access.triagist_regions(principal)
    if region is not None:
        wanted = reference.covered_regions(region)
        if not wanted <= regions:
            raise Forbidden(f"Region {region} is not one of your regions.")
        regions = wanted
    rows = await repository.open_referrals(
        session, regions, statuses=statuses, urgencies=urgencies, after=after, limit=limit
    )
    trail.about(*(r.id for r in rows))
    return await views(session, rows)


def claimable(view: ReferralView) -> bool:
    """Whether a triagist may take the case now: no one has it, and it is still open."""
    return view.referral.assignee is None and view.referral.status in lifecycle.CLAIMABLE


def timing(view: ReferralView, now: datetime) -> tuple[int, int, bool]:
    """Waiting time, time left (negative once due) and whether it is overdue, in seconds."""
    waiting = int((now - view.referral.created_at).total_seconds())
    left = int((view.referral.due_at - now).total_seconds())
    return max(waiting, 0), left, view.referral.due_at <= now


async def refresh_gauges(session: AsyncSession, now: datetime | None = None) -> None:
    """Set `zorgplek_queue_depth` and `zorgplek_queue_oldest_wait_seconds` from the
    database (regions and urgencies are bounded label sets)."""
    now = now or datetime.now(UTC)
    rows = await repository.depth(session)
    metrics.queue_depth.clear()
    metrics.queue_oldest_wait.clear()
    oldest: dict[str, datetime] = {}
    for row in rows:
        metrics.queue_depth.labels(row.region_code, row.urgency).set(row.open)
        if row.region_code not in oldest or row.oldest < oldest[row.region_code]:
            oldest[row.region_code] = row.oldest
    for region_code, since in oldest.items():
        metrics.queue_oldest_wait.labels(region_code).set(max((now - since).total_seconds(), 0))
