"""Numbers people trust on the pages: a provider declines with "Toch geen plek" and sees
its own track record on Mijn locaties; Regio shows the forecast, the unmet demand, the
verkeerde beddagen and every location's record in a table sortable worst first."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import expect

from shared.http import client as http_client
from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation, report
from tests.triage.helpers import KENNEMERLAND, Actors, actors, claim, reserve, submit
from tests.web.conftest import SessionCookie, Tabs, csrf_of, sign_in


async def _location(
    client: httpx.AsyncClient, auth: TokenFactory, name: str, **fields: Any
) -> dict[str, Any]:
    organisation = await create_organisation(client, auth, name=f"Zorggroep {name}")
    return await create_facility(
        client, auth, organisation["id"], name=name, place_types=["GRZ"], **fields
    )


def starting(*names: str) -> list[re.Pattern[str]]:
    """Texts that begin with these names, in this order."""
    return [re.compile(f"^{re.escape(name)}") for name in names]


async def _held(
    client: httpx.AsyncClient, people: Actors, facility: dict[str, Any]
) -> dict[str, Any]:
    ref = await submit(client, people.referrer, place_type="GRZ")
    await claim(client, ref["id"], people.triagist)
    held = await reserve(client, ref["id"], facility["id"], people.triagist)
    assert held.status_code == 201, held.text
    result: dict[str, Any] = held.json()
    return result


async def test_a_provider_declines_as_toch_geen_plek_and_sees_its_record(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    live_url: str,
) -> None:
    async with http_client(base_url=live_url) as api:
        people = await actors(api, auth)
        facility = await _location(api, auth, "Hof Eerlijk")
        await report(api, auth, facility, "GRZ", age=timedelta(0))
        held = await _held(api, people, facility)
    sign_in(web, session_cookie("provider", org=facility["organisation_id"]))
    page = await web.get("/reserveringen")
    assert '<option value="no_capacity">Toch geen plek</option>' in page.text
    declined = await web.post(
        f"/reserveringen/{held['id']}/afwijzen",
        data={"csrf": csrf_of(page.text), "reason_code": "no_capacity"},
    )
    assert declined.status_code == 303, declined.text
    mine = (await web.get("/locaties")).text
    record = mine.split("data-track-record>", 1)[1].split("</p>", 1)[0]
    assert "0 van 1 reservering geaccepteerd · 1× toch geen plek" in record
    assert "van de tijd actueel" in record


async def test_regio_tables_in_the_browser(
    tabs: Tabs,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    live_url: str,
    screenshots: Path,
) -> None:
    async with http_client(base_url=live_url) as api:
        steady = await _location(api, auth, "Aa Vast")
        await report(api, auth, steady, "GRZ", age=timedelta(0), expected_available_24h=3)
        tricky = await _location(api, auth, "Bb Soms")
        await report(api, auth, tricky, "GRZ", age=timedelta(0), expected_available_24h=4)
        await _location(api, auth, "Cc Stil")  # never reported: overdue now, and no forecast
        people = await actors(api, auth)
        held = await _held(api, people, tricky)
        declined = await api.post(
            f"/api/v1/reservations/{held['id']}/decline",
            json={"reason_code": "no_capacity"},
            headers=people.provider_of(tricky),
        )
        assert declined.status_code == 200, declined.text
        nothing = await submit(api, people.referrer, place_type="GRZ")
        cancelled = await api.post(
            f"/api/v1/referrals/{nothing['id']}/cancel",
            json={"reason": "Nergens plaats.", "reason_code": "no_place_found"},
            headers=people.referrer,
        )
        assert cancelled.status_code == 200, cancelled.text
        hospital = await create_organisation(api, auth, kind="hospital", name="Spaarne Gasthuis")
        await submit(api, Actors(auth, hospital["id"]).referrer, place_type="GRZ")

    tab = await tabs(session_cookie("viewer", regions=[KENNEMERLAND], name="E. Mulder"))
    page = tab.page
    await page.goto(f"/regio?regio={KENNEMERLAND}")
    await expect(page.locator("[data-forecast]")).to_have_text(
        "verwacht morgen vrij: 7 (2 van 2 locaties)"
    )
    unmet = page.locator("[data-unmet] tbody tr")
    # Of the week's and the month's three GRZ referrals, one found no place.
    await expect(unmet).to_have_count(1)
    await expect(unmet.nth(0)).to_contain_text("1 van 3 (33%)")
    beds = page.locator("[data-wrong-bed-days] tbody tr")
    await expect(beds).to_have_count(1)
    await expect(beds.nth(0).locator("td").nth(1)).to_have_text("1")

    names = page.locator("[data-compliance] tbody th")
    # Worst first: never reported (overdue now), then the one whose free place was not.
    await expect(names).to_have_text(starting("Cc Stil", "Bb Soms", "Aa Vast"))
    await page.get_by_role("link", name="vaakst toch geen plek").click()
    await expect(names.nth(0)).to_contain_text("Bb Soms")
    await page.get_by_role("link", name="op naam").click()
    await expect(names).to_have_text(starting("Aa Vast", "Bb Soms", "Cc Stil"))
    row = page.locator(f'[data-compliance] tr[data-facility="{tricky["id"]}"]')
    await expect(row.locator('[data-label="Toch geen plek"]')).to_have_text("1")
    await page.screenshot(path=screenshots / "regio-betrouwbaarheid.png", full_page=True)
    tab.assert_no_console_errors()


async def test_advice_without_a_place_counts_as_unmet_demand(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    live_url: str,
) -> None:
    async with http_client(base_url=live_url) as api:
        people = await actors(api, auth)
        ref = await submit(api, people.referrer, place_type="GRZ")
        await claim(api, ref["id"], people.triagist)
    sign_in(web, session_cookie("triagist", regions=[KENNEMERLAND], sub=people.triagist_sub))
    own = await web.get(f"/wachtrij/{ref['id']}")
    assert 'name="no_place" value="1"' in own.text
    advised = await web.post(
        f"/wachtrij/{ref['id']}/advies",
        data={"csrf": csrf_of(own.text), "advice": "Thuiszorg opschalen.", "no_place": "1"},
    )
    assert advised.headers["location"].endswith("?melding=advies")
    stats = await client.get("/api/v1/stats", headers=people.triagist)
    assert stats.json()["unmet_demand"]["reasons"]["no_place"] == 1
