"""Signing in: the development sign-in as a demo user, or the OIDC authorization-code flow
with PKCE against ZORGPLEK_OIDC_ISSUER. Either way the session holds a token the APIs
accept, checked before the session starts."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from services.web.core.api import Api, ApiError
from services.web.core.pages import principal_of
from services.web.core.session import MAX_AGE_SECONDS, Session
from shared.auth import Principal
from shared.settings import Settings


class SignInFailed(Exception):
    """Signing in did not succeed; `message` is Dutch."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Provider:
    """The endpoints of the OIDC issuer, from its discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


_discovered: dict[str, Provider] = {}


def oidc_configured(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id)


async def discover(http: httpx.AsyncClient, settings: Settings) -> Provider:
    """The issuer's discovery document, fetched once per process."""
    issuer = (settings.oidc_issuer or "").rstrip("/")
    if issuer in _discovered:
        return _discovered[issuer]
    try:
        response = await http.get(f"{issuer}/.well-known/openid-configuration")
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        provider = Provider(
            issuer=str(document["issuer"]),
            authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]),
            jwks_uri=str(document["jwks_uri"]),
        )
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise SignInFailed(
            "De inlogdienst van uw organisatie is nu niet bereikbaar. Probeer het later opnieuw."
        ) from exc
    if provider.issuer.rstrip("/") != issuer:
        raise SignInFailed("De inlogdienst is niet goed ingesteld (issuer klopt niet).")
    _discovered[issuer] = provider
    return provider


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


async def start(
    http: httpx.AsyncClient,
    settings: Settings,
    session: Session,
    redirect_uri: str,
    target: str,
) -> str:
    """Begin the flow: remember state, nonce and the PKCE verifier in the session, and
    answer the issuer's authorization URL."""
    provider = await discover(http, settings)
    state, nonce, verifier = (
        secrets.token_urlsafe(24),
        secrets.token_urlsafe(24),
        secrets.token_urlsafe(48),
    )
    session.oidc = {"state": state, "nonce": nonce, "verifier": verifier, "target": target}
    session.changed = True
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.oidc_client_id,
            "redirect_uri": redirect_uri,
            "scope": settings.oidc_scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if "?" in provider.authorization_endpoint else "?"
    return f"{provider.authorization_endpoint}{separator}{query}"


async def _check_id_token(
    provider: Provider, settings: Settings, id_token: str, nonce: str
) -> None:
    client = jwt.PyJWKClient(provider.jwks_uri, cache_keys=True)
    try:
        key = await asyncio.to_thread(client.get_signing_key_from_jwt, id_token)
        claims = jwt.decode(
            id_token,
            key.key,
            algorithms=["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"],
            audience=settings.oidc_client_id,
            issuer=provider.issuer,
            options={"require": ["exp", "iat", "sub"]},
        )
    except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
        raise SignInFailed(
            "Het antwoord van de inlogdienst kon niet worden gecontroleerd."
        ) from exc
    if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise SignInFailed("Het antwoord van de inlogdienst hoort niet bij deze inlogpoging.")


async def finish(
    http: httpx.AsyncClient,
    settings: Settings,
    session: Session,
    *,
    code: str,
    state: str,
    redirect_uri: str,
) -> tuple[str, str]:
    """Exchange the code (with the PKCE verifier) for tokens; answer the access token and
    where the user wanted to go."""
    pending = session.oidc
    session.oidc = None
    session.changed = True
    if not pending or not hmac.compare_digest(pending.get("state", ""), state):
        raise SignInFailed(
            "Deze inlogpoging is verlopen of niet van hier begonnen. Probeer opnieuw."
        )
    provider = await discover(http, settings)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": settings.oidc_client_id or "",
        "code_verifier": pending["verifier"],
    }
    if settings.oidc_client_secret:
        form["client_secret"] = settings.oidc_client_secret
    try:
        response = await http.post(provider.token_endpoint, data=form)
        tokens: dict[str, Any] = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SignInFailed(
            "De inlogdienst is nu niet bereikbaar. Probeer het later opnieuw."
        ) from exc
    if response.status_code != 200 or "access_token" not in tokens:
        raise SignInFailed("De inlogdienst weigerde de inlogpoging. Probeer het opnieuw.")
    if tokens.get("id_token"):
        await _check_id_token(provider, settings, str(tokens["id_token"]), pending["nonce"])
    return str(tokens["access_token"]), pending.get("target") or "/"


async def open_session(session: Session, api: Api) -> Principal:
    """Ask the APIs who the token (`api`'s) stands for, then start the session with the
    user's organisation (its name for the header, its location for distances)."""
    try:
        answer = await api.sign_in()  # audited as the sign-in
    except ApiError as exc:
        if exc.status != 401:
            raise SignInFailed(exc.message) from exc
        raise SignInFailed("Uw account heeft (nog) geen toegang tot Zorgplek.") from exc
    principal = principal_of(answer)
    if not principal.roles:
        raise SignInFailed("Uw account heeft geen rol in Zorgplek. Vraag uw beheerder.")
    expires_at = answer.expires_at
    now = int(time.time())
    expires = min(int(expires_at.timestamp()) if expires_at else now + 3600, now + MAX_AGE_SECONDS)
    name, practice = None, None
    if principal.org is not None:
        try:
            organisation = await api.organisation(principal.org)
            name = organisation.name
            if organisation.lat is not None and organisation.lon is not None:
                practice = (organisation.lat, organisation.lon)
        except ApiError:
            pass  # the header then shows no organisation; nothing else depends on it
    assert api.token is not None
    session.sign_in(api.token, expires, name, practice)
    return principal


@dataclass(frozen=True, slots=True)
class DemoUser:
    """A demo user the development sign-in offers."""

    sub: str
    name: str
    role: str
    organisation_name: str | None


async def demo_users(api: Api) -> list[DemoUser]:
    """The demo users, where the APIs offer the development sign-in; else none."""
    try:
        answer = await api.demo_users()
    except ApiError:
        return []
    return [DemoUser(u.sub, u.name, u.role, u.organisation_name) for u in answer.items]


async def demo_token(api: Api, sub: str) -> str:
    """A demo user's token, issued by the APIs (development only)."""
    try:
        answer = await api.demo_sign_in(sub)
    except ApiError as exc:
        raise SignInFailed("Inloggen als demogebruiker staat hier uit.") from exc
    return answer.token


def safe_target(target: str | None) -> str | None:
    """A local path to return to after signing in; anything else is ignored."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None
