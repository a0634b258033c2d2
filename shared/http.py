"""HTTP clients with one TLS context per process.

httpx reads its CA bundle into a new TLS context for every client made without one: tens of
milliseconds of CPU, each time. Every client Zorgplek makes — between its services, to the
identity provider, to webhook receivers — shares one instead, which verifies certificates
exactly as httpx's own default would (SSL_CERT_FILE or SSL_CERT_DIR when the environment is
trusted, else certifi's bundle)."""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx


def tls(*, trust_env: bool = True) -> ssl.SSLContext:
    """The process's TLS context for verified connections; made on first use."""
    return _tls(trust_env)


@functools.cache
def _tls(trust_env: bool) -> ssl.SSLContext:
    return httpx.create_ssl_context(trust_env=trust_env)


def client(*, trust_env: bool = True, **options: Any) -> httpx.AsyncClient:
    """`httpx.AsyncClient(**options)` on the shared TLS context."""
    return httpx.AsyncClient(verify=tls(trust_env=trust_env), trust_env=trust_env, **options)
