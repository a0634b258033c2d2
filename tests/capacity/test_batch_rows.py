"""Batches apply a chunk's rows together (one lock, one write): each row must still get
exactly what the same report sent on its own gets — its answer, its history row, its events
— whatever else is in the chunk."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.settings import Settings
from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation
from tests.triage.helpers import fetch

BATCH = "/api/v1/capacity-reports"
# Fields that differ between two facilities or two moments of receiving, by nature.
OWN = {"facility_id", "received_at", "reported_by"}


@pytest.fixture(params=[2, 100], ids=["chunks of 2", "one chunk"])
def chunk_rows(request: pytest.FixtureRequest, settings: Settings) -> Iterator[int]:
    before = settings.batch_chunk_rows
    settings.batch_chunk_rows = request.param
    try:
        yield request.param
    finally:
        settings.batch_chunk_rows = before


def moment(minutes_ago: int) -> str:
    return (datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes_ago)).isoformat()


def numbers(available: int, observed_at: str, staffed: int = 10) -> dict[str, Any]:
    return {
        "staffed": staffed,
        "occupied": staffed - available,
        "available": available,
        "observed_at": observed_at,
    }


async def events_of(database_url: str, facility_id: str) -> list[dict[str, Any]]:
    rows = await fetch(
        database_url,
        "SELECT type, data::text AS data FROM events.outbox WHERE data->>'facility_id' = $1 "
        "ORDER BY position",
        facility_id,
    )
    return [{"type": r["type"], **json.loads(r["data"])} for r in rows]


async def history_of(
    client: httpx.AsyncClient, auth: TokenFactory, facility_id: str, place_type: str
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/v1/facilities/{facility_id}/capacity/{place_type}/history", headers=auth("admin")
    )
    assert response.status_code == 200, response.text
    return [{k: v for k, v in i.items() if k not in OWN} for i in response.json()["items"]]


def place(event: dict[str, Any]) -> str:
    return str(event["place_type"])


def without(answer: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k not in fields}


@pytest.mark.parametrize(
    ("new", "reported"),
    [("GRZ", "ELV_HOOG"), ("ELV_HOOG", "GRZ")],
    ids=["new place after a reported one", "new place before a reported one"],
)
async def test_each_row_gets_what_it_would_get_on_its_own(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    database_url: str,
    chunk_rows: int,
    new: str,
    reported: str,
) -> None:
    """The same reports to two locations: as one batch to one, one by one to the other. A
    place never reported, reported three times in the batch (older, then equal and newer
    numbers), beside a reported one whose free places go from none to some; rows of a
    place type not offered, of an unknown facility and of another organisation between
    them. Answers, history and events agree row by row."""
    organisation = await create_organisation(client, auth)
    batched, alone = [await create_facility(client, auth, organisation["id"]) for _ in "ab"]
    foreign = await create_facility(client, auth, (await create_organisation(client, auth))["id"])
    before = numbers(0, moment(30))
    for facility in (batched, alone, foreign):
        response = await client.put(
            f"/api/v1/facilities/{facility['id']}/capacity/{reported}",
            json=before,
            headers=auth("provider", org=facility["organisation_id"]),
        )
        assert response.status_code == 200, response.text
    rows = [
        (new, numbers(0, moment(10))),
        (new, numbers(2, moment(20))),  # older: kept, not applied
        (reported, numbers(3, moment(5))),  # free from none to some
        (new, numbers(2, moment(5))),  # free from none to some
        ("GGZ_CRISIS", numbers(1, moment(5))),  # not offered
        (new, numbers(2, moment(5))),  # the same again
        (reported, numbers(1, moment(40))),  # older than what is stored
    ]
    headers = auth("provider", org=organisation["id"])
    one_by_one = []
    for place_type, body in rows:
        response = await client.put(
            f"/api/v1/facilities/{alone['id']}/capacity/{place_type}", json=body, headers=headers
        )
        one_by_one.append(response)
    sent = [{"facility_id": batched["id"], "place_type": p, **body} for p, body in rows]
    sent.insert(2, {**sent[0], "facility_id": foreign["id"]})
    sent.insert(4, {**sent[0], "facility_id": "00000000-0000-4000-8000-000000000000"})
    response = await client.post(BATCH, json={"reports": sent}, headers=headers)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    refused = [{"loc": ["facility_id"], "msg": "No such facility."}]
    assert results.pop(4) == {"row": 5, "errors": refused}
    assert results.pop(2) == {"row": 3, "errors": refused}
    for number, (result, answer) in enumerate(zip(results, one_by_one, strict=True)):
        if answer.status_code == 200:
            assert without(result, OWN) == without(answer.json(), OWN), number
        else:
            assert answer.status_code == 422, number
            [error] = result["errors"]
            assert error == {"loc": ["place_type"], "msg": answer.json()["errors"][0]["msg"]}
    assert [r.get("applied") for r in results] == [True, False, True, True, None, True, False]
    for facility in (batched, alone):
        now = await client.get(
            f"/api/v1/facilities/{facility['id']}/capacity", headers=auth("admin")
        )
        assert {
            (i["place_type"], i["available"], i["observed_at"]) for i in now.json()["items"]
        } == {
            (new, 2, rows[3][1]["observed_at"].replace("+00:00", "Z")),
            (reported, 3, rows[2][1]["observed_at"].replace("+00:00", "Z")),
        }
    for place_type in (new, reported):
        assert await history_of(client, auth, batched["id"], place_type) == await history_of(
            client, auth, alone["id"], place_type
        )
    # A batch applies its rows place by place, each place's rows in the order sent.
    fields = {"facility_id", "lat", "lon"}
    by_place = [
        sorted((without(e, fields) for e in await events_of(database_url, f["id"])), key=place)
        for f in (batched, alone)
    ]
    assert by_place[0] == by_place[1]
    foreign_history = await history_of(client, auth, foreign["id"], reported)
    assert [h["available"] for h in foreign_history] == [0]


async def test_a_value_the_database_refuses_is_that_row_s_error(
    client: httpx.AsyncClient, auth: TokenFactory, chunk_rows: int
) -> None:
    """Who sent a report is kept with it; a name longer than the history keeps fails the
    write of the rows together, so each row is tried again on its own and answered as a
    row the database refused, as a single report would be (422), with nothing kept."""
    organisation = await create_organisation(client, auth)
    facility = await create_facility(client, auth, organisation["id"])
    headers = auth("provider", org=organisation["id"], name="x" * 300)
    rows = [
        {"facility_id": facility["id"], "place_type": p, **numbers(1, moment(5))}
        for p in ("ELV_HOOG", "GRZ", "GGZ_CRISIS")
    ]
    response = await client.post(BATCH, json={"reports": rows}, headers=headers)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    unstorable = [{"loc": [], "msg": "a value cannot be stored"}]
    assert results[:2] == [{"row": 1, "errors": unstorable}, {"row": 2, "errors": unstorable}]
    assert results[2]["errors"][0]["loc"] == ["place_type"]
    single = await client.put(
        f"/api/v1/facilities/{facility['id']}/capacity/GRZ",
        json=numbers(1, moment(5)),
        headers=headers,
    )
    assert single.status_code == 422
    assert single.json()["errors"] == [{"loc": ["request"], "msg": "a value cannot be stored"}]
    for place_type in ("ELV_HOOG", "GRZ"):
        assert await history_of(client, auth, facility["id"], place_type) == []
