"""`/api/v1/session`: who a token stands for, and signing out, after which every service
refuses that token, whoever holds a copy."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from shared import ended_tokens
from shared.audit import AuditEntry
from tests.conftest import TokenFactory

# One call per service, each needing a token the service accepts.
EVERY_SERVICE = [
    "/api/v1/organisations",  # capacity
    "/api/v1/stats",  # triage
    "/api/v1/subscriptions",  # notify
    "/api/v1/session",  # the kernel's own
]


async def test_the_session_says_who_the_token_stands_for(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    headers = auth("triagist", regions=["ZK-KENNEMERLAND"], sub="m-bakker")
    answer = await client.get("/api/v1/session", headers=headers)
    assert answer.status_code == 200
    body = answer.json()
    assert body["sub"] == "m-bakker"
    assert body["roles"] == ["triagist"]
    assert body["regions"] == ["ZK-KENNEMERLAND"]
    assert body["expires_at"]
    assert (await client.get("/api/v1/session")).status_code == 401


async def test_signing_out_ends_the_token_in_every_service(
    client: httpx.AsyncClient, auth: TokenFactory, app: object
) -> None:
    stolen = auth("admin", sub="beheerder")
    other_sign_in = auth("admin", sub="beheerder")
    for path in EVERY_SERVICE:
        assert (await client.get(path, headers=stolen)).status_code == 200, path
    assert (await client.delete("/api/v1/session", headers=stolen)).status_code == 204
    for path in EVERY_SERVICE:
        refused = await client.get(path, headers=stolen)
        assert refused.status_code == 401, path
        assert "signed out" in refused.json()["detail"]
    stream = await client.get(
        "/api/v1/stream", params={"access_token": stolen["Authorization"][7:]}
    )
    assert stream.status_code == 401
    again = await client.delete("/api/v1/session", headers=stolen)
    assert again.status_code == 401
    # Another sign-in of the same person is a session of its own.
    assert (await client.get("/api/v1/organisations", headers=other_sign_in)).status_code == 200

    token = stolen["Authorization"].removeprefix("Bearer ")
    async with app.state.database.sessions() as session:  # type: ignore[attr-defined]
        entries = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "sign_out"))
        ).all()
    assert [(e.actor, e.object_type, e.session_id) for e in entries] == [
        ("beheerder", "session", ended_tokens.session_id(token))
    ]


async def test_an_api_key_is_not_signed_out_but_revoked(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    organisation = await client.post(
        "/api/v1/organisations", json={"name": "Zorg Uit", "kind": "vvt"}, headers=auth("admin")
    )
    key = await client.post(
        f"/api/v1/organisations/{organisation.json()['id']}/api-keys",
        json={"scopes": ["capacity:write"], "label": "ECD"},
        headers=auth("admin"),
    )
    headers = {"Authorization": f"Bearer {key.json()['key']}"}
    refused = await client.delete("/api/v1/session", headers=headers)
    assert refused.status_code == 422
