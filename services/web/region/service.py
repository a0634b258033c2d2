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


REASON_OR_OUTCOME = {**REFERRAL_STATUS, **DECLINE_REASONS}
KPI_LABELS = {
    "total": "Aanmeldingen",
    "referrals": "Aanmeldingen",
    "placed": "Geplaatst",
    "handed_over": "Overgedragen",
    "advised": "Advies gegeven",
    "cancelled": "Geannuleerd",
    "open": "Nog open",
    "median_time_to_placement_seconds": "Mediane tijd tot plaatsing",
    "p90_time_to_placement_seconds": "90% geplaatst binnen",
    "placed_in_own_region_share": "Geplaatst in eigen regio",
    "share_placed_in_own_region": "Geplaatst in eigen regio",
    "own_region_share": "Geplaatst in eigen regio",
    "expired_holds": "Verlopen reserveringen",
    "holds_expired": "Verlopen reserveringen",
}


def _duration(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} u {minutes % 60:02d} min"


def _value(key: str, value: Any) -> str:
    if value is None:
        return "–"
    if key.endswith("_seconds"):
        return _duration(float(value))
    if "share" in key or key.endswith("_ratio"):
        return f"{float(value) * 100:.0f}%"
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def kpi_rows(stats: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The KPIs of /api/v1/stats as Dutch label and value, nested counts flattened."""
    if not stats:
        return []
    rows: list[tuple[str, str]] = []
    for key, value in stats.items():
        if key in ("region", "from", "to", "regions", "since", "until"):
            continue
        if isinstance(value, dict):
            for sub, count in value.items():
                label = KPI_LABELS.get(sub) or REASON_OR_OUTCOME.get(sub, sub.replace("_", " "))
                prefix = "Afgewezen: " if "decline" in key else ""
                rows.append((prefix + label, _value(sub, count)))
        elif not isinstance(value, list):
            rows.append(
                (KPI_LABELS.get(key, key.replace("_", " ").capitalize()), _value(key, value))
            )
    return rows
