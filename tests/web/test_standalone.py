"""The web pages as a process of their own: no database and no JWT secret, ready without
PostgreSQL, reaching the APIs only over HTTP."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import uvicorn

from services.cli import components
from services.web.core import session as sessions
from shared import ended_tokens
from shared.app import create_app
from shared.auth import issue_token
from shared.db import plain_url
from shared.http import client as http_client
from shared.settings import Settings
from tests.conftest import free_port, make_settings

ZORGPLEK = str(Path(sys.executable).parent / "zorgplek")
SESSION_SECRET = "a-session-secret-of-at-least-32-bytes-for-cookies"


async def test_the_web_app_has_no_database_and_is_ready_without_one() -> None:
    settings = Settings(
        env="production",
        session_secret=SESSION_SECRET,
        api_url=f"http://127.0.0.1:{free_port()}",
        database_url=None,
    )
    assert settings.jwt_secret is None
    app = create_app(components(settings, ["web"]), settings, database_url=None)
    async with app.router.lifespan_context(app):
        assert not hasattr(app.state, "database")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://web.test") as http:
            ready = await http.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert "database" not in ready.json()["checks"]
            assert (await http.get("/inloggen")).status_code == 200


async def test_zorgplek_serve_web_starts_without_database_url_or_jwt_secret(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZORGPLEK_")}
    env |= {
        "ZORGPLEK_ENV": "production",
        "ZORGPLEK_SESSION_SECRET": SESSION_SECRET,
        "ZORGPLEK_API_URL": f"http://127.0.0.1:{free_port()}",
        "ZORGPLEK_HOME": str(tmp_path),
    }
    process = await asyncio.create_subprocess_exec(
        ZORGPLEK,
        "serve",
        "web",
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with http_client(base_url=f"http://127.0.0.1:{port}") as http:
            ready = None
            for _ in range(600):
                try:
                    ready = await http.get("/readyz")
                    break
                except httpx.TransportError:
                    if process.returncode is not None:
                        break
                    await asyncio.sleep(0.1)
            assert process.returncode is None, await _stderr(process)
            assert ready is not None, "zorgplek serve web did not answer"
            assert ready.status_code == 200, ready.text
            page = await http.get("/inloggen")
            assert page.status_code == 200
            assert '<html lang="nl">' in page.text
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()
    assert not any(tmp_path.iterdir())  # noqa: ASYNC240 - nothing generated: no secret, no database


async def _stderr(process: asyncio.subprocess.Process) -> str:
    assert process.stderr is not None
    return (await process.stderr.read()).decode(errors="replace")


@pytest.fixture
async def trusting_api(database_url: str) -> AsyncIterator[str]:
    """The APIs on a socket of their own, trusting loopback (where the pages call from)."""
    port = free_port()
    settings = make_settings(
        database_url, capacity_url=f"http://127.0.0.1:{port}", trusted_proxies="127.0.0.1"
    )
    api = create_app(
        components(settings, ["capacity", "triage", "notify"]),
        settings,
        database_url=database_url,
        run_loops=False,
    )
    async with api.router.lifespan_context(api):
        server = uvicorn.Server(
            uvicorn.Config(api, host="127.0.0.1", port=port, lifespan="off", log_config=None)
        )
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await task


async def test_an_action_through_the_pages_is_audited_with_the_browsers_address(
    trusting_api: str, database_url: str, settings: Settings
) -> None:
    """The pages alone (no database, no JWT secret) in front of the APIs: the audit entry
    of what a user does on a page names the user's browser and the sign-in, not the pages'
    own address."""
    web_settings = Settings(
        env="production", session_secret=SESSION_SECRET, api_url=trusting_api, database_url=None
    )
    web = create_app(components(web_settings, ["web"]), web_settings, database_url=None)
    async with http_client(base_url=trusting_api) as api:
        admin = {
            "Authorization": "Bearer " + issue_token(settings, sub="a", name="A", roles=["admin"])
        }
        practice = (
            await api.post(
                "/api/v1/organisations", json={"name": "Praktijk Oost", "kind": "gp"}, headers=admin
            )
        ).json()
        token = issue_token(
            settings, sub="huisarts-1", name="Dr. Oost", roles=["referrer"], org=practice["id"]
        )
        sent = await api.post(
            "/api/v1/referrals",
            json={
                "place_type": "GRZ",
                "urgency": "soon",
                "region_code": "ZK-KENNEMERLAND",
                "patient": {"birth_year": 1940, "sex": "female", "postcode": "2011"},
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert sent.status_code == 201, sent.text
    referral_id = sent.json()["id"]
    async with web.router.lifespan_context(web):
        session = sessions.Session()
        session.sign_in(token, int(time.time()) + 3600, None, None)
        transport = httpx.ASGITransport(app=web, client=("203.0.113.9", 51000))
        async with httpx.AsyncClient(transport=transport, base_url="http://web.test") as browser:
            browser.cookies.set(
                sessions.COOKIE, sessions.encode(session, web.state.web_session_key)
            )
            page = await browser.get(f"/aanmeldingen/{referral_id}")
            assert page.status_code == 200, page.text[:300]
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        rows = await connection.fetch(
            "SELECT source_address, session_id FROM audit.audit_log "
            "WHERE object_id = $1 AND action = 'read' AND actor = 'huisarts-1'",
            referral_id,
        )
    finally:
        await connection.close()
    assert rows, "the page's read was not audited"
    assert {(r["source_address"], r["session_id"]) for r in rows} == {
        ("203.0.113.9", ended_tokens.session_id(token))
    }
