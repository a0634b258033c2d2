"""The capacity service's metric families: reports, free and stale places, holds."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

capacity_reports = Counter(
    "zorgplek_capacity_reports_total",
    "Capacity reports received, by result (applied, outdated, rejected).",
    ["result"],
)
places_free = Gauge(
    "zorgplek_places_free",
    "Free places (available - held), fresh reports only.",
    ["region", "place_type"],
)
places_stale = Gauge(
    "zorgplek_places_stale",
    "Place-type reports older than their time-to-live.",
    ["region", "place_type"],
)
holds = Counter(
    "zorgplek_holds_total",
    "Holds by outcome (created, conflict, committed, released, expired).",
    ["outcome"],
)
