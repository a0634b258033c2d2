"""Tokens: HS256 out of the box, OIDC through a real JWKS endpoint, and every way a token
can be wrong."""

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from shared.auth import TokenVerifier, issue_token
from shared.errors import Unauthorized
from shared.settings import Settings
from tests.conftest import SECRET


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "sub": "u1",
        "name": "Dr. Jansen",
        "org": None,
        "roles": ["referrer"],
        "regions": [],
        "iss": "zorgplek",
        "aud": "zorgplek",
        "exp": now + 60,
        **overrides,
    }


def unsigned(payload: dict[str, Any]) -> str:
    """A token with `alg: none`, as an attacker would send it."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# Built when each test runs, not when tests are collected: a slow run must not see a
# token expire that the test meant to be valid.
BAD_TOKENS: dict[str, Callable[[], str]] = {
    "expired": lambda: jwt.encode(claims(exp=int(time.time()) - 5), SECRET, "HS256"),
    "audience": lambda: jwt.encode(claims(aud="other"), SECRET, "HS256"),
    "issuer": lambda: jwt.encode(claims(iss="someone"), SECRET, "HS256"),
    "signature": lambda: jwt.encode(claims(), "another-secret-that-is-also-long-enough!!", "HS256"),
    "algorithm": lambda: unsigned(claims()),
    "lists": lambda: jwt.encode(claims(roles="admin"), SECRET, "HS256"),
    "organisation": lambda: jwt.encode(claims(org="not-a-uuid"), SECRET, "HS256"),
    "JWT": lambda: "not.a.jwt",
}


@pytest.mark.parametrize("reason", sorted(BAD_TOKENS))
async def test_bad_tokens_are_401(client: httpx.AsyncClient, reason: str) -> None:
    response = await client.get("/api/v1/regions", headers=bearer(BAD_TOKENS[reason]()))
    assert response.status_code == 401
    assert reason.lower() in response.json()["detail"].lower()


async def test_other_schemes_are_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/regions", headers={"Authorization": "Basic dTpw"})
    assert response.status_code == 401


async def test_token_with_unknown_roles_has_no_rights(client: httpx.AsyncClient) -> None:
    token = jwt.encode(claims(roles=["superuser"]), SECRET, "HS256")
    response = await client.post(
        "/api/v1/organisations", json={"name": "X", "kind": "vvt"}, headers=bearer(token)
    )
    assert response.status_code == 403


async def test_issued_token_is_accepted(client: httpx.AsyncClient, settings: Settings) -> None:
    token = issue_token(settings, sub="s", name="N", roles=["viewer"])
    assert (await client.get("/api/v1/regions", headers=bearer(token))).status_code == 200
    with pytest.raises(ValueError, match="unknown roles"):
        issue_token(settings, sub="s", name="N", roles=["king"])


@pytest.fixture(scope="module")
def oidc() -> Iterator[tuple[str, Any]]:
    """A real HTTP server publishing a JWKS, as an OIDC provider does."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwks = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(jwks)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/jwks", key
    server.shutdown()
    server.server_close()


async def test_oidc_tokens_are_verified_against_the_jwks(oidc: tuple[str, Any]) -> None:
    url, key = oidc
    settings = Settings(
        env="production",
        jwt_secret=SECRET,
        database_url="postgresql://x/y",
        oidc_issuer="https://login.regio.example",
        oidc_jwks_url=url,
        oidc_audience="zorgplek-web",
    )
    verifier = TokenVerifier(settings)
    good = claims(
        iss="https://login.regio.example",
        aud="zorgplek-web",
        roles=["triagist"],
        regions=["ZK-KENNEMERLAND"],
    )
    token = jwt.encode(good, key, "RS256", headers={"kid": "k1"})
    principal = await verifier.verify(token)
    assert principal.roles == frozenset({"triagist"})
    assert principal.regions == ("ZK-KENNEMERLAND",)
    wrong_issuer = jwt.encode(
        {**good, "iss": "https://evil.example"}, key, "RS256", headers={"kid": "k1"}
    )
    with pytest.raises(Unauthorized):
        await verifier.verify(wrong_issuer)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(good, other_key, "RS256", headers={"kid": "k1"})
    with pytest.raises(Unauthorized):
        await verifier.verify(forged)


def test_weak_or_missing_secrets_are_refused_outside_development(tmp_path: Path) -> None:
    database = "postgresql://x/y"
    example = "change-me-to-a-long-random-secret-of-32-bytes-or-more"
    for secret in ("changeme", "short-secret", example):
        with pytest.raises(ValueError, match="at least 32 bytes"):
            Settings(env="production", database_url=database, jwt_secret=secret)
    # An API service needs both; the web pages need neither (tests/web/test_standalone.py).
    with pytest.raises(ValueError, match="required outside development"):
        Settings(env="production", database_url=database).check_api()
    with pytest.raises(ValueError, match="DATABASE_URL"):
        Settings(env="production", jwt_secret=SECRET).check_api()
    dev = Settings(env="development", home=tmp_path)
    secret = dev.signing_secret()
    assert len(secret) >= 32
    assert Settings(env="development", home=tmp_path).signing_secret() == secret
    assert (tmp_path / "jwt-secret").stat().st_mode & 0o077 == 0
