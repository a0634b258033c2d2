"""Regio: the regional picture now, its last 7 days, and the KPIs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from services.web.core.api import Api, ApiError
from services.web.core.messages import DECLINE_REASONS, REFERRAL_STATUS, place_type_name
from services.web.region.chart import Chart, draw


@dataclass(frozen=True, slots=True)
class RegionPicture:
    summary: list[dict[str, Any]]
    totals: dict[str, dict[str, int]]  # per place type over the chosen regions
    charts: list[tuple[str, Chart]]
    stats: dict[str, Any] | None
    stats_error: str | None


def _totals(items: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = {}
    for item in items:
        row = totals.setdefault(
            item["place_type"], {"free": 0, "staffed": 0, "stale": 0, "facilities": 0}
        )
        for key in row:
            row[key] += int(item[key])
    return dict(sorted(totals.items()))


async def picture(api: Api, region: str | None, with_stats: bool) -> RegionPicture:
    """The summary, the 7-day history per place type and (where allowed) the KPIs."""
    params = {"region": region} if region else {}

    async def stats() -> tuple[dict[str, Any] | None, str | None]:
        if not with_stats:
            return None, None
        try:
            return await api.get("/api/v1/stats", params=params), None
        except ApiError as exc:
            if exc.status == 404:
                return None, "De kengetallen zijn op deze server (nog) niet beschikbaar."
            return None, exc.message

    summary, history, (kpis, kpi_error) = await asyncio.gather(
        api.get("/api/v1/availability/summary", params=params),
        api.get("/api/v1/availability/history", params={**params, "days": 7}),
        stats(),
    )
    charts = [
        (
            series["place_type"],
            draw(
                f"Vrije plekken {place_type_name(series['place_type'])}, afgelopen 7 dagen",
                series["points"],
                f"grafiek-{series['place_type'].lower()}",
            ),
        )
        for series in history["items"]
    ]
    return RegionPicture(summary["items"], _totals(summary["items"]), charts, kpis, kpi_error)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes = int(round(seconds / 60))
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} u {minutes % 60:02d} min"


def kpi_rows(stats: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The KPIs of /api/v1/stats as Dutch label and value."""
    if not stats:
        return []
    rows: list[tuple[str, str]] = [("Aanmeldingen", str(stats.get("referrals", 0)))]
    counts: dict[str, int] = stats.get("counts") or {}
    for status, label in REFERRAL_STATUS.items():
        if counts.get(status):
            rows.append((f"Nu {label}", str(counts[status])))
    placement = stats.get("time_to_placement_seconds") or {}
    rows.append(("Mediane tijd tot plaatsing", _duration(placement.get("median"))))
    rows.append(("90% geplaatst binnen", _duration(placement.get("p90"))))
    share = stats.get("share_placed_in_own_region")
    rows.append(("Geplaatst in eigen regio", "–" if share is None else f"{share * 100:.0f}%"))
    rows.append(("Verlopen reserveringen", str(stats.get("expired_holds", 0))))
    declines: dict[str, int] = stats.get("declines") or {}
    rows.append(("Afgewezen reserveringen", str(sum(declines.values()))))
    for reason, count in declines.items():
        if count:
            rows.append((f"Afgewezen: {DECLINE_REASONS.get(reason, reason)}", str(count)))
    return rows
