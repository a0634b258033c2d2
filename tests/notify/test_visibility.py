"""Nobody receives what they may not see: a referrer gets referral and reservation events of
its own organisation's referrals only — by webhook, by e-mail and on the stream — triagists
those of the regions they work for, and capacity events go to every professional whose
filter matches."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from shared.http import client as http_client
from tests.conftest import TokenFactory
from tests.notify.conftest import (
    KENNEMERLAND,
    Receiver,
    Smtp,
    SseReader,
    capacity_data,
    deliver,
    deliveries,
    emit,
    pump,
    referral_audience,
    referral_data,
    relay_all,
    subscribe,
)

REFERRAL_EVENTS = ["referral.created", "referral.status_changed", "reservation.held"]
CAPACITY = capacity_data()


async def test_webhooks_and_email_go_only_to_who_may_see(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    receiver: Receiver,
    smtp: Smtp,
) -> None:
    practice_a, practice_b, provider_org = (str(uuid.uuid4()) for _ in range(3))
    people: dict[str, dict[str, str]] = {
        "gp_a": auth("referrer", org=practice_a),
        "colleague_a": auth("referrer", org=practice_a),
        "gp_b": auth("referrer", org=practice_b),
        "triagist_nhf": auth("triagist", regions=["ROAZ-NHF"]),
        "triagist_utrecht": auth("triagist", regions=["ZK-UTRECHT"]),
        "provider": auth("provider", org=provider_org),
        "viewer": auth("viewer"),
    }
    for name, headers in people.items():
        await subscribe(
            client,
            headers,
            f"{receiver.url}/{name}",
            event_types=[*REFERRAL_EVENTS, "capacity.available"],
        )
        await subscribe(
            client,
            headers,
            f"{name}@zorgplek.test",
            channel="email",
            event_types=[*REFERRAL_EVENTS, "capacity.available"],
        )

    created = await emit(
        app, "referral.created", referral_data(status="submitted"), referral_audience(practice_a)
    )
    held_data = referral_data(status="reserved")
    held = await emit(
        app,
        "reservation.held",
        held_data,
        {"organisation_ids": [practice_a, provider_org], "regions": [KENNEMERLAND]},
    )
    capacity = await emit(app, "capacity.available", CAPACITY)
    await relay_all(app)
    settings = app.state.settings.model_copy(update={"smtp_port": smtp.port})
    outcomes = await deliver(app, settings=settings)
    assert len(outcomes) == 28
    assert set(outcomes) == {"delivered"}

    expected = {
        "gp_a": {created.id, held.id, capacity.id},
        "colleague_a": {created.id, held.id, capacity.id},
        "gp_b": {capacity.id},
        "triagist_nhf": {created.id, held.id, capacity.id},
        "triagist_utrecht": {capacity.id},
        "provider": {held.id, capacity.id},
        "viewer": {capacity.id},
    }
    for name, ids in expected.items():
        got = set(receiver.ids(f"{receiver.path}/{name}"))
        assert got == {str(i) for i in ids}, name
        mails = smtp.sink.to(f"{name}@zorgplek.test")
        assert {m["X-Zorgplek-Event-Id"] for m in mails} == {str(i) for i in ids}, name
    # The delivery log tells the same story, per owner.
    logged = await deliveries(client, people["gp_b"])
    assert {d["event_id"] for d in logged} == {str(capacity.id)}


async def test_the_stream_shows_only_what_the_caller_may_see(
    app: FastAPI, live_url: str, auth: TokenFactory
) -> None:
    practice_a, practice_b = str(uuid.uuid4()), str(uuid.uuid4())
    gp_a = auth("referrer", org=practice_a)
    gp_b = auth("referrer", org=practice_b)
    triagist = auth("triagist", regions=["ROAZ-NHF"])
    async with http_client(base_url=live_url, timeout=10) as http:
        async with (
            http.stream("GET", "/api/v1/stream", headers=gp_a) as a,
            http.stream("GET", "/api/v1/stream", headers=gp_b) as b,
            http.stream("GET", "/api/v1/stream", headers=triagist) as t,
        ):
            streams = {"a": SseReader(a), "b": SseReader(b), "t": SseReader(t)}
            referral = await emit(
                app, "referral.created", referral_data(), referral_audience(practice_a)
            )
            marker = await emit(app, "capacity.available", CAPACITY)
            await pump(app)

            seen: dict[str, list[Any]] = {}
            for name, reader in streams.items():
                first = await reader.event()
                seen[name] = [first.id]
                if first.id != str(marker.id):
                    seen[name].append((await reader.event()).id)
    assert seen["a"] == [str(referral.id), str(marker.id)]
    assert seen["t"] == [str(referral.id), str(marker.id)]
    # The other practice's referrer never saw the referral: the next event it got was the
    # capacity event written after it.
    assert seen["b"] == [str(marker.id)]


async def test_placed_end_to_end_by_email_in_plain_dutch(
    app: FastAPI, live_url: str, auth: TokenFactory, smtp: Smtp, receiver: Receiver
) -> None:
    """A real referral through triage: the referrer's e-mail says where the patient goes,
    and another practice's webhook receives none of it."""
    from tests.factories import create_organisation, place_with_free

    async with http_client(base_url=live_url, timeout=10) as client:
        practice = await create_organisation(client, auth, kind="gp")
        other = await create_organisation(client, auth, kind="gp")
        gp = auth("referrer", org=practice["id"])
        await subscribe(
            client,
            gp,
            "huisarts@praktijk.test",
            channel="email",
            event_types=["referral.status_changed"],
        )
        await subscribe(
            client,
            auth("referrer", org=other["id"]),
            receiver.url,
            event_types=["referral.created", "referral.status_changed", "reservation.accepted"],
        )
        facility = await place_with_free(
            client, auth, 1, place_type="WLZ_CRISIS", name="Zorgcentrum De Linde"
        )
        triagist = auth("triagist", regions=[KENNEMERLAND])
        referral = (
            await client.post(
                "/api/v1/referrals",
                json={
                    "place_type": "WLZ_CRISIS",
                    "urgency": "urgent",
                    "patient": {"birth_year": 1941, "sex": "female", "postcode": "2011"},
                    "needs": [],
                    "region_code": KENNEMERLAND,
                    "notes": "Mevrouw valt vaak.",
                },
                headers=gp,
            )
        ).json()
        response = await client.post(f"/api/v1/referrals/{referral['id']}/claim", headers=triagist)
        assert response.status_code == 200, response.text
        response = await client.post(
            f"/api/v1/referrals/{referral['id']}/reservations",
            json={"facility_id": facility["id"]},
            headers=triagist,
        )
        assert response.status_code == 201, response.text
        reservation = response.json()
        response = await client.post(
            f"/api/v1/reservations/{reservation['id']}/accept",
            headers=auth("provider", org=facility["organisation_id"]),
        )
        assert response.status_code == 200, response.text

    await relay_all(app)
    settings = app.state.settings.model_copy(update={"smtp_port": smtp.port})
    await deliver(app, settings=settings)
    assert receiver.requests == []
    mails = smtp.sink.to("huisarts@praktijk.test")
    placed = [m for m in mails if "geplaatst" in str(m["Subject"])]
    assert len(placed) == 1
    text = placed[0].get_content()
    assert "Uw aanmelding voor een WLZ-crisisplaats is geplaatst bij Zorgcentrum De Linde." in text
    assert referral["id"] in text
    # Nothing about the patient: not the birth year, the postcode or the notes.
    for detail in ("1941", "2011", "valt vaak", "female"):
        assert all(detail not in m.get_content() for m in mails), detail
