"""KPIs of the referral flow, computed in SQL: outcomes, time to placement, the share
placed in the own region, expired holds and declines per reason, unmet demand and
verkeerde beddagen (`stats.unmet`)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage import metrics
from services.triage.capacity_client import CapacityClient, CapacityUnavailable
from services.triage.referrals.access import triagist_regions
from services.triage.referrals.lifecycle import STATUSES
from services.triage.referrals.reservation_states import DECLINE_REASONS
from services.triage.stats import repository, unmet
from services.triage.stats.schemas import (
    PlacementTimes,
    Stats,
    UnmetDemand,
    UnmetGroup,
    WrongBedDays,
    WrongBedGroup,
)
from shared import reference
from shared.auth import Principal, ensure_role
from shared.errors import Forbidden, Invalid
from shared.settings import Settings

log = logging.getLogger("zorgplek.triage.stats")
DEFAULT_WINDOW = timedelta(days=30)
ALERT_WINDOW = timedelta(days=7)  # the unmet share the alert watches


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
    client: CapacityClient | None = None,
) -> Stats:
    """KPIs for `region` (default: every region the caller may see) between `start` and
    `end` (default: the last 30 days). Verkeerde beddagen need the hospitals, which
    `client` asks the capacity service for; without it (or while capacity cannot be
    reached) they are left out."""
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
        unmet_demand=await unmet_demand(session, regions, start, end),
        wrong_bed_days=await wrong_bed_days(session, client, regions, start, end),
    )


def _reasons(row: Any) -> dict[str, int]:
    return {code: getattr(row, code) for code in unmet.REASONS}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


async def unmet_demand(
    session: AsyncSession, regions: Collection[str] | None, start: datetime, end: datetime
) -> UnmetDemand:
    """Unmet demand of the referrals submitted between `start` and `end`, in all and per
    region and place type."""
    (total,) = await repository.unmet_demand(session, regions, start, end)
    groups = await repository.unmet_demand(
        session, regions, start, end, by=("region_code", "place_type")
    )
    place_types = await repository.unmet_demand(session, regions, start, end, by=("place_type",))
    return UnmetDemand(
        unmet=total.unmet,
        share=_share(total.unmet, total.referrals),
        median_wait_seconds=_round(total.median_wait),
        reasons=_reasons(total),
        groups=[_unmet_group(row, row.region_code) for row in groups],
        place_types=[_unmet_group(row, None) for row in place_types],
    )


def _unmet_group(row: Any, region_code: str | None) -> UnmetGroup:
    return UnmetGroup(
        region_code=region_code,
        place_type=row.place_type,
        referrals=row.referrals,
        unmet=row.unmet,
        share=_share(row.unmet, row.referrals),
        median_wait_seconds=_round(row.median_wait),
        reasons=_reasons(row),
    )


async def hospitals(client: CapacityClient | None) -> frozenset[uuid.UUID] | None:
    """The hospitals' organisation ids, or None while the capacity service cannot say."""
    if client is None:
        return None
    try:
        return await client.organisation_ids(unmet.HOSPITAL)
    except CapacityUnavailable:
        log.warning("hospitals unknown: capacity unreachable; verkeerde beddagen left out")
        return None


async def wrong_bed_days(
    session: AsyncSession,
    client: CapacityClient | None,
    regions: Collection[str] | None,
    start: datetime,
    end: datetime,
) -> WrongBedDays | None:
    """Verkeerde beddagen between `start` and `end`, per region and place type."""
    known = await hospitals(client)
    if known is None:
        return None
    rows = await repository.wrong_bed_days(session, regions, known, start, end)
    groups = [
        WrongBedGroup(
            region_code=row.region_code,
            place_type=row.place_type,
            referrals=row.referrals,
            days=round(float(row.days or 0.0), 2),
            waiting_now=row.waiting_now,
        )
        for row in rows
    ]
    return WrongBedDays(
        days=round(sum(g.days for g in groups), 2),
        referrals=sum(g.referrals for g in groups),
        waiting_now=sum(g.waiting_now for g in groups),
        groups=groups,
    )


def _round(value: float | None, digits: int = 1) -> float | None:
    return round(float(value), digits) if value is not None else None


async def refresh_gauges(
    session: AsyncSession, client: CapacityClient | None, settings: Settings, now: datetime
) -> None:
    """Set the unmet demand and verkeerde beddagen gauges from the database, over every
    region (regions, place types and reasons are bounded label sets)."""
    month = await unmet_demand(session, None, now - DEFAULT_WINDOW, now)
    week = await unmet_demand(session, None, now - ALERT_WINDOW, now)
    beds = await wrong_bed_days(session, client, None, now - DEFAULT_WINDOW, now)
    metrics.unmet_demand.clear()
    for group in month.groups:
        for reason, count in group.reasons.items():
            metrics.unmet_demand.labels(group.region_code, group.place_type, reason).set(count)
    metrics.unmet_share.clear()
    for group in week.groups:
        if group.share is not None:
            metrics.unmet_share.labels(group.region_code, group.place_type).set(group.share)
    metrics.unmet_share_alert.set(settings.unmet_share_alert)
    if beds is None:  # unknown while capacity cannot say which organisations are hospitals
        return
    metrics.wrong_bed_days.clear()
    metrics.wrong_bed_waiting.clear()
    for bed in beds.groups:
        metrics.wrong_bed_days.labels(bed.region_code, bed.place_type).set(bed.days)
        metrics.wrong_bed_waiting.labels(bed.region_code, bed.place_type).set(bed.waiting_now)
