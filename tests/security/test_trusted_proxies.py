"""Where a request came from, as the audit log records it: only proxies named in
ZORGPLEK_TRUSTED_PROXIES are believed, X-Forwarded-For is read from the right, and a
client's X-Request-ID is never stored."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import APIRouter, FastAPI, Request
from pydantic import ValidationError

from services.cli import components, server_options
from shared.app import KERNEL_MIGRATIONS, Component, create_app
from shared.http import client as http_client
from shared.observability import configure_logging
from shared.proxies import client_from, parse_networks
from shared.settings import Settings
from tests.conftest import TokenFactory, free_port, make_settings
from tests.triage.helpers import actors, fetch, referral_body

ROOT = Path(__file__).resolve().parents[2]
PODS = parse_networks("10.0.0.0/8, fd00::/8")


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "trusted", "expected"),
    [
        # Nobody is trusted (the default): the connection is the client, whatever it says.
        ("198.51.100.7", "203.0.113.5", (), "198.51.100.7"),
        # An untrusted peer's header is ignored.
        ("198.51.100.7", "203.0.113.5", PODS, "198.51.100.7"),
        # A trusted proxy: the address it appended.
        ("10.1.1.1", "203.0.113.5", PODS, "203.0.113.5"),
        # What the client wrote itself (left) is never believed: the right-most untrusted.
        ("10.1.1.1", "6.6.6.6, 203.0.113.5", PODS, "203.0.113.5"),
        # The pages' pod passed the user on through the ingress: skip the trusted pod.
        ("10.1.1.1", "6.6.6.6, 203.0.113.5, 10.2.3.4", PODS, "203.0.113.5"),
        # Every hop trusted: the left-most is as far as we can see.
        ("10.1.1.1", "10.9.9.9, 10.2.3.4", PODS, "10.9.9.9"),
        # No header from a trusted proxy: the proxy itself.
        ("10.1.1.1", None, PODS, "10.1.1.1"),
        # Garbage right of the client: no trusted proxy wrote it; the last trusted hop.
        ("10.1.1.1", "203.0.113.5, forged", PODS, "10.1.1.1"),
        ("10.1.1.1", "forged, 203.0.113.5", PODS, "203.0.113.5"),
        # IPv6, bracketed, and IPv4 mapped into IPv6.
        ("fd00::1", "[2001:db8::5]", PODS, "2001:db8::5"),
        ("::ffff:10.1.1.1", "203.0.113.5", PODS, "203.0.113.5"),
    ],
)
def test_client_address_behind_proxies(
    peer: str, forwarded_for: str | None, trusted: tuple[Any, ...], expected: str
) -> None:
    assert client_from(peer, forwarded_for, trusted) == expected


@pytest.mark.parametrize("value", ["*", "0.0.0.0/0, *", "proxy.example.org", "10.0.0.0/33"])
def test_trusted_proxies_are_addresses_or_networks_never_a_wildcard(value: str) -> None:
    with pytest.raises(ValidationError, match="ZORGPLEK_TRUSTED_PROXIES"):
        make_settings("postgresql://x/y", trusted_proxies=value)


def test_nobody_is_trusted_by_default() -> None:
    assert make_settings("postgresql://x/y").trusted_networks() == ()


def test_no_deployment_file_believes_every_proxy() -> None:
    """uvicorn's FORWARDED_ALLOW_IPS would trust headers behind the kernel's back."""
    files = [
        ROOT / "docker-compose.yml",
        *ROOT.glob("deploy/**/*"),
        *ROOT.glob("services/**/*.py"),
        *ROOT.glob("shared/**/*.py"),
    ]
    offenders = [
        str(path.relative_to(ROOT))
        for path in files
        if path.is_file() and "FORWARDED_ALLOW_IPS" in path.read_text(errors="replace")
    ]
    assert offenders == []


async def _audited_submission(
    app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, peer: str, headers: dict[str, str]
) -> tuple[httpx.Response, Any]:
    """A referral submitted from `peer` with `headers`; its audit entry."""
    people = await actors(client, auth)
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://zorgplek.test") as http:
        response = await http.post(
            "/api/v1/referrals", json=referral_body(), headers={**people.referrer, **headers}
        )
    assert response.status_code == 201, response.text
    [entry] = await fetch(
        app.state.settings.database_url,
        "SELECT source_address, request_id FROM audit.audit_log WHERE object_id = $1",
        response.json()["id"],
    )
    return response, entry


async def test_an_untrusted_client_cannot_choose_its_address_or_request_id(
    app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    response, entry = await _audited_submission(
        app,
        client,
        auth,
        "198.51.100.7",
        {"X-Forwarded-For": "203.0.113.5", "X-Request-ID": "forged-request-id"},
    )
    assert entry["source_address"] == "198.51.100.7"
    assert entry["request_id"] != "forged-request-id"
    assert entry["request_id"] == response.headers["x-request-id"]
    assert len(entry["request_id"]) == 32


@pytest.fixture
async def behind_ingress(database_url: str, live_url: str) -> AsyncIterator[FastAPI]:
    """Every service as deployed behind an ingress in 10.0.0.0/8."""
    settings = make_settings(database_url, capacity_url=live_url, trusted_proxies="10.0.0.0/8")
    application = create_app(
        components(settings), settings, database_url=database_url, run_loops=False
    )
    async with application.router.lifespan_context(application):
        yield application


async def test_behind_a_trusted_proxy_the_user_is_recorded_not_the_proxy(
    behind_ingress: FastAPI, client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    buffer = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("INFO", stream=buffer)
    try:
        response, entry = await _audited_submission(
            behind_ingress,
            client,
            auth,
            "10.1.1.1",  # the ingress controller
            {
                # forged by the user, then the user as the page service saw it, then the
                # page service's pod as the ingress appended it
                "X-Forwarded-For": "6.6.6.6, 203.0.113.5, 10.2.3.4",
                "X-Request-ID": "ingress-4f2a",
            },
        )
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    assert entry["source_address"] == "203.0.113.5"
    assert entry["request_id"] == response.headers["x-request-id"] != "ingress-4f2a"
    [access] = [
        json.loads(line)
        for line in buffer.getvalue().splitlines()
        if '"logger": "zorgplek.access"' in line and '"route": "/api/v1/referrals"' in line
    ]
    assert access["proxy_request_id"] == "ingress-4f2a"
    assert access["request_id"] == entry["request_id"]


def _echo_component() -> Component:
    router = APIRouter()

    @router.get("/whoami")
    async def whoami(request: Request) -> dict[str, str | None]:
        return {
            "client": request.client.host if request.client else None,
            "scheme": request.url.scheme,
        }

    return Component(name="echo", routers=[router], migrations=KERNEL_MIGRATIONS)


async def _serve_echo(settings: Settings, database_url: str) -> AsyncIterator[str]:
    app = create_app([_echo_component()], settings, database_url=database_url)
    options = {**server_options(settings), "host": "127.0.0.1", "port": free_port()}
    server = uvicorn.Server(uvicorn.Config(app, **options))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{options['port']}"
    finally:
        server.should_exit = True
        await task


async def test_the_server_ignores_forwarded_allow_ips(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `zorgplek serve` runs it, with uvicorn's own setting saying "trust everyone"."""
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    forged = {"X-Forwarded-For": "203.0.113.5", "X-Forwarded-Proto": "https"}
    async for url in _serve_echo(make_settings(database_url), database_url):
        async with http_client(base_url=url) as http:
            seen = (await http.get("/whoami", headers=forged)).json()
    assert seen == {"client": "127.0.0.1", "scheme": "http"}

    trusting = make_settings(database_url, trusted_proxies="127.0.0.1")
    async for url in _serve_echo(trusting, database_url):
        async with http_client(base_url=url) as http:
            seen = (await http.get("/whoami", headers=forged)).json()
    assert seen == {"client": "203.0.113.5", "scheme": "https"}


def test_zorgplek_up_trusts_only_loopback_for_its_own_pages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services import cli

    seen: list[Settings] = []
    for name in ("ZORGPLEK_TRUSTED_PROXIES", "ZORGPLEK_ENV", "ZORGPLEK_DEV_LOGIN"):
        monkeypatch.setenv(name, "")  # restored (to unset) after the test
        monkeypatch.delenv(name)
    monkeypatch.setattr(cli, "_serve", lambda settings, *_a, **_k: seen.append(settings))
    cli.main(["up", "--port", str(free_port())])
    [settings] = seen
    assert {str(n) for n in settings.trusted_networks()} == {"127.0.0.1/32", "::1/128"}
