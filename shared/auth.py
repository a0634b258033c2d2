"""Who is calling: JWTs (HS256 out of the box, an OIDC issuer's keys by configuration) and
organisation API keys (`zpk_…`). Every router requires a caller unless it opts out."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import jwt
from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shared import ended_tokens
from shared.errors import Forbidden, Unauthorized
from shared.ratelimit import RateLimiter
from shared.settings import Settings

ROLES = frozenset({"referrer", "triagist", "provider", "admin", "viewer", "auditor", "service"})
PROFESSIONAL_ROLES = frozenset({"referrer", "triagist", "provider", "admin", "viewer"})
API_KEY_PREFIX = "zpk_"
API_KEY_SUB_PREFIX = "apikey:"  # an API key's `sub`: this and the key's id
HS_ALGORITHMS = ["HS256"]
OIDC_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    sub: str
    name: str
    org: uuid.UUID | None
    roles: frozenset[str]
    regions: tuple[str, ...] = ()
    via: Literal["jwt", "api_key"] = "jwt"
    scopes: frozenset[str] = field(default_factory=frozenset)
    on_behalf_of: str | None = None
    # A token's sign-in (for the audit log and signing out).
    session: str | None = None
    # When the credential was issued and stops being valid (a token's `iat` and `exp`);
    # None for an API key, which is valid until it is revoked.
    issued_at: datetime | None = None
    expires_at: datetime | None = None

    def has(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    def allows(self, scope: str) -> bool:
        """Tokens carry a person's full rights; an API key only the scopes it was given."""
        return self.via != "api_key" or scope in self.scopes

    def belongs_to(self, organisation_id: uuid.UUID) -> bool:
        return self.org is not None and self.org == organisation_id

    @property
    def api_key_id(self) -> uuid.UUID | None:
        """The id of the API key this caller is (see `of_api_key`); None for a person."""
        if self.via != "api_key":
            return None
        return uuid.UUID(self.sub.removeprefix(API_KEY_SUB_PREFIX))

    @classmethod
    def of_api_key(
        cls, key_id: uuid.UUID | str, label: str, organisation_id: uuid.UUID, scopes: list[str]
    ) -> Principal:
        """The caller an API key stands for: a provider system of its organisation, limited
        to the key's scopes."""
        return cls(
            sub=f"{API_KEY_SUB_PREFIX}{key_id}",
            name=label,
            org=organisation_id,
            roles=frozenset({"provider"}),
            via="api_key",
            scopes=frozenset(scopes),
        )


ApiKeyResolver = Callable[[AsyncSession, str], Awaitable[Principal | None]]


