"""Regio: the regional picture now, its last 7 days, and the KPIs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from services.web.core.api import Api, ApiError
from services.web.core.messages import DECLINE_REASONS, REFERRAL_STATUS, place_type_name
from services.web.region.chart import Chart, draw
from shared.contracts.capacity import SummaryItem
from shared.contracts.stats import Stats


@dataclass(slots=True)
class Totals:
    """One place type's numbers over the chosen regions."""

    free: int = 0
    staffed: int = 0
    stale: int = 0
    facilities: int = 0


@dataclass(frozen=True, slots=True)
class RegionPicture:
    summary: list[SummaryItem]
    totals: dict[str, Totals]  # per place type over the chosen regions
    charts: list[tuple[str, Chart]]
    stats: Stats | None
    stats_error: str | None


def _totals(items: list[SummaryItem]) -> dict[str, Totals]:
    totals: dict[str, Totals] = {}
    for item in items:
        row = totals.setdefault(item.place_type, Totals())
        row.free += item.free
        row.staffed += item.staffed
        row.stale += item.stale
        row.facilities += item.facilities
    return dict(sorted(totals.items()))


async def picture(api: Api, region: str | None, with_stats: bool) -> RegionPicture:
    """The summary, the 7-day history per place type and (where allowed) the KPIs."""

    async def stats() -> tuple[Stats | None, str | None]:
        if not with_stats:
            return None, None
        try:
            return await api.stats(region), None
        except ApiError as exc:
            if exc.status == 404:
                return None, "De kengetallen zijn op deze server (nog) niet beschikbaar."
            return None, exc.message

    summary, history, (kpis, kpi_error) = await asyncio.gather(
        api.availability_summary(region), api.availability_history(region, days=7), stats()
    )
    charts = [
        (
            series.place_type,
            draw(
                f"Vrije plekken {place_type_name(series.place_type)}, afgelopen 7 dagen",
                series.points,
                f"grafiek-{series.place_type.lower()}",
            ),
        )
        for series in history.items
    ]
    return RegionPicture(summary.items, _totals(summary.items), charts, kpis, kpi_error)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes = int(round(seconds / 60))
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} u {minutes % 60:02d} min"


def kpi_rows(stats: Stats | None) -> list[tuple[str, str]]:
    """The KPIs of /api/v1/stats as Dutch label and value."""
    if stats is None:
        return []
    rows: list[tuple[str, str]] = [("Aanmeldingen", str(stats.referrals))]
    for status, label in REFERRAL_STATUS.items():
        if stats.counts.get(status):
            rows.append((f"Nu {label}", str(stats.counts[status])))
    placement = stats.time_to_placement_seconds
    rows.append(("Mediane tijd tot plaatsing", _duration(placement.median)))
    rows.append(("90% geplaatst binnen", _duration(placement.p90)))
    share = stats.share_placed_in_own_region
    rows.append(("Geplaatst in eigen regio", "–" if share is None else f"{share * 100:.0f}%"))
    rows.append(("Verlopen reserveringen", str(stats.expired_holds)))
    declines = stats.declines
    rows.append(("Afgewezen reserveringen", str(sum(declines.values()))))
    for reason, count in declines.items():
        if count:
            rows.append((f"Afgewezen: {DECLINE_REASONS.get(reason, reason)}", str(count)))
    return rows
