"""KPIs of the referral flow, computed in SQL: outcomes, time to placement, the share
placed in the own region, expired holds and declines per reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.referrals.access import ensure_role, triagist_regions
from services.triage.referrals.lifecycle import STATUSES
from services.triage.referrals.reservation_states import DECLINE_REASONS
from services.triage.stats import repository
from services.triage.stats.schemas import PlacementTimes, Stats
from shared import reference
from shared.auth import Principal
from shared.errors import Forbidden, Invalid

DEFAULT_WINDOW = timedelta(days=30)


def visible_regions(principal: Principal) -> frozenset[str] | None:
    """The regions whose KPIs the caller may see; None means every region (an admin or a
    viewer without regions)."""
    if principal.has("admin", "viewer") and not principal.regions:
        return None
    regions = set(triagist_regions(principal))
    if principal.has("admin", "viewer"):
        for code in principal.regions:
            regions |= reference.covered_regions(code)
    return frozenset(regions)


async def compute(
    session: AsyncSession,
    principal: Principal,
    *,
    region: str | None,
    start: datetime | None,
    end: datetime | None,
) -> Stats:
    """KPIs for `region` (default: every region the caller may see) between `start` and
    `end` (default: the last 30 days)."""
    ensure_role(principal, "triagist", "admin", "viewer", doing="see the KPIs")
    end = end or datetime.now(UTC)
    start = start or end - DEFAULT_WINDOW
    if start >= end:
        raise Invalid("from must lie before to.", loc=["query", "from"])
    regions = visible_regions(principal)
    if region is not None:
        wanted = reference.covered_regions(region)
        if regions is not None and not wanted <= regions:
            raise Forbidden(f"Region {region} is not one of your regions.")
        regions = wanted
    counts = await repository.counts_by_status(session, regions, start, end)
    placement = await repository.placement(session, regions, start, end)
    outcomes = await repository.reservation_outcomes(session, regions, start, end)
    declines = dict.fromkeys(DECLINE_REASONS, 0)
    expired = 0
    for row in outcomes:
        if row.status == "declined":
            reason = row.reason_code or "other"
            declines[reason] = declines.get(reason, 0) + row.n
        elif row.status == "expired":
            expired += row.n
    return Stats(
        region=region,
        from_=start,
        to=end,
        referrals=sum(counts.values()),
        counts={status: counts.get(status, 0) for status in STATUSES},
        time_to_placement_seconds=PlacementTimes(
            placed=placement.placed,
            median=_round(placement.median),
            p90=_round(placement.p90),
        ),
        share_placed_in_own_region=_round(placement.own_region_share, 3),
        expired_holds=expired,
        declines=declines,
    )


def _round(value: float | None, digits: int = 1) -> float | None:
    return round(float(value), digits) if value is not None else None
