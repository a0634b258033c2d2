"""The `zorgplek` command as a user runs it."""

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.cli import server_options
from shared.http import client as http_client
from shared.settings import Settings
from tests.conftest import SECRET, free_port
from tests.database import fresh_database

ZORGPLEK = str(Path(sys.executable).parent / "zorgplek")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ZORGPLEK, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_token_prints_a_signed_token() -> None:
    result = run(
        "token",
        "--sub",
        "gp-1",
        "--name",
        "Dr. Visser",
        "--role",
        "referrer",
        "--org",
        "3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b",
        "--region",
        "ZK-KENNEMERLAND",
        env={"ZORGPLEK_JWT_SECRET": SECRET, "ZORGPLEK_ENV": "development"},
    )
    assert result.returncode == 0, result.stderr
    import jwt

    claims = jwt.decode(result.stdout.strip(), SECRET, algorithms=["HS256"], audience="zorgplek")
    assert claims["roles"] == ["referrer"]
    assert claims["regions"] == ["ZK-KENNEMERLAND"]


def test_misconfiguration_fails_fast_with_a_clear_message() -> None:
    result = run(
        "migrate",
        env={
            "ZORGPLEK_ENV": "production",
            "ZORGPLEK_JWT_SECRET": "changeme",
            "ZORGPLEK_DATABASE_URL": "postgresql://nowhere/db",
        },
    )
    assert result.returncode != 0
    assert "ZORGPLEK_JWT_SECRET must be at least 32 bytes" in result.stderr


@pytest.fixture
async def other_database(tmp_path: Path) -> AsyncIterator[str]:
    async with fresh_database(tmp_path) as url:
        yield url


@pytest.mark.slow
async def test_up_with_demo_serves_the_demo(other_database: str, tmp_path: Path) -> None:
    """What `make run` does: migrate, load the demo, print tokens, serve everything."""
    port = free_port()
    env = {
        **os.environ,
        "ZORGPLEK_DATABASE_URL": other_database,
        "ZORGPLEK_HOME": str(tmp_path),
        "ZORGPLEK_PORT": str(port),
    }
    env.pop("ZORGPLEK_JWT_SECRET", None)
    process = await asyncio.create_subprocess_exec(
        ZORGPLEK,
        "up",
        "--demo",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        async with http_client(base_url=base) as http:
            for _ in range(600):
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                pytest.fail("zorgplek up did not become ready")
            assert process.stdout is not None
            output = (await asyncio.wait_for(process.stdout.read(4096), 5)).decode()
            referrer = re.search(r"referrer .*\n\s+(\S+)", output)
            assert referrer, output
            response = await http.get(
                "/api/v1/availability",
                params={"place_type": "ELV_HOOG", "near": "52.38,4.64"},
                headers={"Authorization": f"Bearer {referrer.group(1)}"},
            )
            assert response.status_code == 200
            items = response.json()["items"]
            assert items
            assert items[0]["facility"]["region_code"] == "ZK-KENNEMERLAND"
            # The demo queue has work in it: new cases to claim, and ones further along.
            triagist = re.search(r"triagist .*\n\s+(\S+)", output)
            assert triagist, output
            queue = await http.get(
                "/api/v1/queue", headers={"Authorization": f"Bearer {triagist.group(1)}"}
            )
            assert queue.status_code == 200, queue.text
            statuses = {i["status"] for i in queue.json()["items"]}
            assert {"submitted", "in_triage", "searching", "reserved"} <= statuses
            assert any(i["claimable"] for i in queue.json()["items"])
            # A configured database is never the demo's: no demo sign-in on it.
            assert (await http.get("/api/v1/demo/users")).status_code == 404
            assert "demogebruiker" not in (await http.get("/inloggen")).text
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 30)


@pytest.mark.slow
async def test_apikey_create_and_serve_one_service(other_database: str, tmp_path: Path) -> None:
    """`zorgplek migrate`, `zorgplek apikey create` and `zorgplek serve capacity` as an
    operator uses them, in production mode against a database server."""
    env = {
        "ZORGPLEK_DATABASE_URL": other_database,
        "ZORGPLEK_JWT_SECRET": SECRET,
        "ZORGPLEK_ENV": "production",
    }
    assert run("demo", env=env).returncode == 0
    organisation = "51a57ee5-b986-52f3-a977-28d89b433184"  # Zorgbalans in the demo
    created = run(
        "apikey",
        "create",
        "--org",
        organisation,
        "--scope",
        "capacity:write",
        "--label",
        "ECD",
        env=env,
    )
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("zpk_")
    bad = run(
        "apikey", "create", "--org", organisation, "--scope", "everything", "--label", "x", env=env
    )
    assert bad.returncode != 0
    assert "Invalid input" in bad.stderr

    port = free_port()
    process = await asyncio.create_subprocess_exec(
        ZORGPLEK,
        "serve",
        "capacity",
        "--port",
        str(port),
        env={**os.environ, **env},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with http_client(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(300):
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            facility = "a68fa0d5-1094-502c-a57a-eec6903b9c6e"  # Hof van Leyden
            response = await http.put(
                f"/api/v1/facilities/{facility}/capacity/GRZ",
                json={
                    "staffed": 8,
                    "occupied": 6,
                    "available": 2,
                    "observed_at": "2026-01-01T00:00:00Z",
                },
                headers={"Authorization": f"Bearer {key}"},
            )
            assert response.status_code == 200
            assert response.json()["applied"] is False  # older than the demo's report
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)


@pytest.mark.parametrize(
    ("argv", "database", "dev_login"),
    [
        (["up", "--demo"], None, True),  # `make run`: the demo on its embedded database
        (["up"], None, False),
        (["up", "--demo"], "postgresql://zorgplek@db.example/zorgplek", False),
        (["up"], "postgresql://zorgplek@db.example/zorgplek", False),
    ],
)
def test_up_offers_the_demo_sign_in_only_with_demo_on_the_embedded_database(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], database: str | None, dev_login: bool
) -> None:
    from services import cli

    seen: list[Any] = []
    for name in ("ZORGPLEK_ENV", "ZORGPLEK_TRUSTED_PROXIES", "ZORGPLEK_DATABASE_URL"):
        monkeypatch.setenv(name, "")  # restored (to unset) after the test
        monkeypatch.delenv(name)
    monkeypatch.setenv("ZORGPLEK_DEV_LOGIN", "1")  # asked for, and not obeyed on a real database
    if database:
        monkeypatch.setenv("ZORGPLEK_DATABASE_URL", database)
    monkeypatch.setattr(cli, "_serve", lambda settings, *_a, **_k: seen.append(settings))
    cli.main([*argv, "--port", str(free_port())])
    assert seen[0].dev_login is dev_login


def test_the_server_keeps_idle_connections_longer_than_its_clients() -> None:
    """Triage's client to capacity (httpx, 5 s) and the edge's proxies (60 s) close an idle
    connection first, so none of them sends a request on one the server is closing."""
    options = server_options(Settings(env="development"))
    assert options["timeout_keep_alive"] > httpx.Limits().keepalive_expiry
    assert options["timeout_keep_alive"] > 60
