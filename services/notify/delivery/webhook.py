"""Webhooks as the Standard Webhooks specification has them: `webhook-id` (the event id,
the same on every retry), `webhook-timestamp` (this attempt, Unix seconds) and
`webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.

Connections go through a network backend that resolves the host itself, refuses
non-public addresses and connects to the address it checked, so a DNS answer that changes
between the check and the connection cannot point a webhook at our own network."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from services.notify.delivery.outcome import Outcome
from services.notify.subscriptions import targets
from services.notify.subscriptions.targets import UnsafeTarget
from shared.http import tls

USER_AGENT = "Zorgplek-Webhooks/1"
GONE = "the receiver answered 410 Gone"
MAX_CONNECTIONS = 100


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The request body: compact JSON, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,` + base64 of HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed by the secret's
    decoded bytes."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(targets.secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(msg_id: str, secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers of one attempt."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks every address, and connects to a checked one."""

    def __init__(self, allow_private: bool) -> None:
        self._allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if self._allow_private:
            return await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        addresses = await targets.public_addresses(host, port)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise UnsafeTarget("a Unix socket is not a webhook target")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport on the guarded backend; never through a proxy from the
    environment, which would connect on our behalf to anything."""

    def __init__(self, allow_private: bool) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=tls(trust_env=False),
            max_connections=MAX_CONNECTIONS,
            max_keepalive_connections=20,
            keepalive_expiry=30.0,
            network_backend=GuardedBackend(allow_private),
        )


def client(allow_private: bool, timeout: float) -> httpx.AsyncClient:
    """The client every webhook goes through; redirects are not followed."""
    return httpx.AsyncClient(
        transport=GuardedTransport(allow_private),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
    )


async def send(
    http: httpx.AsyncClient,
    *,
    target: str,
    secret: str,
    payload: dict[str, Any],
    timeout_seconds: float,
    allow_private: bool,
) -> Outcome:
    """One attempt. Only a 2xx answer counts as delivered; a redirect is a failure, and
    `410 Gone` asks us to stop."""
    try:
        targets.split_url(target, allow_private)
    except UnsafeTarget as exc:
        return Outcome(False, error=f"refused: the target {exc}")
    body = body_bytes(payload)
    try:
        async with asyncio.timeout(timeout_seconds):
            request_headers = headers(str(payload["id"]), secret, body)
            async with http.stream("POST", target, content=body, headers=request_headers) as r:
                status, location = r.status_code, r.headers.get("location")
    except UnsafeTarget as exc:
        return Outcome(False, error=f"refused: the target {exc}")
    except (TimeoutError, httpx.TimeoutException):
        return Outcome(False, error=f"no answer within {timeout_seconds:g} s")
    except httpx.HTTPError as exc:
        return Outcome(False, error=f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= status < 300:
        return Outcome(True, status)
    if status == 410:
        return Outcome(False, status, "410 Gone: the receiver asked to stop", disable=GONE)
    if 300 <= status < 400:
        return Outcome(False, status, f"HTTP {status}: redirect to {location} not followed"[:500])
    return Outcome(False, status, f"HTTP {status}")
