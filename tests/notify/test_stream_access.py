"""Who may open the live stream, and how: an API key needs `events:read`; a browser opens
it with a single-use ticket that a page asked for, so the page never holds the token."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import jwt
import pytest
from fastapi import FastAPI

from shared.auth import issue_token
from shared.db import plain_url
from shared.http import client as http_client
from shared.settings import Settings
from tests.conftest import TokenFactory
from tests.factories import create_organisation
from tests.notify.conftest import (
    Clock,
    SseReader,
    api_key,
    emit,
    pump,
    referral_audience,
    referral_data,
)


async def test_an_api_key_needs_events_read_for_the_stream(
    app: FastAPI, live_url: str, client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    organisation = (await create_organisation(client, auth))["id"]
    writer = await api_key(client, auth, ["capacity:write"], organisation)
    reader = await api_key(client, auth, ["events:read"], organisation)
    async with http_client(base_url=live_url, timeout=10) as http:
        refused = await http.get("/api/v1/stream", headers=writer["headers"])
        assert refused.status_code == 403
        assert "events:read" in refused.json()["detail"]
        refused = await http.post("/api/v1/stream/tickets", headers=writer["headers"])
        assert refused.status_code == 403
        async with http.stream("GET", "/api/v1/stream", headers=reader["headers"]) as response:
            sse = SseReader(response)
            await sse.frame()
            other = referral_audience(str(uuid.uuid4()))
            await emit(app, "reservation.held", referral_data(), other)
            own = await emit(
                app, "reservation.held", referral_data(), referral_audience(organisation)
            )
            await pump(app)
            assert (await sse.event()).id == str(own.id)


async def test_a_ticket_opens_one_stream_with_the_rights_of_who_asked(
    app: FastAPI,
    live_url: str,
    auth: TokenFactory,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="zorgplek")
    practice = str(uuid.uuid4())
    gp = auth("referrer", org=practice)
    async with http_client(base_url=live_url, timeout=10) as http:
        before = datetime.now(UTC).replace(microsecond=0)
        created = await http.post("/api/v1/stream/tickets", headers=gp)
        after = datetime.now(UTC)
        assert created.status_code == 201, created.text
        ticket = created.json()["ticket"]
        expires_at = datetime.fromisoformat(created.json()["expires_at"])
        assert before + timedelta(seconds=60) <= expires_at <= after + timedelta(seconds=60)

        conn = await asyncpg.connect(plain_url(database_url))
        try:
            stored = await conn.fetch("SELECT * FROM notify.stream_tickets")
        finally:
            await conn.close()
        assert len(stored) == 1
        assert ticket not in repr(stored)  # only its hash is kept

        async with http.stream("GET", "/api/v1/stream", params={"ticket": ticket}) as response:
            sse = SseReader(response)
            await sse.frame()
            other = referral_audience(str(uuid.uuid4()))
            await emit(app, "referral.created", referral_data(), other)
            own = await emit(app, "referral.created", referral_data(), referral_audience(practice))
            await pump(app)
            assert (await sse.event()).id == str(own.id)

        used = await http.get("/api/v1/stream", params={"ticket": ticket})
        assert used.status_code == 401
        assert used.headers["content-type"] == "application/problem+json"
        unknown = await http.get("/api/v1/stream", params={"ticket": "zst_" + "x" * 43})
        assert unknown.status_code == 401
        assert (await http.get("/api/v1/stream", params={"ticket": "nonsense"})).status_code == 401

        # A ticket is no token anywhere else.
        spare = (await http.post("/api/v1/stream/tickets", headers=gp)).json()["ticket"]
        elsewhere = await http.get("/api/v1/subscriptions", params={"ticket": spare})
        assert elsewhere.status_code == 401
        bearer = await http.get(
            "/api/v1/subscriptions", headers={"Authorization": f"Bearer {spare}"}
        )
        assert bearer.status_code == 401

        assert (await http.post("/api/v1/stream/tickets")).status_code == 401
        service = await http.post("/api/v1/stream/tickets", headers=auth("service"))
        assert service.status_code == 403
    assert ticket not in caplog.text
    assert spare not in caplog.text


async def test_a_ticket_unused_for_a_minute_is_refused(
    live_url: str, auth: TokenFactory, clock: Clock
) -> None:
    async with http_client(base_url=live_url, timeout=10) as http:
        created = await http.post("/api/v1/stream/tickets", headers=auth("triagist"))
        clock.move(timedelta(seconds=61))
        late = await http.get("/api/v1/stream", params={"ticket": created.json()["ticket"]})
    assert late.status_code == 401


async def test_a_ticket_lasts_no_longer_than_the_token_that_asked(
    live_url: str, settings: Settings
) -> None:
    token = issue_token(settings, sub="gp-kort", name="Kort", roles=["referrer"], ttl_seconds=20)
    async with http_client(base_url=live_url, timeout=10) as http:
        created = await http.post(
            "/api/v1/stream/tickets", headers={"Authorization": f"Bearer {token}"}
        )
    assert created.status_code == 201, created.text
    expires_at = datetime.fromisoformat(created.json()["expires_at"])
    claims = jwt.decode(token, options={"verify_signature": False})
    assert expires_at == datetime.fromtimestamp(claims["exp"], UTC)
