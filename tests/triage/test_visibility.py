"""Who sees and does what: roles × endpoints × own or other organisation and region.
A role that may never do something gets 403; a referral one may not see is 404; every read
and write of a referral is in the audit log, refused ones included."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from shared.http import client as http_client
from tests.conftest import TokenFactory
from tests.factories import create_organisation, place_with_free
from tests.triage.helpers import actors, audit_entries, claim, reserve, submit


@pytest.fixture
async def world(live_url: str, auth: TokenFactory) -> dict[str, Any]:
    """A GRZ referral of practice A in Kennemerland, claimed and held at provider P."""
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        other_practice = await create_organisation(client, auth, kind="gp")
        facility = await place_with_free(client, auth, 3, place_type="GRZ")
        stranger = await place_with_free(client, auth, 3, place_type="GRZ")
        referral = await submit(client, people.referrer, place_type="GRZ")
        await claim(client, referral["id"], people.triagist)
        held = await reserve(client, referral["id"], facility["id"], people.triagist)
        assert held.status_code == 201, held.text
    return {
        "referral": referral,
        "reservation": held.json(),
        "headers": {
            "own_referrer": people.referrer,
            "other_referrer": auth("referrer", org=other_practice["id"]),
            "assignee": people.triagist,
            "triagist_roaz": auth("triagist", regions=["ROAZ-NHF"]),
            "triagist_utrecht": auth("triagist", regions=["ZK-UTRECHT"]),
            "holding_provider": auth("provider", org=facility["organisation_id"]),
            "other_provider": auth("provider", org=stranger["organisation_id"]),
            "admin": auth("admin"),
            "viewer": auth("viewer", regions=["ZK-KENNEMERLAND"]),
            "service": auth("service"),
        },
        "provider_facility": facility,
        "other_facility": stranger,
    }


READ_EXPECTED = {
    "own_referrer": 200,
    "other_referrer": 404,
    "assignee": 200,
    "triagist_roaz": 200,
    "triagist_utrecht": 404,
    "holding_provider": 200,
    "other_provider": 404,
    "admin": 403,
    "viewer": 403,
    "service": 403,
}


@pytest.mark.parametrize("path", ["/api/v1/referrals/{id}", "/api/v1/referrals/{id}/events"])
async def test_reading_a_referral(
    live_url: str, world: dict[str, Any], path: str, database_url: str
) -> None:
    rid = world["referral"]["id"]
    async with http_client(base_url=live_url) as client:
        for who, expected in READ_EXPECTED.items():
            response = await client.get(path.format(id=rid), headers=world["headers"][who])
            assert response.status_code == expected, (who, response.text)
            if expected != 200:
                assert response.headers["content-type"] == "application/problem+json"
    outcomes = [e["outcome"] for e in await audit_entries(database_url, rid)]
    assert outcomes.count("denied") >= 6  # 3 hidden (404) + 3 roles that may never (403)


async def test_lists_show_only_what_one_may_see(live_url: str, world: dict[str, Any]) -> None:
    rid = world["referral"]["id"]
    expected_in_list = {
        "own_referrer": True,
        "other_referrer": False,
        "assignee": True,
        "triagist_roaz": True,
        "triagist_utrecht": False,
        "holding_provider": True,
        "other_provider": False,
    }
    async with http_client(base_url=live_url) as client:
        for who, visible in expected_in_list.items():
            response = await client.get("/api/v1/referrals", headers=world["headers"][who])
            assert response.status_code == 200, (who, response.text)
            ids = [r["id"] for r in response.json()["items"]]
            assert (rid in ids) is visible, who
        for who in ("admin", "viewer", "service"):
            response = await client.get("/api/v1/referrals", headers=world["headers"][who])
            assert response.status_code == 403, who


async def test_the_queue_is_for_triagists_of_the_region(
    live_url: str, world: dict[str, Any]
) -> None:
    rid = world["referral"]["id"]
    async with http_client(base_url=live_url) as client:
        for who, visible in (
            ("assignee", True),
            ("triagist_roaz", True),
            ("triagist_utrecht", False),
        ):
            response = await client.get("/api/v1/queue", headers=world["headers"][who])
            assert response.status_code == 200
            assert (rid in [r["id"] for r in response.json()["items"]]) is visible, who
        for who in ("own_referrer", "holding_provider", "admin", "viewer", "service"):
            response = await client.get("/api/v1/queue", headers=world["headers"][who])
            assert response.status_code == 403, who


async def test_acting_on_a_referral(live_url: str, world: dict[str, Any]) -> None:
    rid = world["referral"]["id"]
    reservation_id = world["reservation"]["id"]
    h = world["headers"]
    facility_id = world["provider_facility"]["id"]
    cases: list[tuple[str, str, str, dict[str, Any] | None, int]] = [
        # (who, method, path, body, expected)
        ("own_referrer", "POST", f"/api/v1/referrals/{rid}/claim", None, 403),
        ("triagist_utrecht", "POST", f"/api/v1/referrals/{rid}/claim", None, 404),
        ("triagist_roaz", "POST", f"/api/v1/referrals/{rid}/claim", None, 409),
        ("holding_provider", "POST", f"/api/v1/referrals/{rid}/advice", {"advice": "x"}, 403),
        ("triagist_roaz", "POST", f"/api/v1/referrals/{rid}/advice", {"advice": "x"}, 409),
        ("own_referrer", "GET", f"/api/v1/referrals/{rid}/matches", None, 403),
        ("other_referrer", "GET", f"/api/v1/referrals/{rid}/matches", None, 404),
        ("holding_provider", "GET", f"/api/v1/referrals/{rid}/matches", None, 403),
        ("triagist_utrecht", "GET", f"/api/v1/referrals/{rid}/matches", None, 404),
        (
            "own_referrer",
            "POST",
            f"/api/v1/referrals/{rid}/reservations",
            {"facility_id": facility_id},
            403,
        ),
        (
            "admin",
            "POST",
            f"/api/v1/referrals/{rid}/reservations",
            {"facility_id": facility_id},
            403,
        ),
        ("assignee", "POST", f"/api/v1/reservations/{reservation_id}/accept", None, 403),
        ("other_provider", "POST", f"/api/v1/reservations/{reservation_id}/accept", None, 404),
        (
            "other_provider",
            "POST",
            f"/api/v1/reservations/{reservation_id}/decline",
            {"reason_code": "no_staff"},
            404,
        ),
        ("other_provider", "GET", f"/api/v1/reservations/{reservation_id}", None, 404),
        ("holding_provider", "POST", f"/api/v1/referrals/{rid}/handover", None, 403),
        ("other_referrer", "POST", f"/api/v1/referrals/{rid}/handover", None, 404),
        ("holding_provider", "POST", f"/api/v1/referrals/{rid}/cancel", {"reason": "x"}, 403),
        ("other_referrer", "POST", f"/api/v1/referrals/{rid}/cancel", {"reason": "x"}, 404),
        ("triagist_roaz", "POST", f"/api/v1/referrals/{rid}/cancel", {"reason": "x"}, 409),
        ("own_referrer", "GET", "/api/v1/stats", None, 403),
        ("holding_provider", "GET", "/api/v1/stats", None, 403),
        ("triagist_utrecht", "GET", "/api/v1/stats?region=ZK-KENNEMERLAND", None, 403),
        ("viewer", "GET", "/api/v1/stats", None, 200),
        ("admin", "GET", "/api/v1/stats", None, 200),
        ("holding_provider", "GET", f"/api/v1/reservations/{reservation_id}", None, 200),
        ("own_referrer", "GET", f"/api/v1/reservations/{reservation_id}", None, 200),
        ("triagist_utrecht", "GET", f"/api/v1/reservations/{reservation_id}", None, 404),
    ]
    async with http_client(base_url=live_url) as client:
        for who, method, path, body, expected in cases:
            response = await client.request(method, path, json=body, headers=h[who])
            assert response.status_code == expected, (who, method, path, response.text)
        # Nothing above changed the referral.
        after = await client.get(f"/api/v1/referrals/{rid}", headers=h["assignee"])
        assert after.json()["status"] == "reserved"


async def test_the_provider_loses_sight_once_it_declines(
    live_url: str, world: dict[str, Any]
) -> None:
    rid = world["referral"]["id"]
    provider = world["headers"]["holding_provider"]
    async with http_client(base_url=live_url) as client:
        declined = await client.post(
            f"/api/v1/reservations/{world['reservation']['id']}/decline",
            json={"reason_code": "no_staff"},
            headers=provider,
        )
        assert declined.status_code == 200, declined.text
        assert (await client.get(f"/api/v1/referrals/{rid}", headers=provider)).status_code == 404
        listed = await client.get(
            "/api/v1/reservations", params={"status": "declined"}, headers=provider
        )
        assert [r["id"] for r in listed.json()["items"]] == [world["reservation"]["id"]]


async def test_a_provider_never_sees_another_providers_reservation(
    live_url: str, world: dict[str, Any]
) -> None:
    """One rule for who sees a reservation, whether listed or read by id: the provider of
    its facility, and whoever sees its referral as referrer or triagist. A provider that
    holds the referral now does not see what an earlier provider answered."""
    rid = world["referral"]["id"]
    h = world["headers"]
    first = world["reservation"]["id"]
    async with http_client(base_url=live_url) as client:
        declined = await client.post(
            f"/api/v1/reservations/{first}/decline",
            json={"reason_code": "no_staff", "note": "Vannacht geen personeel."},
            headers=h["holding_provider"],
        )
        assert declined.status_code == 200, declined.text
        again = await reserve(client, rid, world["other_facility"]["id"], h["assignee"])
        assert again.status_code == 201, again.text
        second = again.json()["id"]
        # The second provider now holds the referral and sees it ...
        assert (
            await client.get(f"/api/v1/referrals/{rid}", headers=h["other_provider"])
        ).status_code == 200
        # ... and its own reservation, but never the first provider's answer.
        own = await client.get(f"/api/v1/reservations/{second}", headers=h["other_provider"])
        assert own.status_code == 200, own.text
        theirs = await client.get(f"/api/v1/reservations/{first}", headers=h["other_provider"])
        assert theirs.status_code == 404, theirs.text
        listed = await client.get(
            "/api/v1/reservations", params={"referral_id": rid}, headers=h["other_provider"]
        )
        assert [r["id"] for r in listed.json()["items"]] == [second]
        # The referrer and the triagist see both.
        for who in ("own_referrer", "assignee"):
            assert (
                await client.get(f"/api/v1/reservations/{first}", headers=h[who])
            ).status_code == 200, who
            listed = await client.get(
                "/api/v1/reservations", params={"referral_id": rid}, headers=h[who]
            )
            assert [r["id"] for r in listed.json()["items"]] == [second, first], who


async def test_unknown_referrals_are_404_and_audited(
    client: httpx.AsyncClient, auth: TokenFactory, database_url: str
) -> None:
    people = await actors(client, auth)
    missing = uuid.uuid4()
    response = await client.get(f"/api/v1/referrals/{missing}", headers=people.triagist)
    assert response.status_code == 404
    entries = await audit_entries(database_url, str(missing))
    assert [(e["action"], e["outcome"]) for e in entries] == [("read", "not_found")]
    bad = await client.get("/api/v1/referrals/not-a-uuid", headers=people.triagist)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["path", "referral_id"]


async def test_reads_and_writes_are_audited_with_outcomes(
    client: httpx.AsyncClient, auth: TokenFactory, database_url: str
) -> None:
    people = await actors(client, auth)
    referral = await submit(client, people.referrer)
    rid = referral["id"]
    await client.get(f"/api/v1/referrals/{rid}", headers=people.referrer)
    await client.get(f"/api/v1/referrals/{rid}", headers=auth("referrer", org=uuid.uuid4()))
    await client.get("/api/v1/queue", headers=people.triagist)
    await claim(client, rid, people.triagist)
    await client.post(
        f"/api/v1/referrals/{rid}/claim", headers=auth("triagist", regions=["ZK-KENNEMERLAND"])
    )
    entries = await audit_entries(database_url, rid)
    assert [(e["action"], e["outcome"]) for e in entries] == [
        ("create", "success"),
        ("read", "success"),
        ("read", "denied"),
        ("queue", "success"),
        ("claim", "success"),
        ("claim", "refused"),
    ]


async def test_a_decline_note_and_staff_names_are_for_their_own_organisation_and_the_rap(
    live_url: str, auth: TokenFactory
) -> None:
    """Provider A declines with a note; the place then goes to provider B. B and the GP see
    that A declined and why by code, but not A's note nor A's or the RAP's staff names."""
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        first = await place_with_free(client, auth, 1, place_type="GRZ")
        second = await place_with_free(client, auth, 1, place_type="GRZ")
        referral = await submit(client, people.referrer, place_type="GRZ")
        triagist = auth("triagist", regions=["ZK-KENNEMERLAND"], name="Triagist Tessa Bakker")
        await claim(client, referral["id"], triagist)
        held = await reserve(client, referral["id"], first["id"], triagist)
        assert held.status_code == 201, held.text
        provider_a = auth("provider", org=first["organisation_id"], name="Zr. Anna Jansen")
        declined = await client.post(
            f"/api/v1/reservations/{held.json()['id']}/decline",
            json={"reason_code": "care_too_complex", "note": "Geen tillift, vraag naar Anna."},
            headers=provider_a,
        )
        assert declined.status_code == 200, declined.text
        again = await reserve(client, referral["id"], second["id"], triagist)
        assert again.status_code == 201, again.text
        provider_b = auth("provider", org=second["organisation_id"], name="Broeder Bram Smit")
        path = f"/api/v1/referrals/{referral['id']}/events"

        for outsider in (provider_b, people.referrer):
            response = await client.get(path, headers=outsider)
            assert response.status_code == 200, response.text
            for private in ("Anna", "tillift", "Tessa", "Bakker"):
                assert private not in response.text, private
            decline = next(e for e in response.json()["items"] if e["action"] == "decline")
            assert (decline["actor"], decline["actor_id"], decline["actor_role"]) == (
                "Zorgaanbieder",
                None,
                "provider",
            )
            assert decline["detail"]["reason_code"] == "care_too_complex"
            assert decline["detail"]["facility_name"] == first["name"]
            claimed = next(e for e in response.json()["items"] if e["action"] == "claim")
            assert claimed["actor"] == "RAP"

        # The GP sees its own entry in full; the RAP sees everything.
        own = await client.get(path, headers=people.referrer)
        assert own.json()["items"][0]["actor"] == "Test referrer"
        rap = await client.get(path, headers=triagist)
        decline = next(e for e in rap.json()["items"] if e["action"] == "decline")
        assert (decline["actor"], decline["detail"]["note"]) == (
            "Zr. Anna Jansen",
            "Geen tillift, vraag naar Anna.",
        )
        assert "Triagist Tessa Bakker" in rap.text

        # Provider B, after accepting, sees its own name on its own step.
        accepted = await client.post(
            f"/api/v1/reservations/{again.json()['id']}/accept", headers=provider_b
        )
        assert accepted.status_code == 200, accepted.text
        mine = (await client.get(path, headers=provider_b)).json()["items"]
        assert [e["actor"] for e in mine if e["action"] == "accept"] == ["Broeder Bram Smit"]
        assert "Anna" not in str(mine)
