"""Cancelling a referral: never without a reason, also once placed (the patient died or was
admitted elsewhere) — and then the provider that admitted it is told, by event and by its
subscriptions, while its capacity numbers stay its own to report."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from shared.http import client as http_client
from tests.conftest import TokenFactory, free_port
from tests.factories import place_with_free
from tests.notify.conftest import MailSink, Smtp, deliver, relay_all, subscribe
from tests.triage.helpers import actors, claim, free_places, outbox, reserve, submit, timeline


@pytest.fixture
def mail() -> Iterator[Smtp]:
    sink = MailSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield Smtp(sink, port)
    finally:
        controller.stop()


async def cancel(
    client: httpx.AsyncClient, referral_id: str, headers: dict[str, str], body: Any
) -> httpx.Response:
    return await client.post(f"/api/v1/referrals/{referral_id}/cancel", json=body, headers=headers)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"reason": ""}, id="empty"),
        pytest.param({"reason": "   "}, id="blank"),
        pytest.param({}, id="missing"),
        pytest.param({"reason": None}, id="null"),
        pytest.param({"reason": "x" * 501}, id="too-long"),
        pytest.param({"reason": "BSN 111222333"}, id="bsn"),
    ],
)
async def test_cancel_needs_a_reason(live_url: str, auth: TokenFactory, body: Any) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        ref = await submit(client, people.referrer)
        refused = await cancel(client, ref["id"], people.referrer, body)
        assert refused.status_code == 422, refused.text
        assert ["body", "reason"] in [e["loc"] for e in refused.json()["errors"]]
        current = await client.get(f"/api/v1/referrals/{ref['id']}", headers=people.referrer)
        assert current.json()["status"] == "submitted"


async def test_a_reason_code_is_one_of_the_list(live_url: str, auth: TokenFactory) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        ref = await submit(client, people.referrer)
        refused = await cancel(
            client, ref["id"], people.referrer, {"reason": "Weg", "reason_code": "bored"}
        )
        assert refused.status_code == 422
        assert ["body", "reason_code"] in [e["loc"] for e in refused.json()["errors"]]
        done = await cancel(
            client,
            ref["id"],
            people.referrer,
            {"reason": "Toch thuis opgevangen.", "reason_code": "other"},
        )
        assert done.status_code == 200, done.text
        last = (await timeline(client, ref["id"], people.referrer))[-1]
        assert last["detail"] == {"reason": "Toch thuis opgevangen.", "reason_code": "other"}


async def test_a_placed_referral_is_cancelled_and_the_provider_told(
    live_url: str,
    auth: TokenFactory,
    app: FastAPI,
    database_url: str,
    mail: Smtp,
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 2, name="De Linde")
        provider = people.provider_of(facility)
        await subscribe(
            client,
            provider,
            "opname@delinde.test",
            channel="email",
            event_types=["referral.status_changed"],
        )
        ref = await submit(client, people.referrer)
        await claim(client, ref["id"], people.triagist)
        held = (await reserve(client, ref["id"], facility["id"], people.triagist)).json()
        accepted = await client.post(f"/api/v1/reservations/{held['id']}/accept", headers=provider)
        assert accepted.status_code == 200, accepted.text
        assert await free_places(client, auth, facility, "ELV_HOOG") == 1

        done = await cancel(
            client,
            ref["id"],
            people.referrer,
            {"reason": "Patiënt is vannacht overleden.", "reason_code": "patient_deceased"},
        )
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "cancelled"
        # The admitted place stays counted as the provider reported it.
        assert await free_places(client, auth, facility, "ELV_HOOG") == 1
        seen = await client.get(f"/api/v1/referrals/{ref['id']}", headers=provider)
        assert seen.status_code == 200
        assert seen.json()["status"] == "cancelled"
        last = (await timeline(client, ref["id"], provider))[-1]
        assert (last["action"], last["from_status"], last["to_status"]) == (
            "cancel",
            "placed",
            "cancelled",
        )
        handover = await client.post(
            f"/api/v1/referrals/{ref['id']}/handover", headers=people.referrer
        )
        assert handover.status_code == 409

    (event,) = [
        e
        for e in await outbox(database_url, ref["id"])
        if e["type"] == "referral.status_changed" and e["data"]["status"] == "cancelled"
    ]
    assert event["data"]["from_status"] == "placed"
    assert event["data"]["reservation_id"] == held["id"]
    assert "patient_deceased" not in str(event["data"])  # nothing about the patient
    assert "Patiënt" not in str(event["data"])
    assert facility["organisation_id"] in event["audience"]["organisation_ids"]

    await relay_all(app)
    settings = app.state.settings.model_copy(update={"smtp_port": mail.port})
    assert "delivered" in await deliver(app, settings=settings)
    messages = mail.sink.to("opname@delinde.test")
    cancelled = [m for m in messages if "geannuleerd" in str(m["Subject"])]
    assert len(cancelled) == 1
    text = cancelled[0].get_content()
    assert "De aanmelding voor een" in text
    assert "is geannuleerd" in text
    assert "De Linde" in text


async def test_the_assignee_cancels_a_placed_referral_too(
    live_url: str, auth: TokenFactory
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 1)
        ref = await submit(client, people.referrer)
        await claim(client, ref["id"], people.triagist)
        held = (await reserve(client, ref["id"], facility["id"], people.triagist)).json()
        await client.post(
            f"/api/v1/reservations/{held['id']}/accept", headers=people.provider_of(facility)
        )
        done = await cancel(
            client,
            ref["id"],
            people.triagist,
            {"reason": "Elders opgenomen.", "reason_code": "placed_elsewhere"},
        )
        assert done.status_code == 200, done.text
        provider_cancel = await cancel(
            client, ref["id"], people.provider_of(facility), {"reason": "x"}
        )
        assert provider_cancel.status_code == 403


async def test_a_handed_over_referral_is_not_cancelled(live_url: str, auth: TokenFactory) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 1)
        ref = await submit(client, people.referrer)
        held = (await reserve(client, ref["id"], facility["id"], people.referrer)).json()
        await client.post(
            f"/api/v1/reservations/{held['id']}/accept", headers=people.provider_of(facility)
        )
        await client.post(f"/api/v1/referrals/{ref['id']}/handover", headers=people.referrer)
        refused = await cancel(client, ref["id"], people.referrer, {"reason": "Te laat"})
        assert refused.status_code == 409
        assert refused.json()["referral_status"] == "handed_over"