def hash_api_key(key: str) -> str:
    """API keys carry 256 bits of randomness, so a plain SHA-256 is a safe stored form."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def issue_token(
    settings: Settings,
    *,
    sub: str,
    name: str,
    roles: list[str],
    org: uuid.UUID | str | None = None,
    regions: list[str] | None = None,
    ttl_seconds: int = 12 * 3600,
) -> str:
    """A token signed with the configured HS256 secret (development, tests, services)."""
    unknown = set(roles) - ROLES
    if unknown or not roles:
        raise ValueError(f"unknown roles: {sorted(unknown)}" if unknown else "no role given")
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub,
        "name": name,
        "org": str(org) if org else None,
        "roles": roles,
        "regions": regions or [],
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + ttl_seconds,
        # Each token its own: a new sign-in is never a session that has already ended.
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode(claims, settings.signing_secret(), algorithm="HS256")


# A verified token is remembered (its signature, issuer, audience and claims checked once)
# for at most this long and never past its expiry, which is checked on every use. Less than
# the hour for which the identity provider's keys are kept anyway. Whether the token's
# session has ended is never remembered: `authenticate` asks the database every time.
VERIFIED_SECONDS = 300
VERIFIED_TOKENS = 10_000


class TokenVerifier:
    """Checks a bearer token's signature, issuer, audience and expiry."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._jwks: jwt.PyJWKClient | None = None
        if settings.oidc_jwks_url:
            self._jwks = jwt.PyJWKClient(settings.oidc_jwks_url, cache_keys=True, lifespan=3600)
        # token → (its caller, until when it is taken without checking it again)
        self._verified: dict[str, tuple[Principal, float]] = {}

    async def verify(self, token: str) -> Principal:
        """The token's caller; 401 when it is not valid (now)."""
        now = time.time()
        known = self._verified.get(token)
        if known is not None:
            principal, until = known
            if now < until:
                return principal
            del self._verified[token]
        principal = await self._check(token)
        if principal.expires_at is not None:
            if len(self._verified) >= VERIFIED_TOKENS:
                del self._verified[next(iter(self._verified))]  # the oldest first
            until = min(principal.expires_at.timestamp(), now + VERIFIED_SECONDS)
            self._verified[token] = (principal, until)
        return principal

    async def _check(self, token: str) -> Principal:
        """Signature, issuer, audience, expiry and claims, in full."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("The bearer token is not a valid JWT.") from exc
        try:
            if header.get("alg") in HS_ALGORITHMS and self.settings.jwt_secret is not None:
                claims = jwt.decode(
                    token,
                    self.settings.jwt_secret,
                    algorithms=HS_ALGORITHMS,
                    issuer=self.settings.jwt_issuer,
                    audience=self.settings.jwt_audience,
                    options={"require": ["exp", "sub", "iss", "aud"]},
                )
            elif header.get("alg") in OIDC_ALGORITHMS and self._jwks is not None:
                jwks = self._jwks
                key = await asyncio.to_thread(jwks.get_signing_key_from_jwt, token)
                claims = jwt.decode(
                    token,
                    key.key,
                    algorithms=OIDC_ALGORITHMS,
                    issuer=self.settings.oidc_issuer,
                    audience=self.settings.oidc_audience or self.settings.jwt_audience,
                    options={"require": ["exp", "sub", "iss", "aud"]},
                )
            else:
                raise Unauthorized("The token's signing algorithm is not accepted here.")
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The bearer token has expired.") from exc
        except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
            raise Unauthorized(f"The bearer token was refused: {exc}.") from exc
        principal = principal_from_claims(claims)
        if header.get("alg") in HS_ALGORITHMS and not self._shared_secret_may_sign(principal):
            raise Unauthorized(
                "People sign in through the identity provider here; a token signed with the "
                "shared secret is accepted only from Zorgplek's own services.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return replace(principal, session=ended_tokens.session_id(token))

    def _shared_secret_may_sign(self, principal: Principal) -> bool:
        """Where an OIDC issuer is configured in production, the HS256 secret signs only the
        services' own calls (role `service`), unless ZORGPLEK_JWT_HS256_FOR_PEOPLE allows
        more: whoever holds the secret could otherwise mint any person's rights."""
        settings = self.settings
        if settings.env != "production" or settings.oidc_issuer is None:
            return True
        return settings.jwt_hs256_for_people or principal.roles == {"service"}


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    roles = claims.get("roles") or []
    regions = claims.get("regions") or []
    if not isinstance(roles, list) or not isinstance(regions, list):
        raise Unauthorized("The token's roles and regions must be lists.")
    org: uuid.UUID | None = None
    if claims.get("org"):
        try:
            org = uuid.UUID(str(claims["org"]))
        except ValueError as exc:
            raise Unauthorized("The token's org claim is not an organisation id.") from exc
    return Principal(
        sub=str(claims["sub"]),
        name=str(claims.get("name") or claims["sub"]),
        org=org,
        roles=frozenset(str(r) for r in roles) & ROLES,
        regions=tuple(str(r) for r in regions),
        on_behalf_of=claims.get("act", {}).get("sub")
        if isinstance(claims.get("act"), dict)
        else None,
        issued_at=_instant(claims.get("iat")),
        expires_at=_instant(claims.get("exp")),
    )


