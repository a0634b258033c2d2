"""Triage reaches capacity with a token of its own: role `service`, nothing more."""

from __future__ import annotations

import jwt
import pytest
from fastapi import FastAPI

from services.triage.capacity_client import SERVICE_SUB, CapacityClient, open_client
from shared.settings import Settings
from tests.conftest import SECRET


async def test_the_service_token_carries_only_the_service_role(settings: Settings) -> None:
    client = CapacityClient(settings)
    try:
        token = client._headers()["Authorization"].removeprefix("Bearer ")
    finally:
        await client.close()
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="zorgplek")
    assert (claims["sub"], claims["roles"], claims["org"]) == (SERVICE_SUB, ["service"], None)
    assert client.base_url == settings.capacity_url


async def test_no_start_without_a_secret_to_sign_it() -> None:
    oidc_only = Settings(
        env="production",
        oidc_issuer="https://idp.example",
        database_url="postgresql://zorgplek@db.example/zorgplek",
    )
    app = FastAPI()
    app.state.settings = oidc_only
    with pytest.raises(RuntimeError, match="ZORGPLEK_JWT_SECRET"):
        await open_client(app)
