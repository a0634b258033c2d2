"""KPIs computed in SQL, and Prometheus metrics whose labels never carry ids, postcodes or
birth years."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from services.triage.queue import service as queue
from services.triage.reservations import expiry
from shared.http import client as http_client
from tests.conftest import TokenFactory
from tests.factories import place_with_free
from tests.triage.helpers import Actors, actors, claim, reserve, submit


async def _placed(
    client: httpx.AsyncClient, people: Actors, facility: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    ref = await submit(client, people.referrer, place_type="GRZ", **fields)
    await claim(client, ref["id"], people.triagist)
    held = await reserve(client, ref["id"], facility["id"], people.triagist)
    assert held.status_code == 201, held.text
    accepted = await client.post(
        f"/api/v1/reservations/{held.json()['id']}/accept", headers=people.provider_of(facility)
    )
    assert accepted.status_code == 200, accepted.text
    return ref


async def test_stats(live_url: str, auth: TokenFactory, app: Any) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        own = await place_with_free(client, auth, 5, place_type="GRZ")
        away = await place_with_free(client, auth, 5, place_type="GRZ", region_code="ZK-AMSTERDAM")
        await _placed(client, people, own)
        await _placed(client, people, away)

        declined = await submit(client, people.referrer, place_type="GRZ")
        await claim(client, declined["id"], people.triagist)
        held = (await reserve(client, declined["id"], own["id"], people.triagist)).json()
        await client.post(
            f"/api/v1/reservations/{held['id']}/decline",
            json={"reason_code": "no_staff"},
            headers=people.provider_of(own),
        )
        expiring = (await reserve(client, declined["id"], away["id"], people.triagist)).json()
        async with app.state.database.sessions.begin() as session:
            later = datetime.fromisoformat(expiring["expires_at"]) + timedelta(seconds=1)
            assert await expiry.expire_due(session, app.state.triage_capacity, now=later) == 1

        await submit(client, people.referrer, place_type="GRZ")
        await submit(client, people.referrer, place_type="GRZ", region_code="ZK-UTRECHT")

        triagist_stats = await client.get("/api/v1/stats", headers=people.triagist)
        assert triagist_stats.status_code == 200, triagist_stats.text
        body = triagist_stats.json()
        assert body["referrals"] == 4  # Utrecht is not this triagist's region
        assert body["counts"]["placed"] == 2
        assert body["counts"]["searching"] == 1
        assert body["counts"]["submitted"] == 1
        assert body["counts"]["handed_over"] == 0
        times = body["time_to_placement_seconds"]
        assert times["placed"] == 2
        assert times["median"] is not None
        assert times["median"] >= 0
        assert times["p90"] >= times["median"]
        assert body["share_placed_in_own_region"] == 0.5
        assert body["expired_holds"] == 1
        assert body["declines"] == {
            "no_capacity": 0,
            "no_staff": 1,
            "care_too_complex": 0,
            "features_missing": 0,
            "patient_refused": 0,
            "other": 0,
        }
        assert set(body) >= {"from", "to", "region"}

        everything = (await client.get("/api/v1/stats", headers=auth("admin"))).json()
        assert everything["referrals"] == 5
        utrecht = await client.get(
            "/api/v1/stats", params={"region": "ZK-UTRECHT"}, headers=auth("viewer")
        )
        assert utrecht.json()["referrals"] == 1
        future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        empty = await client.get("/api/v1/stats", params={"from": future}, headers=auth("admin"))
        assert empty.status_code == 422
        assert empty.json()["errors"][0]["loc"] == ["query", "from"]
        naive = await client.get(
            "/api/v1/stats", params={"from": "2026-01-01T00:00:00"}, headers=auth("admin")
        )
        assert naive.status_code == 422
        window = await client.get(
            "/api/v1/stats",
            params={
                "from": (datetime.now(UTC) - timedelta(days=400)).isoformat(),
                "to": (datetime.now(UTC) - timedelta(days=300)).isoformat(),
            },
            headers=auth("admin"),
        )
        assert window.json()["referrals"] == 0
        assert window.json()["time_to_placement_seconds"]["median"] is None


async def test_metrics_have_bounded_labels(live_url: str, auth: TokenFactory, app: Any) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 2, place_type="GRZ")
        ref = await _placed(
            client,
            people,
            facility,
            patient={
                "birth_year": 1937,
                "sex": "male",
                "postcode": "2034",
            },
        )
        waiting = await submit(client, people.referrer, urgency="acute")
        async with app.state.database.read_sessions() as session:
            await queue.refresh_gauges(session)
        text = (await client.get("/metrics")).text

    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name in (
        "zorgplek_referrals",
        "zorgplek_referral_transitions",
        "zorgplek_time_to_placement_seconds",
        "zorgplek_queue_depth",
        "zorgplek_queue_oldest_wait_seconds",
        "zorgplek_reservations",
        "zorgplek_declines",
    ):
        assert name in families, name
    samples = [s for f in families.values() if f.name.startswith("zorgplek_") for s in f.samples]
    forbidden = {ref["id"], waiting["id"], facility["id"], "2034", "1937", people.triagist_sub}
    for sample in samples:
        for value in sample.labels.values():
            assert not any(f in value for f in forbidden), sample
    depth = {
        (s.labels["region"], s.labels["urgency"]): s.value
        for s in families["zorgplek_queue_depth"].samples
    }
    assert depth[("ZK-KENNEMERLAND", "acute")] == 1
    placed = [
        s
        for s in families["zorgplek_time_to_placement_seconds"].samples
        if s.name.endswith("_count") and s.labels["place_type"] == "GRZ"
    ]
    assert placed
    assert placed[0].value >= 1
