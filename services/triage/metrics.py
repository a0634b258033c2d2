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
