"""Subscriptions over the API: who may subscribe, what is checked, what is shown (the secret
once), and the refusal of webhook targets that point into our own network."""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest

from services.cli import components
from services.notify.subscriptions import targets
from shared.app import create_app
from shared.settings import Settings
from tests.conftest import TokenFactory, make_settings
from tests.notify.conftest import api_key, subscribe


@pytest.fixture(scope="module")
async def strict(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app as deployed: private webhook targets are not allowed."""
    settings = make_settings(database_url, webhook_allow_private=False)
    app = create_app(components(settings), settings, database_url=database_url, run_loops=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://zorgplek.test") as c:
            yield c


def _problem(response: httpx.Response, status: int, loc: list[str]) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert loc in [e["loc"] for e in body["errors"]], body
    return body


async def test_create_list_get_delete(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    gp = auth("referrer", org="6f1c1d1e-1111-4a4a-9b9b-000000000001")
    hook = await subscribe(
        client,
        gp,
        "http://127.0.0.1:9/hooks",
        event_types=["capacity.available", "capacity.available", "referral.status_changed"],
        filter={
            "place_types": ["ELV_HOOG", "GRZ"],
            "region": "ROAZ-NHF",
            "near": "52.38, 4.64",
            "radius_km": 25,
        },
    )
    assert hook["channel"] == "webhook"
    assert hook["status"] == "active"
    assert hook["event_types"] == ["capacity.available", "referral.status_changed"]
    assert hook["filter"] == {
        "place_types": ["ELV_HOOG", "GRZ"],
        "region": "ROAZ-NHF",
        "near": {"lat": 52.38, "lon": 4.64},
        "radius_km": 25.0,
    }
    key = base64.b64decode(hook["secret"].removeprefix("whsec_"), validate=True)
    assert len(key) == targets.SECRET_BYTES
    mail = await subscribe(client, gp, "huisarts@praktijk.test", channel="email")
    assert mail["secret"] is None
    assert mail["filter"] is None

    listed = (await client.get("/api/v1/subscriptions", headers=gp)).json()
    assert [s["id"] for s in listed["items"]] == [hook["id"], mail["id"]]
    assert all("secret" not in s for s in listed["items"])
    one = (await client.get(f"/api/v1/subscriptions/{hook['id']}", headers=gp)).json()
    assert "secret" not in one
    paged = (await client.get("/api/v1/subscriptions", params={"limit": 1}, headers=gp)).json()
    assert [s["id"] for s in paged["items"]] == [hook["id"]]
    rest = await client.get(
        "/api/v1/subscriptions", params={"cursor": paged["next_cursor"]}, headers=gp
    )
    assert [s["id"] for s in rest.json()["items"]] == [mail["id"]]

    other = auth("referrer", org="6f1c1d1e-1111-4a4a-9b9b-000000000001")
    assert (await client.get("/api/v1/subscriptions", headers=other)).json()["items"] == []
    assert (
        await client.get(f"/api/v1/subscriptions/{hook['id']}", headers=other)
    ).status_code == 404
    assert (
        await client.delete(f"/api/v1/subscriptions/{hook['id']}", headers=other)
    ).status_code == 404

    deleted = await client.delete(f"/api/v1/subscriptions/{hook['id']}", headers=gp)
    assert deleted.status_code == 204
    assert (await client.get(f"/api/v1/subscriptions/{hook['id']}", headers=gp)).status_code == 404
    assert (
        await client.delete(f"/api/v1/subscriptions/{hook['id']}", headers=gp)
    ).status_code == 404


async def test_every_professional_role_may_subscribe_but_not_a_service(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    for role in ("referrer", "triagist", "provider", "admin", "viewer"):
        await subscribe(client, auth(role), f"{role}@zorgplek.test", channel="email")
    body = {"channel": "email", "target": "x@zorgplek.test", "event_types": ["capacity.updated"]}
    response = await client.post("/api/v1/subscriptions", json=body, headers=auth("service"))
    assert response.status_code == 403
    response = await client.post("/api/v1/subscriptions", json=body)
    assert response.status_code == 401


async def test_idempotency_key_replays_the_first_answer(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    gp = auth("referrer")
    body = {
        "channel": "webhook",
        "target": "http://127.0.0.1:9/hook",
        "event_types": ["capacity.updated"],
    }
    headers = {**gp, "Idempotency-Key": "abonnement-1"}
    first = await client.post("/api/v1/subscriptions", json=body, headers=headers)
    again = await client.post("/api/v1/subscriptions", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    listed = (await client.get("/api/v1/subscriptions", headers=gp)).json()["items"]
    assert len(listed) == 1
    changed = await client.post(
        "/api/v1/subscriptions", json={**body, "event_types": ["capacity.stale"]}, headers=headers
    )
    _problem(changed, 422, ["header", "Idempotency-Key"])


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"channel": "sms"}, ["body", "channel"]),
        ({"event_types": []}, ["body", "event_types"]),
        ({"event_types": ["capacity.exploded"]}, ["body", "event_types"]),
        ({"target": "not a url"}, ["body", "target"]),
        ({"target": "ftp://127.0.0.1/x"}, ["body", "target"]),
        ({"target": "http://127.0.0.1/x#frag"}, ["body", "target"]),
        ({"channel": "email", "target": "huisarts@"}, ["body", "target"]),
        ({"channel": "email", "target": "a@b.nl, c@d.nl"}, ["body", "target"]),
        ({"filter": {"place_types": ["SPA"]}}, ["body", "filter", "place_types"]),
        ({"filter": {"place_types": []}}, ["body", "filter", "place_types"]),
        ({"filter": {"region": "ZK-ATLANTIS"}}, ["body", "filter", "region"]),
        ({"filter": {"near": "52.3"}}, ["body", "filter", "near"]),
        ({"filter": {"near": {"lat": 40.0, "lon": 4.6}}}, ["body", "filter", "near", "lat"]),
        ({"filter": {"near": "52.3,4.6"}}, ["body", "filter", "radius_km"]),
        ({"filter": {"radius_km": 10}}, ["body", "filter", "near"]),
        ({"filter": {"near": "52.3,4.6", "radius_km": -1}}, ["body", "filter", "radius_km"]),
        ({"filter": {"colour": "blue"}}, ["body", "filter", "colour"]),
        ({"extra": 1}, ["body", "extra"]),
        # PostgreSQL cannot store a NUL: refused at validation, never a 500.
        ({"channel": "email", "target": "huis\x00arts@praktijk.nl"}, ["body", "target"]),
        ({"target": "http://127.0.0.1:9/ho\x00ok"}, ["body", "target"]),
        ({"channel": "email", "target": "huisarts@praktijk.nl\n"}, ["body", "target"]),
        ({"channel": "email", "target": "huis\u2028arts@praktijk.nl"}, ["body", "target"]),
    ],
)
async def test_bad_input_is_422_naming_the_field(
    client: httpx.AsyncClient, auth: TokenFactory, body: dict[str, Any], loc: list[str]
) -> None:
    full = {
        "channel": "webhook",
        "target": "http://127.0.0.1:9/hook",
        "event_types": ["capacity.updated"],
        **body,
    }
    response = await client.post("/api/v1/subscriptions", json=full, headers=auth("referrer"))
    _problem(response, 422, loc)


async def test_malformed_json_and_ids_are_422(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    gp = auth("referrer")
    response = await client.post(
        "/api/v1/subscriptions",
        content=b"{not json",
        headers={**gp, "content-type": "application/json"},
    )
    assert response.status_code == 422
    response = await client.get("/api/v1/subscriptions/42", headers=gp)
    _problem(response, 422, ["path", "subscription_id"])
    response = await client.get("/api/v1/subscriptions", params={"limit": 0}, headers=gp)
    _problem(response, 422, ["query", "limit"])


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://example.org/hook", "https"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://localhost:8443/hook", "loopback"),
        ("https://[::1]/hook", "loopback"),
        ("https://10.0.0.7/hook", "private"),
        ("https://192.168.1.20/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[::ffff:127.0.0.1]/hook", "loopback"),
        ("https://0.0.0.0/hook", "private"),
        ("https://100.64.0.1/hook", "not public"),
        ("https://no-such-host.invalid/hook", "cannot be resolved"),
        # Addresses that reach IPv4 — our own network too — through a translator or tunnel,
        # and every other special-purpose block, whatever IPv4 address they carry.
        ("https://[64:ff9b::7f00:1]/hook", "NAT64"),
        ("https://[64:ff9b::808:808]/hook", "NAT64"),
        ("https://[64:ff9b:1::a00:1]/hook", "NAT64"),
        ("https://[2002:7f00:1::1]/hook", "6to4"),
        ("https://[2002:808:808::1]/hook", "6to4"),
        ("https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook", "Teredo"),
        ("https://[::ffff:8.8.8.8]/hook", "IPv4-mapped"),
        ("https://[::7f00:1]/hook", "IPv4-compatible"),
        ("https://[::]/hook", "unspecified"),
        ("https://[2001:db8::1]/hook", "documentation"),
        ("https://[3fff::1]/hook", "documentation"),
        ("https://[2001:2::1]/hook", "IETF"),
        ("https://[fc00::1]/hook", "private"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://[ff02::1]/hook", "multicast"),
        ("https://[5f00::1]/hook", "segment routing"),
        ("https://224.0.0.1/hook", "multicast"),
        ("https://192.88.99.1/hook", "6to4 relay"),
    ],
)
async def test_webhook_targets_into_our_network_are_refused(
    strict: httpx.AsyncClient, auth: TokenFactory, target: str, reason: str
) -> None:
    body = {"channel": "webhook", "target": target, "event_types": ["capacity.updated"]}
    response = await strict.post("/api/v1/subscriptions", json=body, headers=auth("referrer"))
    problem = _problem(response, 422, ["body", "target"])
    assert reason in problem["detail"]


async def test_public_addresses_pass_the_check() -> None:
    """No traffic: only the address rule, on literal public addresses."""
    targets.check_address("145.97.39.155")
    targets.check_address("2a00:1450:400e:80f::200e")
    targets.check_address("2001:4860:4860::8888")
    await targets.check_webhook_url("https://145.97.39.155/hook", allow_private=False)


async def test_api_keys_need_the_subscriptions_and_events_scopes(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    from tests.factories import create_organisation

    organisation = await create_organisation(client, auth)
    body = {"channel": "email", "target": "bot@zorg.test", "event_types": ["capacity.updated"]}
    for scopes in (["capacity:write"], ["subscriptions:write"], ["events:read"]):
        key = await api_key(client, auth, scopes, organisation["id"])
        refused = await client.post("/api/v1/subscriptions", json=body, headers=key["headers"])
        assert refused.status_code == 403, scopes
    key = await api_key(client, auth, ["subscriptions:write", "events:read"], organisation["id"])
    allowed = await client.post("/api/v1/subscriptions", json=body, headers=key["headers"])
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["owner"] == {
        "sub": f"apikey:{key['id']}",
        "name": "ECD-koppeling",
        "organisation_id": organisation["id"],
        "api_key_id": key["id"],
    }


async def test_a_nul_in_an_api_key_label_is_a_422(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """The label becomes the owner's name of the key's subscriptions: never a 500."""
    from tests.factories import create_organisation

    organisation = await create_organisation(client, auth)
    response = await client.post(
        f"/api/v1/organisations/{organisation['id']}/api-keys",
        json={"scopes": ["events:read"], "label": "ECD\x00koppeling"},
        headers=auth("admin"),
    )
    _problem(response, 422, ["body", "label"])


async def test_at_most_a_hundred_subscriptions_each(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    gp = auth("referrer")
    for n in range(100):
        await subscribe(client, gp, f"huisarts{n}@praktijk.test", channel="email")
    body = {"channel": "email", "target": "één@te.veel", "event_types": ["capacity.updated"]}
    response = await client.post("/api/v1/subscriptions", json=body, headers=gp)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    # Someone else is not affected.
    await subscribe(client, auth("referrer"), "ander@praktijk.test", channel="email")


@pytest.mark.parametrize(
    "claims",
    [{"name": "Dr.\x00Jansen"}, {"sub": "dr-\x00jansen"}, {"regions": ["ZK-\x00X"]}],
    ids=["name", "sub", "region"],
)
async def test_a_token_whose_claims_cannot_be_stored_is_a_4xx(
    client: httpx.AsyncClient, settings: Settings, claims: dict[str, Any]
) -> None:
    """Not a 500: the owner's name, `sub` and regions are stored with a subscription, and
    PostgreSQL cannot store a NUL."""
    now = int(time.time())
    body = {
        "sub": "dr-jansen",
        "name": "Dr. Jansen",
        "roles": ["triagist"],
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
        **claims,
    }
    assert settings.jwt_secret is not None
    headers = {"Authorization": f"Bearer {jwt.encode(body, settings.jwt_secret, 'HS256')}"}
    subscription = {"channel": "email", "target": "a@b.nl", "event_types": ["capacity.updated"]}
    response = await client.post("/api/v1/subscriptions", json=subscription, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
