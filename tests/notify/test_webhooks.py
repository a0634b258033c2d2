"""Webhooks end to end: a capacity report → the outbox → the relay → a delivery → a real
HTTP receiver on loopback, which checks the signature with the `standardwebhooks` package
as any receiver would."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.notify.delivery import webhook
from services.notify.subscriptions.targets import new_secret
from tests.conftest import TokenFactory
from tests.factories import place_with_free, report
from tests.notify.conftest import Receiver, deliver, deliveries, relay_all, subscribe


async def test_signature_headers_and_thin_body(
    app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, receiver: Receiver
) -> None:
    gp = auth("referrer")
    created = await subscribe(client, gp, receiver.url, event_types=["capacity.available"])
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert 24 <= len(base64.b64decode(secret.removeprefix("whsec_"))) <= 64

    facility = await place_with_free(client, auth, 2)
    assert await relay_all(app) == 1
    assert await deliver(app) == ["delivered"]

    [request] = receiver.requests
    body = Webhook(secret).verify(request.body, request.headers)
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == body["id"]
    assert request.headers["webhook-signature"].startswith("v1,")
    assert abs(int(request.headers["webhook-timestamp"]) - datetime.now(UTC).timestamp()) < 300
    assert set(body) == {"id", "type", "timestamp", "data"}
    assert body["type"] == "capacity.available"
    assert body["data"]["facility_id"] == facility["id"]
    assert body["data"]["free"] == 2
    assert body["timestamp"].endswith("Z")
    # A receiver with another secret, or a changed body, refuses it.
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(request.body.replace(b'"free":2', b'"free":9'), request.headers)

    [logged] = await deliveries(client, gp)
    assert logged["status"] == "delivered"
    assert logged["event_id"] == body["id"]
    assert logged["attempts"] == 1
    assert logged["last_status_code"] == 200
    assert logged["next_attempt_at"] is None


async def test_signature_matches_the_specification_by_hand() -> None:
    """The example of the Standard Webhooks specification, computed independently."""
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    msg_id, timestamp = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert webhook.sign(secret, msg_id, timestamp, body) == expected


async def test_retries_keep_the_webhook_id_and_end_delivered(
    app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, receiver: Receiver
) -> None:
    gp = auth("referrer")
    created = await subscribe(client, gp, receiver.url, event_types=["capacity.updated"])
    receiver.statuses = [500, 503, 404]
    await place_with_free(client, auth, 1)
    await relay_all(app)

    now = datetime.now(UTC)
    assert await deliver(app, now) == ["failed"]
    [logged] = await deliveries(client, gp)
    assert logged["status"] == "failed"
    assert logged["last_status_code"] == 500
    first_retry = datetime.fromisoformat(logged["next_attempt_at"])
    # The first retry waits about 5 s (the schedule's first step, give or take 20%).
    assert now + timedelta(seconds=4) <= first_retry <= now + timedelta(seconds=6)
    assert await deliver(app, now) == []  # not due yet

    for expected in ("failed", "failed", "delivered"):
        [logged] = await deliveries(client, gp)
        now = datetime.fromisoformat(logged["next_attempt_at"])
        assert await deliver(app, now) == [expected]

    assert len(receiver.requests) == 4
    assert len(set(receiver.ids())) == 1
    for request in receiver.requests:
        Webhook(created["secret"]).verify(request.body, request.headers)
    [logged] = await deliveries(client, gp)
    assert (logged["status"], logged["attempts"], logged["last_status_code"]) == (
        "delivered",
        4,
        200,
    )


async def test_dead_after_the_last_try_then_redeliver(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    receiver: Receiver,
    settings: object,
) -> None:
    gp = auth("referrer")
    await subscribe(client, gp, receiver.url, event_types=["capacity.updated"])
    tries = len(app.state.settings.delivery_retry_seconds) + 1
    receiver.statuses = [500] * tries
    await place_with_free(client, auth, 1)
    await relay_all(app)

    now = datetime.now(UTC)
    outcomes = []
    for _ in range(tries):
        outcomes += await deliver(app, now)
        [logged] = await deliveries(client, gp)
        if logged["next_attempt_at"]:
            now = datetime.fromisoformat(logged["next_attempt_at"])
    assert outcomes == ["failed"] * (tries - 1) + ["dead"]
    [dead] = await deliveries(client, gp, status="dead")
    assert dead["attempts"] == tries
    assert dead["next_attempt_at"] is None
    assert await deliver(app, now + timedelta(days=30)) == []

    response = await client.post(f"/api/v1/deliveries/{dead['id']}/redeliver", headers=gp)
    assert response.status_code == 200, response.text
    queued = response.json()
    assert (queued["status"], queued["attempts"]) == ("pending", 0)
    assert await deliver(app) == ["delivered"]
    assert len(set(receiver.ids())) == 1
    assert len(receiver.requests) == tries + 1
    [delivered] = await deliveries(client, gp)
    assert delivered["status"] == "delivered"


async def test_gone_disables_the_subscription(
    app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, receiver: Receiver
) -> None:
    gp = auth("referrer")
    created = await subscribe(client, gp, receiver.url, event_types=["capacity.updated"])
    receiver.statuses = [410]
    facility = await place_with_free(client, auth, 1)
    await relay_all(app)
    assert await deliver(app) == ["dead"]

    subscription = (await client.get(f"/api/v1/subscriptions/{created['id']}", headers=gp)).json()
    assert subscription["status"] == "disabled"
    assert "410" in subscription["disabled_reason"]
    logged = await deliveries(client, gp)
    assert {d["status"] for d in logged} == {"dead"}
    # Nothing new goes to it, and nothing old can be sent again.
    await report(client, auth, facility, staffed=7, occupied=5, available=2)
    assert await relay_all(app) == 0
    response = await client.post(f"/api/v1/deliveries/{logged[0]['id']}/redeliver", headers=gp)
    assert response.status_code == 409
    assert len(receiver.requests) == 1


async def test_redirect_is_a_failure(
    app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, receiver: Receiver
) -> None:
    gp = auth("referrer")
    await subscribe(client, gp, receiver.url, event_types=["capacity.updated"])
    receiver.statuses = [307]
    receiver.extra_headers = {"location": "http://127.0.0.1:1/elsewhere"}
    await place_with_free(client, auth, 1)
    await relay_all(app)
    assert await deliver(app) == ["failed"]
    [logged] = await deliveries(client, gp)
    assert logged["last_status_code"] == 307
    assert "redirect" in logged["last_error"]
    assert len(receiver.requests) == 1


async def test_a_receiver_that_does_not_answer_times_out(receiver: Receiver) -> None:
    receiver.hold.clear()
    async with webhook.client(True, 10.0) as http:
        outcome = await webhook.send(
            http,
            target=receiver.url,
            secret=new_secret(),
            payload={"id": "e1", "type": "capacity.updated", "timestamp": "", "data": {}},
            timeout_seconds=0.2,
            allow_private=True,
        )
    assert not outcome.delivered
    assert outcome.error == "no answer within 0.2 s"


async def test_the_target_is_checked_again_at_connect_time(receiver: Receiver) -> None:
    """A subscription made while private targets were allowed (or whose DNS changed) is
    refused when the connection is made; the receiver is never reached."""
    payload = {"id": "e1", "type": "capacity.updated", "timestamp": "", "data": {}}
    secret = new_secret()
    async with webhook.client(False, 10.0) as http:
        plain = await webhook.send(
            http,
            target=receiver.url,
            secret=secret,
            payload=payload,
            timeout_seconds=2,
            allow_private=False,
        )
        loopback = await webhook.send(
            http,
            target=f"https://localhost:{receiver.port}/hooks",
            secret=secret,
            payload=payload,
            timeout_seconds=2,
            allow_private=False,
        )
    assert plain.error == "refused: the target it must start with https://"
    assert loopback.error is not None
    assert loopback.error.startswith("refused: the target it resolves to")
    assert "loopback" in loopback.error
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("64:ff9b::7f00:1", "NAT64"),
        ("64:ff9b:1::a00:1", "NAT64"),
        ("2002:7f00:1::1", "6to4"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
        ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
    ],
)
async def test_translated_and_tunnelled_addresses_are_refused_at_connect_time(
    address: str, kind: str
) -> None:
    """No connection is even tried to an address that a translator or tunnel would carry
    to IPv4 — our own network's, for all we know."""
    payload = {"id": "e1", "type": "capacity.updated", "timestamp": "", "data": {}}
    async with webhook.client(False, 10.0) as http:
        outcome = await webhook.send(
            http,
            target=f"https://[{address}]:8443/hooks",
            secret=new_secret(),
            payload=payload,
            timeout_seconds=2,
            allow_private=False,
        )
    assert outcome.error is not None
    assert outcome.error.startswith("refused: the target it resolves to")
    assert kind in outcome.error


