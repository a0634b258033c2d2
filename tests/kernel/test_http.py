"""The kernel's HTTP behaviour: problems, probes, metrics, request ids, logs."""

import json
import logging
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import TokenFactory
from tests.factories import place_with_free


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/nothing-here", 404),
        ("DELETE", "/api/v1/regions", 405),
        ("PATCH", "/api/v1/organisations", 405),
    ],
)
async def test_every_failure_is_problem_json(
    client: httpx.AsyncClient, auth: TokenFactory, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path, headers=auth("admin"))
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()


async def test_malformed_json_is_422(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    response = await client.post(
        "/api/v1/organisations",
        content=b'{"name": "X", "kind": ',
        headers={"content-type": "application/json", **auth("admin")},
    )
    assert response.status_code == 422
    assert response.json()["errors"]


async def test_probes_and_metrics_need_no_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["schema"] == "ok"
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200


FAMILIES = [
    "zorgplek_http_requests_total",
    "zorgplek_http_request_duration_seconds",
    "zorgplek_capacity_reports_total",
    "zorgplek_places_free",
    "zorgplek_places_stale",
    "zorgplek_holds_total",
    "zorgplek_referrals_total",
    "zorgplek_referral_transitions_total",
    "zorgplek_time_to_placement_seconds",
    "zorgplek_queue_depth",
    "zorgplek_queue_oldest_wait_seconds",
    "zorgplek_reservations_total",
    "zorgplek_notifications_total",
    "zorgplek_notification_latency_seconds",
    "zorgplek_outbox_lag_seconds",
    "zorgplek_streams_open",
]


async def test_every_metric_family_is_listed(client: httpx.AsyncClient) -> None:
    text = (await client.get("/metrics")).text
    for family in FAMILIES:
        assert f"# TYPE {family} " in text, family


async def test_request_metrics_use_route_templates_not_ids(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    facility = await place_with_free(client, auth, 1)
    await client.get(f"/api/v1/facilities/{facility['id']}", headers=auth("referrer"))
    await client.get(f"/api/v1/facilities/{uuid.uuid4()}", headers=auth("referrer"))
    text = (await client.get("/metrics")).text
    assert (
        'zorgplek_http_requests_total{method="GET",route="/api/v1/facilities/{facility_id}",'
        'service="capacity",status="200"}' in text
    )
    assert 'route="/api/v1/facilities/{facility_id}",service="capacity",status="404"' in text
    assert facility["id"] not in text


async def test_request_id_is_always_our_own(client: httpx.AsyncClient) -> None:
    """A client's X-Request-ID is never taken: it would land in the audit log as sent. A
    trusted proxy's is logged beside ours (tests/security/test_trusted_proxies.py)."""
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] != "abc-123"
    assert len(given.headers["x-request-id"]) == 32
    made = await client.get("/healthz")
    assert len(made.headers["x-request-id"]) == 32
    assert made.headers["x-request-id"] != given.headers["x-request-id"]


async def test_access_log_is_json_without_query_or_token(
    client: httpx.AsyncClient, auth: TokenFactory, caplog: pytest.LogCaptureFixture
) -> None:
    from shared.observability import JsonFormatter

    with caplog.at_level(logging.INFO, logger="zorgplek.access"):
        await client.get(
            "/api/v1/regions?access_token=secret-token-value",
            headers={**auth("viewer"), "X-Request-ID": "req-42"},
        )
    [record] = [r for r in caplog.records if r.name == "zorgplek.access"]
    line: dict[str, Any] = json.loads(JsonFormatter().format(record))
    assert line["route"] == "/api/v1/regions"
    assert line["status"] == 200
    assert "secret-token-value" not in json.dumps(line)
    assert "path" not in line  # nor the path: it holds what a client puts there
