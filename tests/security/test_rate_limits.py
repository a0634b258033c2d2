"""Per-caller rate limits on writes and searches: 429 with Retry-After, generous by default,
configurable, and off with ZORGPLEK_RATE_LIMITS=off. The clock is moved, never waited on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.cli import components
from shared.app import create_app
from shared.ratelimit import RateLimiter, TooManyRequests
from shared.settings import Settings
from tests.conftest import TokenFactory, make_settings


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_budget_is_spent_at_once_and_refills_evenly() -> None:
    clock = Clock()
    limiter = RateLimiter(writes_per_minute=3, searches_per_minute=2, clock=clock)
    for _ in range(3):
        limiter.check("jwt:gp-1", "POST")
    with pytest.raises(TooManyRequests) as refused:
        limiter.check("jwt:gp-1", "PUT")
    assert refused.value.status == 429
    assert refused.value.headers == {"Retry-After": "20"}
    # Another caller, and the same caller's searches, have budgets of their own.
    limiter.check("jwt:gp-2", "POST")
    limiter.check("jwt:gp-1", "GET")
    clock.now += 19.5
    with pytest.raises(TooManyRequests) as still:
        limiter.check("jwt:gp-1", "DELETE")
    assert still.value.headers == {"Retry-After": "1"}
    clock.now += 0.5
    limiter.check("jwt:gp-1", "PATCH")  # one request's worth came back
    with pytest.raises(TooManyRequests):
        limiter.check("jwt:gp-1", "POST")
    clock.now += 60
    for _ in range(3):  # a quiet minute gives the whole budget back, never more
        limiter.check("jwt:gp-1", "POST")
    with pytest.raises(TooManyRequests):
        limiter.check("jwt:gp-1", "POST")


def test_the_defaults_let_a_provider_post_every_location_and_a_desk_work() -> None:
    settings = make_settings("postgresql://x/y")
    clock = Clock()
    limiter = RateLimiter(
        settings.rate_limit_writes_per_minute, settings.rate_limit_searches_per_minute, clock
    )
    # A large provider's system reports 100 locations x 10 place types in one go.
    for _ in range(1000):
        limiter.check("api_key:apikey:ecd", "PUT")
    # A triagist's pages on a busy night: 10 requests a second for ten minutes.
    for _ in range(6000):
        limiter.check("jwt:triagist-1", "GET")
        clock.now += 0.1


def test_forgotten_callers_lose_nothing() -> None:
    clock = Clock()
    limiter = RateLimiter(writes_per_minute=1, searches_per_minute=1, clock=clock)
    limiter.check("jwt:a", "POST")
    clock.now += 60
    limiter._forget_idle(clock())
    limiter.check("jwt:a", "POST")
    with pytest.raises(TooManyRequests):
        limiter.check("jwt:a", "POST")


@pytest.fixture
def tight(app: Any) -> Iterator[Clock]:
    """The running app with budgets of 3 writes and 4 searches a minute, on a test clock."""
    clock = Clock()
    saved = app.state.rate_limiter
    app.state.rate_limiter = RateLimiter(writes_per_minute=3, searches_per_minute=4, clock=clock)
    yield clock
    app.state.rate_limiter = saved


async def test_over_budget_is_429_with_retry_after_per_caller(
    client: httpx.AsyncClient, auth: TokenFactory, tight: Clock
) -> None:
    admin = auth("admin", sub="admin-busy")
    for n in range(3):
        created = await client.post(
            "/api/v1/organisations", json={"name": f"Zorggroep {n}", "kind": "vvt"}, headers=admin
        )
        assert created.status_code == 201, created.text
    refused = await client.post(
        "/api/v1/organisations", json={"name": "Zorggroep 4", "kind": "vvt"}, headers=admin
    )
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "20"
    assert refused.json()["status"] == 429

    other = await client.post(
        "/api/v1/organisations", json={"name": "Zorggroep 5", "kind": "vvt"}, headers=auth("admin")
    )
    assert other.status_code == 201
    for _ in range(4):
        assert (await client.get("/api/v1/regions", headers=admin)).status_code == 200
    searched = await client.get("/api/v1/regions", headers=admin)
    assert searched.status_code == 429
    assert searched.headers["retry-after"] == "15"

    tight.now += 20
    again = await client.post(
        "/api/v1/organisations", json={"name": "Zorggroep 6", "kind": "vvt"}, headers=admin
    )
    assert again.status_code == 201


async def test_the_services_own_calls_are_not_limited(
    client: httpx.AsyncClient, auth: TokenFactory, tight: Clock
) -> None:
    service = auth("service", sub="service:triage")
    for _ in range(10):
        assert (await client.get("/api/v1/regions", headers=service)).status_code == 200


def test_rate_limits_off_switches_every_limit_off(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZORGPLEK_RATE_LIMITS", "off")
    settings = Settings(env="development", database_url=database_url)
    assert settings.rate_limits is False
    application = create_app(components(settings), settings, database_url=database_url)
    assert application.state.rate_limiter is None
    monkeypatch.delenv("ZORGPLEK_RATE_LIMITS")
    on = make_settings(database_url, rate_limit_writes_per_minute=5)
    limiter = create_app(components(on), on, database_url=database_url).state.rate_limiter
    assert isinstance(limiter, RateLimiter)
    assert limiter.writes_per_minute == 5
