"""The notify service's metric families: notifications, the relay's lag, open streams and
deliveries that gave up."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