def _instant(value: Any) -> datetime | None:
    """A numeric date claim (`iat`, `exp`) as a time; None when absent."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise Unauthorized("The token's iat or exp is out of range.") from exc


def bearer_token(request: Request) -> str | None:
    """The token from `Authorization: Bearer`, or `?access_token=` where a route allows it."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Use 'Authorization: Bearer <token>'.")
        return token.strip()
    if getattr(request.state, "allow_query_token", False):
        return request.query_params.get("access_token")
    return None


async def authenticate(request: Request) -> Principal:
    """The caller of this request; 401 without a valid token or key."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    token = bearer_token(request)
    if not token:
        raise Unauthorized(
            "This endpoint needs a bearer token.", headers={"WWW-Authenticate": "Bearer"}
        )
    principal: Principal | None
    if token.startswith(API_KEY_PREFIX):
        resolver: ApiKeyResolver | None = getattr(request.app.state, "api_key_resolver", None)
        if resolver is None:
            raise Unauthorized("API keys are not accepted by this service.")
        async with request.app.state.database.sessions() as session:
            principal = await resolver(session, token)
        if principal is None:
            raise Unauthorized("The API key is unknown or revoked.")
    else:
        verifier: TokenVerifier = request.app.state.token_verifier
        principal = await verifier.verify(token)
        async with request.app.state.database.auth_engine.connect() as connection:
            if await ended_tokens.has_ended(connection, token):
                raise Unauthorized(
                    "This token's session has ended (signed out).",
                    headers={"WWW-Authenticate": "Bearer"},
                )
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None and "service" not in principal.roles:
        limiter.check(f"{principal.via}:{principal.sub}", request.method)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def authenticated_router(**kwargs: Any) -> APIRouter:
    """A router on which every endpoint needs a caller: the default for every API."""
    return APIRouter(dependencies=[Depends(authenticate)], **kwargs)


def ensure_role(
    principal: Principal,
    *roles: str,
    doing: str,
    api_key_scope: str = "",
    any_api_key: bool = False,
) -> None:
    """The one role rule (docs/architecture.md#roles): 403 unless the caller has one of
    `roles`. An API key (a provider system acting for its organisation) passes by its role
    alone with `any_api_key`, with `api_key_scope` only when it holds that scope, and
    otherwise not at all: the action is for people, with a personal token."""
    if not principal.has(*roles):
        raise Forbidden(f"Only {_someone(roles)} may {doing}.")
    if principal.via != "api_key" or any_api_key:
        return
    if not (api_key_scope and principal.allows(api_key_scope)):
        needed = f"the scope '{api_key_scope}'" if api_key_scope else "a personal token"
        raise Forbidden(f"To {doing} with an API key needs {needed}.")


def _someone(roles: tuple[str, ...]) -> str:
    """Who has one of `roles`, in words: "a triagist or referrer", "an admin"."""
    if len(roles) > 2:
        return f"a caller with one of the roles {', '.join(roles)}"
    first = roles[0] if roles else "caller"
    article = "an" if first[:1] in "aeiou" else "a"
    return f"{article} {' or '.join(roles) or first}"


def role_required(*roles: str, doing: str) -> Any:
    """`ensure_role` for every endpoint of a router or an endpoint as a whole, as an
    `Annotated` dependency; API keys pass by their role."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        ensure_role(principal, *roles, doing=doing, any_api_key=True)
        return principal

    return Depends(dependency)


AnyRole = Annotated[Principal, role_required(*sorted(ROLES), doing="use this API")]
"""Any caller with a role: a token that carries none (or only unknown ones) gets 403."""
Professional = Annotated[
    Principal, role_required(*sorted(PROFESSIONAL_ROLES), doing="use this API")
]
Provider = Annotated[Principal, role_required("provider", doing="do this")]
Admin = Annotated[Principal, role_required("admin", doing="do this")]
ServiceCaller = Annotated[Principal, role_required("service", doing="call this")]
