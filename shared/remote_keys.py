"""API keys for services that do not own them: the capacity service issues and stores keys,
triage and notify ask it who a key stands for. Answers are kept briefly, so a key costs one
call per CACHE_SECONDS, and a revocation takes effect within that time."""

from __future__ import annotations

import time
import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal, hash_api_key, issue_token
from shared.errors import Unavailable
from shared.settings import Settings

CACHE_SECONDS = 30.0
CACHE_LIMIT = 10_000
TIMEOUT = httpx.Timeout(5.0, connect=2.0)


class RemoteApiKeys:
    """An `ApiKeyResolver` that asks the capacity service."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        base = (settings.capacity_url or settings.self_url()).rstrip("/")
        self.url = f"{base}/api/v1/api-keys/introspect"
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    async def __call__(self, _session: AsyncSession, key: str) -> Principal | None:
        digest = hash_api_key(key)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        principal = await self._ask(key)
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[digest] = (now + CACHE_SECONDS, principal)
        return principal

    async def _ask(self, key: str) -> Principal | None:
        token = issue_token(
            self.settings,
            sub="service:api-keys",
            name="Zorgplek",
            roles=["service"],
            ttl_seconds=300,
        )
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT) as http:
                response = await http.post(
                    self.url, json={"key": key}, headers={"Authorization": f"Bearer {token}"}
                )
        except httpx.HTTPError as exc:
            raise Unavailable(
                "API keys cannot be checked right now; please try again.",
                headers={"Retry-After": "5"},
            ) from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise Unavailable(
                "API keys cannot be checked right now; please try again.",
                headers={"Retry-After": "5"},
            )
        found = response.json()
        return Principal.of_api_key(
            found["id"], str(found["label"]), uuid.UUID(found["organisation_id"]), found["scopes"]
        )
