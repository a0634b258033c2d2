"""Every Zorgplek metric family, registered at import so each is listed before its first
sample. Labels are bounded sets; never ids, postcodes or birth years."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
PLACEMENT_BUCKETS = (300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600, 72 * 3600)

http_requests = Counter(
    "zorgplek_http_requests_total",
    "HTTP requests answered, by route template.",
    ["service", "route", "method", "status"],
)
http_request_duration = Histogram(
    "zorgplek_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["service", "route", "method"],
    buckets=LATENCY_BUCKETS,
)
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
notifications = Counter(
    "zorgplek_notifications_total",
    "Notification attempts by channel and result.",
    ["channel", "result"],
)
notification_latency = Histogram(
    "zorgplek_notification_latency_seconds",
    "Time from an event's creation to its successful delivery.",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200),
)
outbox_lag = Gauge(
    "zorgplek_outbox_lag_seconds", "Age of the oldest event the relay has not processed."
)
streams_open = Gauge("zorgplek_streams_open", "Open Server-Sent Event streams.")
deliveries_dead = Gauge("zorgplek_deliveries_dead", "Deliveries that gave up (dead).")
background_loop_errors = Counter(
    "zorgplek_background_loop_errors_total",
    "Errors in background loops (each loop retries).",
    ["loop"],
)
rows_pruned = Counter(
    "zorgplek_rows_pruned_total",
    "Rows deleted by retention, by table (never the audit log).",
    ["table"],
)
