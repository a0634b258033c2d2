"""Regio: the regional picture now with the forecast, its last 7 days, the KPIs, unmet
demand and verkeerde beddagen per place type, and every location's track record."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from services.web.core.api import Api, ApiError
from services.web.core.messages import DECLINE_REASONS, REFERRAL_STATUS, place_type_name
from services.web.region.chart import Chart, draw
from shared.contracts.capacity import SummaryItem, TrackRecord
from shared.contracts.stats import Stats, UnmetGroup

T = TypeVar("T")


@dataclass(slots=True)
class Totals:
    """One place type's numbers over the chosen regions."""

    free: int = 0
    staffed: int = 0
    stale: int = 0
    facilities: int = 0
    expected_available_24h: int = 0  # the forecast: "verwacht morgen vrij"
    forecasting: int = 0  # locations that gave one


@dataclass(frozen=True, slots=True)
class RegionPicture:
    summary: list[SummaryItem]
    totals: dict[str, Totals]  # per place type over the chosen regions
    charts: list[tuple[str, Chart]]
    stats: Stats | None
    stats_error: str | None
    week: Stats | None = None  # the KPIs of the last 7 days
    compliance: list[TrackRecord] = field(default_factory=list)
    compliance_error: str | None = None


def _totals(items: list[SummaryItem]) -> dict[str, Totals]:
    totals: dict[str, Totals] = {}
    for item in items:
        row = totals.setdefault(item.place_type, Totals())
        row.free += item.free
        row.staffed += item.staffed
        row.stale += item.stale
        row.facilities += item.facilities
        row.expected_available_24h += item.expected_available_24h
        row.forecasting += item.forecasting
    return dict(sorted(totals.items()))


async def _answer(call: Awaitable[T]) -> tuple[T | None, str | None]:
    """An API answer, or None with the reason in Dutch."""
    try:
        return await call, None
    except ApiError as exc:
        if exc.status == 404:
            return None, "Deze cijfers zijn op deze server (nog) niet beschikbaar."
        if exc.status == 422:
            return None, "Kies een regio om de locaties te zien."
        return None, exc.message


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

    async def week() -> Stats | None:
        if not with_stats:
            return None
        since = datetime.now(UTC) - timedelta(days=7)
        return (await _answer(api.stats(region, since)))[0]

    async def compliance() -> tuple[list[TrackRecord], str | None]:
        if not with_stats:
            return [], None
        answer, error = await _answer(api.compliance(region))
        return (answer.items if answer else []), error

    summary, history, (kpis, kpi_error), last_week, (records, records_error) = await asyncio.gather(
        api.availability_summary(region),
        api.availability_history(region, days=7),
        stats(),
        week(),
        compliance(),
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
    return RegionPicture(
        summary.items,
        _totals(summary.items),
        charts,
        kpis,
        kpi_error,
        last_week,
        records,
        records_error,
    )


def duration(seconds: float | None) -> str:
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
    rows.append(("Mediane tijd tot plaatsing", duration(placement.median)))
    rows.append(("90% geplaatst binnen", duration(placement.p90)))
    share = stats.share_placed_in_own_region
    rows.append(("Geplaatst in eigen regio", "–" if share is None else f"{share * 100:.0f}%"))
    rows.append(("Verlopen reserveringen", str(stats.expired_holds)))
    declines = stats.declines
    rows.append(("Afgewezen reserveringen", str(sum(declines.values()))))
    for reason, count in declines.items():
        if count:
            rows.append((f"Afgewezen: {DECLINE_REASONS.get(reason, reason)}", str(count)))
    return rows


@dataclass(frozen=True, slots=True)
class UnmetRow:
    """One place type's unmet demand of the last 7 and of the last 30 days."""

    place_type: str
    week: UnmetGroup | None
    month: UnmetGroup | None


def unmet_rows(picture: RegionPicture) -> list[UnmetRow]:
    """Per place type: the unmet demand of the last 7 and of the last 30 days."""
    week = {g.place_type: g for g in picture.week.unmet_demand.place_types} if picture.week else {}
    month = (
        {g.place_type: g for g in picture.stats.unmet_demand.place_types} if picture.stats else {}
    )
    return [UnmetRow(code, week.get(code), month.get(code)) for code in sorted({*week, *month})]


@dataclass(slots=True)
class BedRow:
    """One place type's verkeerde beddagen of the last 30 days and the patients waiting."""

    place_type: str
    days: float = 0.0
    waiting_now: int = 0


def bed_rows(stats: Stats | None) -> list[BedRow]:
    """Per place type over the chosen regions: verkeerde beddagen and patients waiting."""
    rows: dict[str, BedRow] = {}
    for group in stats.wrong_bed_days.groups if stats and stats.wrong_bed_days else []:
        row = rows.setdefault(group.place_type, BedRow(group.place_type))
        row.days += group.days
        row.waiting_now += group.waiting_now
    return [rows[code] for code in sorted(rows)]


# The orders of the track record table, by their query value; the API's own is worst first.
ORDERS = {
    "slechtst": "slechtst eerst",
    "actueel": "minst actueel eerst",
    "geen-plek": "vaakst toch geen plek",
    "naam": "op naam",
}


def sort_records(items: list[TrackRecord], order: str) -> list[TrackRecord]:
    """The compliance overview in the order asked (one of `ORDERS`)."""
    if order == "actueel":
        return sorted(items, key=lambda r: (r.fresh_share is None, r.fresh_share or 0.0))
    if order == "geen-plek":
        return sorted(items, key=lambda r: -r.declined_no_capacity)
    if order == "naam":
        return sorted(items, key=lambda r: r.facility_name.lower())
    return items
