"""E-mail through a real SMTP server (aiosmtpd): plain Dutch, nothing about the patient, and
the same retry and dead-letter rules as webhooks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.notify.delivery import email
from services.web.core import messages
from shared.contracts.capacity import DECLINE_REASONS
from shared.contracts.events import EVENT_TYPES, read_data
from shared.settings import Settings
from tests.conftest import TokenFactory, free_port, make_settings
from tests.notify.conftest import (
    Smtp,
    capacity_data,
    deliver,
    deliveries,
    emit,
    referral_audience,
    referral_data,
    relay_all,
    subscribe,
)


async def test_a_referrer_reads_where_the_patient_goes(
    app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, smtp: Smtp
) -> None:
    practice = "0b0b0b0b-1111-4a4a-9b9b-000000000001"
    created = await subscribe(
        client,
        auth("referrer", org=practice),
        "huisarts@praktijk.test",
        channel="email",
        event_types=["referral.status_changed"],
    )
    data = referral_data(status="placed", facility_name="Zorgcentrum De Linde")
    event = await emit(app, "referral.status_changed", data, referral_audience(practice))
    await relay_all(app)
    settings = app.state.settings.model_copy(update={"smtp_port": smtp.port})
    assert await deliver(app, settings=settings) == ["delivered"]

    [message] = smtp.sink.messages
    assert smtp.sink.envelopes == [("noreply@zorgplek.nl", ["huisarts@praktijk.test"])]
    assert message["From"] == "Zorgplek <noreply@zorgplek.nl>"
    assert message["To"] == "huisarts@praktijk.test"
    assert message["Subject"] == "Zorgplek: geplaatst bij Zorgcentrum De Linde"
    assert message["Message-ID"] == f"<{event.id}.{created['id']}@zorgplek>"
    assert message.get_content_type() == "text/plain"
    text = message.get_content().replace("\r\n", "\n")
    assert text.startswith("Goedendag,\n\n")
    assert "Uw aanmelding voor een WLZ-crisisplaats is geplaatst bij Zorgcentrum De Linde." in text
    assert f"Kenmerk aanmelding: {data['referral_id']}" in text
    assert "geen patiëntgegevens" in text
    assert created["id"] in text  # how to unsubscribe
    # The delivery log is the subscriber's own, even within the same practice.
    assert await deliveries(client, auth("referrer", org=practice)) == []


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_type_has_a_plain_dutch_sentence(event_type: str) -> None:
    data = event_data(event_type)
    typed = read_data(event_type, data)
    assert typed is not None
    for roles in ({"referrer"}, {"triagist"}, {"provider"}):
        subject, sentence = email.describe(event_type, typed, frozenset(roles))
        assert subject
        assert sentence.endswith(".")
        assert "None" not in sentence + subject
        assert "_" not in sentence  # codes are translated, not shown raw
    message = email.compose(
        app_settings(),
        to="a@b.nl",
        payload={
            "id": "e",
            "type": event_type,
            "timestamp": "2026-11-22T13:05:00Z",
            "data": data,
        },
        subscription_id="s",
        owner_roles=frozenset({"referrer"}),
    )
    # 13:05 UTC is 14:05 in the Netherlands in November.
    assert "Tijdstip: 22-11-2026 14:05" in message.get_content()


def event_data(event_type: str) -> dict[str, Any]:
    """Data of `event_type` as its producer writes it."""
    if event_type == "capacity.due":
        return {
            **capacity_data(free=2),
            "facility_name": "Zorgcentrum De Linde",
            "stage": "due",
            "stale_at": "2026-11-22T16:05:00+00:00",
        }
    if event_type.startswith("capacity."):
        return capacity_data(free=2)
    return referral_data(status="searching", reason_code="care_too_complex")


def app_settings() -> Settings:
    return make_settings("postgresql://unused/none")


async def test_smtp_down_is_retried_then_dead_then_redelivered(
    app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, smtp: Smtp
) -> None:
    gp = auth("referrer")
    await subscribe(
        client, gp, "huisarts@praktijk.test", channel="email", event_types=["capacity.updated"]
    )
    await emit(app, "capacity.updated", capacity_data(place_type="GRZ", free=1))
    await relay_all(app)
    down = app.state.settings.model_copy(update={"smtp_port": free_port()})
    up = app.state.settings.model_copy(update={"smtp_port": smtp.port})
    tries = len(down.delivery_retry_seconds) + 1

    now = datetime.now(UTC)
    outcomes = []
    for _ in range(tries):
        outcomes += await deliver(app, now, settings=down)
        [logged] = await deliveries(client, gp)
        if logged["next_attempt_at"]:
            now = datetime.fromisoformat(logged["next_attempt_at"])
    assert outcomes == ["failed"] * (tries - 1) + ["dead"]
    assert logged["last_error"]
    assert smtp.sink.messages == []

    response = await client.post(f"/api/v1/deliveries/{logged['id']}/redeliver", headers=gp)
    assert response.status_code == 200
    assert await deliver(app, settings=up) == ["delivered"]
    [message] = smtp.sink.messages
    assert "GRZ-plaats (geriatrische revalidatie)" in message.get_content()
    [logged] = await deliveries(client, gp)
    assert (logged["status"], logged["last_status_code"]) == ("delivered", 250)


def test_every_decline_reason_reads_in_dutch_in_mail_and_on_the_pages() -> None:
    assert set(email.REASONS) == set(DECLINE_REASONS)
    assert set(messages.DECLINE_REASONS) == set(DECLINE_REASONS)