async def test_deliveries_are_the_owners(
    app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, receiver: Receiver
) -> None:
    mine, other = auth("referrer"), auth("referrer")
    created = await subscribe(client, mine, receiver.url, event_types=["capacity.updated"])
    await place_with_free(client, auth, 1)
    await relay_all(app)
    [logged] = await deliveries(client, mine)
    assert logged["subscription_id"] == created["id"]
    assert json.loads(json.dumps(logged))["event_type"] == "capacity.updated"

    assert await deliveries(client, other) == []
    assert len(await deliveries(client, auth("admin"))) == 1
    assert len(await deliveries(client, mine, subscription_id=created["id"])) == 1
    assert await deliveries(client, mine, status="delivered") == []
    response = await client.get(
        "/api/v1/deliveries", params={"subscription_id": created["id"]}, headers=other
    )
    assert response.status_code == 404
    response = await client.post(f"/api/v1/deliveries/{logged['id']}/redeliver", headers=other)
    assert response.status_code == 404
    response = await client.post(
        f"/api/v1/deliveries/{logged['id']}/redeliver", headers=auth("admin")
    )
    assert response.status_code == 200

    bad = await client.get("/api/v1/deliveries", params={"status": "lost"}, headers=mine)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["query", "status"]
    bad = await client.get("/api/v1/deliveries", params={"cursor": "nonsense"}, headers=mine)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["query", "cursor"]
    bad = await client.post("/api/v1/deliveries/not-a-uuid/redeliver", headers=mine)
    assert bad.status_code == 422
    assert (await client.get("/api/v1/deliveries")).status_code == 401
    response = await client.get("/api/v1/deliveries", headers=auth("service"))
    assert response.status_code == 403
