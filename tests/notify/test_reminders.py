"""Fresh by habit: before a report goes stale (at three quarters of its place type's
time-to-live) and once it is stale, the location's own organisation is reminded with
`capacity.due` — each stage once per report, through its own subscriptions only. The
clock is moved, never waited for."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from services.capacity.capacity import service as capacity
from services.notify.audience import Viewer, may_see
from shared.contracts.events import read_audience
from shared.http import client as http_client
from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation, report
from tests.notify.conftest import (
    Receiver,
    Smtp,
    SseReader,
    capacity_data,
    deliver,
    emit,
    pump,
    relay_all,
    subscribe,
)

DUE = ["capacity.due"]


async def remind(app: FastAPI, now: datetime) -> int:
    async with app.state.database.sessions.begin() as session:
        return await capacity.remind_due(session, app.state.settings, now)


def reminders(receiver: Receiver, path: str) -> list[tuple[str, str, str]]:
    found = []
    for request in receiver.requests:
        if request.path != path:
            continue
        body = json.loads(request.body)
        assert body["type"] == "capacity.due"
        data = body["data"]
        found.append((data["facility_id"], data["place_type"], data["stage"]))
    return found


async def test_the_own_organisation_is_reminded_once_per_stage_before_and_after_stale(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    receiver: Receiver,
    smtp: Smtp,
) -> None:
    mine = await create_organisation(client, auth)
    other = await create_organisation(client, auth)
    facility = await create_facility(
        client, auth, mine["id"], name="Hof Herinnering", place_types=["ELV_HOOG", "WLZ_CRISIS"]
    )
    theirs = await create_facility(client, auth, other["id"], place_types=["ELV_HOOG"])
    base = f"http://127.0.0.1:{receiver.port}"
    provider = auth("provider", org=mine["id"])
    await subscribe(client, provider, f"{base}/mine", event_types=DUE)
    await subscribe(client, provider, "planning@hof.test", channel="email", event_types=DUE)
    await subscribe(client, auth("provider", org=other["id"]), f"{base}/theirs", event_types=DUE)
    triagist = auth("triagist", regions=["ZK-KENNEMERLAND"])
    await subscribe(client, triagist, f"{base}/triagist", event_types=DUE)
    referrer = auth("referrer", org=(await create_organisation(client, auth))["id"])
    await subscribe(client, referrer, f"{base}/referrer", event_types=DUE)

    start = datetime.now(UTC)
    elv = await report(client, auth, facility, "ELV_HOOG", age=timedelta(0))  # 12 h to live
    await report(client, auth, facility, "WLZ_CRISIS", age=timedelta(0))  # 4 h to live
    await report(client, auth, theirs, "ELV_HOOG", age=timedelta(0))
    observed = datetime.fromisoformat(elv["observed_at"])

    assert await remind(app, start + timedelta(hours=2, minutes=59)) == 0
    # Three quarters of four hours: the crisis bed is due.
    assert await remind(app, start + timedelta(hours=3, minutes=1)) == 1
    assert await remind(app, start + timedelta(hours=3, minutes=2)) == 0
    # Three quarters of twelve hours: both ELV places are due; the crisis bed went stale.
    at_nine = start + timedelta(hours=9, minutes=1)
    assert await remind(app, at_nine) == 3
    assert await remind(app, at_nine) == 0
    later = start + timedelta(hours=12, minutes=1)
    assert await remind(app, later) == 2  # both ELV places stale
    assert await remind(app, later + timedelta(hours=30)) == 0  # each stage once

    # A new report starts over: due again at three quarters of its own time-to-live.
    await report(client, auth, facility, "ELV_HOOG", available=2, age=timedelta(0))
    assert await remind(app, start + timedelta(hours=8)) == 0
    assert await remind(app, at_nine) == 1

    await relay_all(app)
    settings = app.state.settings.model_copy(update={"smtp_port": smtp.port})
    outcomes = await deliver(app, settings=settings)
    assert outcomes == ["delivered"] * (5 * 2 + 2)  # mine by webhook and e-mail, theirs
    fid, tid = facility["id"], theirs["id"]
    assert sorted(reminders(receiver, "/mine")) == sorted(
        [
            (fid, "WLZ_CRISIS", "due"),
            (fid, "WLZ_CRISIS", "stale"),
            (fid, "ELV_HOOG", "due"),
            (fid, "ELV_HOOG", "stale"),
            (fid, "ELV_HOOG", "due"),
        ]
    )
    assert sorted(reminders(receiver, "/theirs")) == [
        (tid, "ELV_HOOG", "due"),
        (tid, "ELV_HOOG", "stale"),
    ]
    assert reminders(receiver, "/triagist") == reminders(receiver, "/referrer") == []

    mails = smtp.sink.to("planning@hof.test")
    assert len(mails) == 5
    stale_at = (observed + timedelta(hours=12)).astimezone(ZoneInfo("Europe/Amsterdam"))
    # (A long subject is folded on the wire; a mail client reads it unfolded.)
    subjects = {str(m["Subject"]).strip() for m in mails}
    place = "ELV-plaats (hoogcomplex) bij Hof Herinnering"
    due = f"Zorgplek: meld opnieuw vóór {stale_at:%H:%M}: {place}"
    assert due in subjects, subjects
    assert f"Zorgplek: cijfers verouderd: {place}" in subjects
    text = next(m for m in mails if str(m["Subject"]).strip() == due).get_content()
    assert f"veroudert op {stale_at:%d-%m-%Y %H:%M}" in text
    assert "bevestig ze daar ongewijzigd" in text


async def test_concurrent_sweepers_remind_each_report_once(
    app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    organisation = await create_organisation(client, auth)
    for _ in range(3):
        facility = await create_facility(client, auth, organisation["id"])
        for place_type in ("ELV_HOOG", "GRZ"):
            await report(client, auth, facility, place_type, age=timedelta(0))
    at = datetime.now(UTC) + timedelta(hours=10)

    async def sweeper() -> int:
        async with app.state.database.sessions.begin() as session:
            return await capacity.remind_due(session, app.state.settings, at, limit=2)

    total = 0
    for _ in range(3):
        total += sum(await asyncio.gather(*[sweeper() for _ in range(4)]))
    assert total == 6
    assert await remind(app, at) == 0


OWN = uuid.UUID("0c0c0c0c-0000-4000-8000-000000000001")
# As capacity writes it into the outbox, and notify reads it back.
DUE_AUDIENCE = read_audience({"organisation_ids": [str(OWN)], "regions": []})


@pytest.mark.parametrize(
    ("viewer", "sees"),
    [
        (Viewer("own provider", OWN, frozenset({"provider"}), ()), True),
        (Viewer("own admin staff", OWN, frozenset({"viewer"}), ()), True),
        (Viewer("other provider", uuid.uuid4(), frozenset({"provider"}), ()), False),
        (Viewer("triagist", None, frozenset({"triagist"}), ("ZK-KENNEMERLAND",)), False),
        (Viewer("referrer", uuid.uuid4(), frozenset({"referrer"}), ()), False),
        (Viewer("admin", None, frozenset({"admin"}), ()), False),
    ],
    ids=lambda v: v.sub if isinstance(v, Viewer) else str(v),
)
def test_a_reminder_is_for_the_own_organisation_alone(viewer: Viewer, sees: bool) -> None:
    """Webhooks, e-mail and the live stream share this one rule."""
    assert may_see(viewer, DUE_AUDIENCE) is sees


async def test_the_live_stream_brings_a_reminder_to_the_own_organisation_alone(
    app: FastAPI, live_url: str, client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    mine = await create_organisation(client, auth)
    other = await create_organisation(client, auth)
    facility = await create_facility(client, auth, mine["id"], place_types=["WLZ_CRISIS"])
    start = datetime.now(UTC)
    await report(client, auth, facility, "WLZ_CRISIS", age=timedelta(0))  # 4 h to live
    await relay_all(app)
    await pump(app)
    wanted = {"event_types": "capacity.due,capacity.updated"}
    async with http_client(base_url=live_url, timeout=10) as http:
        async with (
            http.stream(
                "GET", "/api/v1/stream", params=wanted, headers=auth("provider", org=mine["id"])
            ) as own,
            http.stream(
                "GET", "/api/v1/stream", params=wanted, headers=auth("provider", org=other["id"])
            ) as others,
        ):
            own_reader, others_reader = SseReader(own), SseReader(others)
            assert await remind(app, start + timedelta(hours=3, minutes=1)) == 1
            # Then something everyone sees: what comes before it on a stream is all there is.
            marker = await emit(app, "capacity.updated", capacity_data())
            await pump(app)

            due = await own_reader.event()
            assert due.event == "capacity.due"
            assert (due.json()["data"]["facility_id"], due.json()["data"]["stage"]) == (
                facility["id"],
                "due",
            )
            assert (await own_reader.event()).id == str(marker.id)
            assert (await others_reader.event()).id == str(marker.id)
