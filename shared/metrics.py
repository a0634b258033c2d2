"""The kernel's own metric families, and where the services' are: each service declares its
families in its `metrics` module (`services/capacity/metrics.py`, ...), imported when the
service is built, so each family is listed before its first sample. All live in
prometheus_client's default registry, which `/metrics` exposes. Names start with
`zorgplek_`; labels are bounded sets, never ids, postcodes or birth years."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

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
