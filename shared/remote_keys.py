"""API keys for services that do not own them: the capacity service issues and stores keys,
triage and notify ask it who a key stands for. Answers are kept briefly, so a key costs one
call per CACHE_SECONDS, and a revocation takes effect within that time — except where
notify asks by the key's id whether it is still active, which is never cached."""

from __future__ import annotations

import time
import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal, hash_api_key, issue_token
from shared.errors import Unavailable
from shared.http import client as http_client
from shared.settings import Settings

CACHE_SECONDS = 30.0
CACHE_LIMIT = 10_000
TIMEOUT = httpx.Timeout(5.0, connect=2.0)


class RemoteApiKeys:
    """An `ApiKeyResolver` that asks the capacity service."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base = (settings.capacity_url or settings.self_url()).rstrip("/")
        self.url = f"{self.base}/api/v1/api-keys/introspect"
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    async def __call__(self, _session: AsyncSession, key: str) -> Principal | None:
        digest = hash_api_key(key)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        principal = await self._ask("POST", self.url, {"key": key})
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[digest] = (now + CACHE_SECONDS, principal)
        return principal

    async def active(self, key_id: uuid.UUID) -> Principal | None:
        """Who the key with this id stands for now; None once it is revoked. Never cached:
        notify asks this before delivering to a subscription an API key made."""
        return await self._ask("GET", f"{self.base}/api/v1/api-keys/{key_id}")

    async def _ask(self, method: str, url: str, body: object = None) -> Principal | None:
        token = issue_token(
            self.settings,
            sub="service:api-keys",
            name="Zorgplek",
            roles=["service"],
            ttl_seconds=300,
        )
        try:
            async with http_client(timeout=TIMEOUT) as http:
                response = await http.request(
                    method, url, json=body, headers={"Authorization": f"Bearer {token}"}
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
