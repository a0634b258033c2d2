"""The triage service's metric families: referrals, the queue, reservations and placement."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

PLACEMENT_BUCKETS = (300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600, 72 * 3600)

referrals = Counter("zorgplek_referrals_total", "Referrals submitted.", ["place_type", "urgency"])
referral_transitions = Counter(
    "zorgplek_referral_transitions_total", "Referral status transitions.", ["to_status"]
)
time_to_placement = Histogram(
    "zorgplek_time_to_placement_seconds",
    "Time from submission to placement.",
    ["place_type"],
    buckets=PLACEMENT_BUCKETS,
)
queue_depth = Gauge("zorgplek_queue_depth", "Open referrals in the queue.", ["region", "urgency"])
queue_oldest_wait = Gauge(
    "zorgplek_queue_oldest_wait_seconds", "Waiting time of the oldest open referral.", ["region"]
)
reservations = Counter(
    "zorgplek_reservations_total",
    "Reservations by outcome (held, accepted, declined, expired, released, cancelled; "
    "conflict: none free; refused: the care rules refuse the place).",
    ["outcome"],
)
declines = Counter("zorgplek_declines_total", "Declined reservations by reason.", ["reason"])
# Computed from the database by the gauges loop (`stats.service.refresh_gauges`): the same
# on every replica, so aggregated with max. The count keeps the name operators asked for,
# but it is the last 30 days' number, falling again when a waiting referral is placed.
unmet_demand = Gauge(
    "zorgplek_unmet_demand_total",
    "Referrals of the last 30 days that found no place, by reason (no_place_found, "
    "no_place, overdue); placed referrals never count.",
    ["region", "place_type", "reason"],
)
unmet_share = Gauge(
    "zorgplek_unmet_demand_share",
    "Share of the referrals of the last 7 days that found no place (0-1).",
    ["region", "place_type"],
)
unmet_share_alert = Gauge(
    "zorgplek_unmet_demand_share_alert",
    "The unmet share above which ZorgplekUnmetDemandHigh fires (ZORGPLEK_UNMET_SHARE_ALERT).",
)
wrong_bed_days = Gauge(
    "zorgplek_wrong_bed_days",
    "Verkeerde beddagen of the last 30 days: days hospital patients waited for a place.",
    ["region", "place_type"],
)
wrong_bed_waiting = Gauge(
    "zorgplek_wrong_bed_waiting",
    "Patients referred by a hospital still waiting for a place.",
    ["region", "place_type"],
)
