"""The web pages as a process of their own: no database and no JWT secret, ready without
PostgreSQL, reaching the APIs only over HTTP."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx

from services.cli import components
from shared.app import create_app
from shared.settings import Settings
from tests.conftest import free_port

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
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
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
