"""Signing in through an OIDC provider: the authorization-code flow with PKCE against a
small identity provider served on loopback, and a second Zorgplek app configured for it."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse

from services.cli import components
from shared.app import create_app
from shared.http import client as http_client
from tests.conftest import free_port, make_settings

CLIENT_ID = "zorgplek-pages"


@dataclass
class IdentityProvider:
    """Issues RS256 tokens for one user; checks the PKCE verifier and the redirect URI."""

    url: str = ""
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def token(self, claims: dict[str, Any]) -> str:
        now = int(time.time())
        body = {"iss": self.url, "iat": now, "exp": now + 600, **claims}
        return jwt.encode(body, self.key, algorithm="RS256", headers={"kid": "k1"})

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        async def discovery() -> dict[str, str]:
            return {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "jwks_uri": f"{self.url}/jwks",
            }

        @app.get("/jwks")
        async def jwks() -> dict[str, Any]:
            public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return {"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}

        @app.get("/authorize")
        async def authorize(request: Request) -> RedirectResponse:
            params = dict(request.query_params)
            self.authorize_requests.append(params)
            code = secrets.token_urlsafe(16)
            self.codes[code] = params
            query = urlencode({"code": code, "state": params["state"]})
            return RedirectResponse(f"{params['redirect_uri']}?{query}", status_code=302)

        @app.post("/token")
        async def token(
            grant_type: str = Form(),
            code: str = Form(),
            redirect_uri: str = Form(),
            client_id: str = Form(),
            code_verifier: str = Form(),
        ) -> JSONResponse:
            self.token_requests.append({"code": code, "code_verifier": code_verifier})
            started = self.codes.pop(code, None)
            digest = hashlib.sha256(code_verifier.encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            if (
                started is None
                or grant_type != "authorization_code"
                or client_id != started["client_id"]
                or redirect_uri != started["redirect_uri"]
                or challenge != started["code_challenge"]
            ):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            user = {"sub": "oidc-coordinator", "name": "C. de Wit"}
            access = self.token(
                {**user, "aud": "zorgplek", "roles": ["viewer"], "regions": ["ZK-KENNEMERLAND"]}
            )
            identity = self.token({**user, "aud": client_id, "nonce": started["nonce"]})
            return JSONResponse(
                {"access_token": access, "id_token": identity, "token_type": "Bearer"}
            )

        return app


async def _serve(app: Any, port: int) -> AsyncIterator[None]:
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    yield
    server.should_exit = True
    await task


@pytest.fixture(scope="module")
async def idp() -> AsyncIterator[IdentityProvider]:
    port = free_port()
    provider = IdentityProvider(url=f"http://127.0.0.1:{port}")
    async for _ in _serve(provider.app(), port):
        yield provider


@pytest.fixture(scope="module")
async def oidc_url(idp: IdentityProvider, database_url: str, live_url: str) -> AsyncIterator[str]:
    """A second Zorgplek, on the same database, signing in through `idp`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = make_settings(
        database_url,
        port=port,
        api_url=url,
        capacity_url=url,
        oidc_issuer=idp.url,
        oidc_jwks_url=f"{idp.url}/jwks",
        oidc_audience="zorgplek",
        oidc_client_id=CLIENT_ID,
    )
    app = create_app(components(settings), settings, database_url=database_url, run_loops=False)
    async with app.router.lifespan_context(app):
        async for _ in _serve(app, port):
            yield url


async def test_sign_in_through_oidc_with_pkce(oidc_url: str, idp: IdentityProvider) -> None:
    async with http_client(base_url=oidc_url, timeout=20) as browser:
        page = await browser.get("/inloggen")
        assert "Inloggen via uw organisatie" in page.text
        assert "demogebruiker" not in page.text

        start = await browser.get("/inloggen/oidc", params={"terug": "/regio"})
        assert start.status_code == 303
        authorize = start.headers["location"]
        assert authorize.startswith(f"{idp.url}/authorize?")
        params = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
        assert params["response_type"] == "code"
        assert params["client_id"] == CLIENT_ID
        assert params["code_challenge_method"] == "S256"
        assert params["redirect_uri"] == f"{oidc_url}/inloggen/terug"
        assert "code_verifier" not in params
        assert params["state"]
        assert params["nonce"]

        back = await browser.get(authorize)  # the identity provider sends the user back
        assert back.status_code == 302
        callback = await browser.get(back.headers["location"])
        assert callback.status_code == 303, callback.text
        assert callback.headers["location"] == "/regio"
        exchange = idp.token_requests[-1]
        assert len(exchange["code_verifier"]) >= 43

        region = await browser.get("/regio")
        assert region.status_code == 200
        assert "C. de Wit" in region.text
        assert "Regio: Kennemerland" in region.text

        # A second use of the same callback is refused: the state was spent.
        replay = await browser.get(back.headers["location"])
        assert replay.status_code == 400
        assert "verlopen of niet van hier begonnen" in replay.text


async def test_a_callback_with_a_foreign_state_is_refused(
    oidc_url: str, idp: IdentityProvider
) -> None:
    exchanges = len(idp.token_requests)
    async with http_client(base_url=oidc_url, timeout=20) as browser:
        await browser.get("/inloggen/oidc")
        forged = await browser.get("/inloggen/terug", params={"code": "x", "state": "forged"})
        assert forged.status_code == 400
        assert "verlopen of niet van hier begonnen" in forged.text
        assert len(idp.token_requests) == exchanges
        assert (await browser.get("/regio")).status_code == 303
        refused = await browser.get("/inloggen/terug", params={"error": "access_denied"})
        assert "afgebroken of geweigerd" in refused.text
