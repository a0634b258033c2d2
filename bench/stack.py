"""The processes under test, started as production starts them: `zorgplek serve <service>`
(production settings, no debug, access log off at level WARNING), one process each, on a
fresh database; and the ceiling (`bench.ceiling`) beside them on the same database."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from shared.auth import issue_token
from shared.http import client as http_client
from shared.settings import Settings

SECRET = "benchmark-secret-that-is-long-enough-for-hs256"
ZORGPLEK = str(Path(sys.executable).parent / "zorgplek")


def environment(database: str, port: int, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "ZORGPLEK_DATABASE_URL": database,
        "ZORGPLEK_ENV": "production",
        "ZORGPLEK_JWT_SECRET": SECRET,
        "ZORGPLEK_PORT": str(port),
        "ZORGPLEK_LOG_LEVEL": "WARNING",
        # One load generator sends every request: measure the service, not its limits.
        "ZORGPLEK_RATE_LIMITS": "off",
        **extra,
    }


def token(sub: str, roles: list[str], **claims: object) -> dict[str, str]:
    """Headers with a token as the identity provider would issue it (12 hours)."""
    settings = Settings(env="production", jwt_secret=SECRET, database_url="postgresql://x/y")
    issued = issue_token(settings, sub=sub, name=sub, roles=roles, **claims)  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {issued}"}


async def migrate(database: str) -> None:
    process = await asyncio.create_subprocess_exec(
        ZORGPLEK, "migrate", env=environment(database, 1), stdout=asyncio.subprocess.DEVNULL
    )
    if await process.wait() != 0:
        raise SystemExit("zorgplek migrate failed")


async def wait_ready(base: str, process: asyncio.subprocess.Process) -> None:
    async with http_client(base_url=base, timeout=2) as http:
        for _ in range(600):
            if process.returncode is not None:
                raise SystemExit(f"{base} exited with {process.returncode}")
            try:
                if (await http.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"{base} did not become ready")


@dataclass(frozen=True, slots=True)
class Server:
    name: str
    base: str


@asynccontextmanager
async def serve(name: str, argv: list[str], env: dict[str, str]) -> AsyncIterator[Server]:
    """One server process, ready, stopped afterwards."""
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{env['ZORGPLEK_PORT']}"
    try:
        await wait_ready(base, process)
        yield Server(name, base)
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


@dataclass(frozen=True, slots=True)
class Stack:
    capacity: Server
    ceiling: Server
    notify: Server
    triage: Server
    # Every service in one process (`zorgplek up`), for the pages that call them all.
    whole: Server


@asynccontextmanager
async def stack(database: str) -> AsyncIterator[Stack]:
    port = 18100 + os.getpid() % 500 * 8
    async with AsyncExitStack() as stack:
        capacity = await stack.enter_async_context(
            serve("capacity", [ZORGPLEK, "serve", "capacity"], environment(database, port))
        )
        ceiling = await stack.enter_async_context(
            serve(
                "ceiling", [sys.executable, "-m", "bench.ceiling"], environment(database, port + 1)
            )
        )
        notify = await stack.enter_async_context(
            serve(
                "notify",
                [ZORGPLEK, "serve", "notify"],
                # Webhooks go to a receiver on this machine.
                environment(database, port + 2, ZORGPLEK_WEBHOOK_ALLOW_PRIVATE="true"),
            )
        )
        triage = await stack.enter_async_context(
            serve(
                "triage",
                [ZORGPLEK, "serve", "triage"],
                environment(database, port + 3, ZORGPLEK_CAPACITY_URL=capacity.base),
            )
        )
        whole = await stack.enter_async_context(
            serve(
                "whole",
                [ZORGPLEK, "up"],
                environment(database, port + 4, ZORGPLEK_WEBHOOK_ALLOW_PRIVATE="true"),
            )
        )
        yield Stack(capacity, ceiling, notify, triage, whole)
