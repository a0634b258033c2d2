"""Where people sign in through an OIDC provider, the shared HS256 secret no longer mints
people's rights: in production it signs only the services' own calls, unless a setting
explicitly allows more."""

from __future__ import annotations

import pytest

from shared.auth import TokenVerifier, issue_token
from shared.errors import Unauthorized
from shared.settings import Settings
from tests.conftest import SECRET

OIDC = {"oidc_issuer": "https://login.regio.example", "oidc_jwks_url": "http://127.0.0.1:9/jwks"}


def settings(**values: object) -> Settings:
    return Settings(jwt_secret=SECRET, database_url="postgresql://x/y", **values)  # type: ignore[arg-type]


def token(s: Settings, *roles: str) -> str:
    return issue_token(s, sub="minted", name="Minted", roles=list(roles))


@pytest.mark.parametrize("roles", [("admin",), ("triagist",), ("auditor",), ("service", "admin")])
async def test_with_oidc_in_production_a_shared_secret_token_for_a_person_is_refused(
    roles: tuple[str, ...],
) -> None:
    production = settings(env="production", **OIDC)
    with pytest.raises(Unauthorized, match="identity provider"):
        await TokenVerifier(production).verify(token(production, *roles))


async def test_the_services_own_calls_still_use_the_shared_secret() -> None:
    production = settings(env="production", **OIDC)
    principal = await TokenVerifier(production).verify(token(production, "service"))
    assert principal.roles == frozenset({"service"})


@pytest.mark.parametrize(
    "values",
    [
        {"env": "production"},  # no OIDC: the secret is how tokens are made
        {"env": "development", **OIDC},
        {"env": "production", "jwt_hs256_for_people": True, **OIDC},  # explicitly allowed
    ],
)
async def test_people_s_shared_secret_tokens_where_nothing_else_is_configured_or_allowed(
    values: dict[str, object],
) -> None:
    s = settings(**values)
    principal = await TokenVerifier(s).verify(token(s, "admin"))
    assert principal.roles == frozenset({"admin"})
