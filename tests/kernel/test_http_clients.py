"""Every HTTP client Zorgplek makes shares one TLS context per process (`shared.http`),
which verifies certificates and host names as httpx's own default does."""

from __future__ import annotations

import ssl

import httpx

from services.notify.delivery import webhook
from shared.http import client, tls


def _context_of(http: httpx.AsyncClient) -> ssl.SSLContext:
    transport = http._transport
    assert isinstance(transport, httpx.AsyncHTTPTransport)
    context = transport._pool._ssl_context
    assert context is not None
    return context


async def test_every_client_shares_one_context_that_verifies() -> None:
    async with client() as first, client(timeout=3) as second:
        assert _context_of(first) is _context_of(second) is tls()
    assert tls().verify_mode is ssl.CERT_REQUIRED
    assert tls().check_hostname
    assert tls().get_ca_certs(), "no certificate authorities loaded"


async def test_webhooks_share_one_context_that_ignores_the_environment() -> None:
    async with webhook.client(False, 10.0) as first, webhook.client(True, 5.0) as second:
        assert _context_of(first) is _context_of(second) is tls(trust_env=False)
    assert tls(trust_env=False) is not tls()
    assert tls(trust_env=False).verify_mode is ssl.CERT_REQUIRED
