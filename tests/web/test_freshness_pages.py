"""Fresh by habit on the pages: how each number came in on the board and on Mijn locaties,
confirming every place type of a location in one click, and when to report again."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import expect

from services.web.core import render
from tests.conftest import Clock, TokenFactory
from tests.factories import HAARLEM, create_facility, create_organisation, report
from tests.web.conftest import SessionCookie, Tabs, csrf_of, sign_in


async def _location(client: httpx.AsyncClient, auth: TokenFactory, **fields: Any) -> dict[str, Any]:
    organisation = await create_organisation(client, auth)
    return await create_facility(client, auth, organisation["id"], **fields)


def reported_cell(page: str, facility_id: str) -> str:
    row = page.split(f'data-facility="{facility_id}"', 1)[1].split("</tr>", 1)[0]
    found = re.search(r'data-source="[^"]*">([^<]+)</time>', row)
    assert found, row
    return found.group(1)


async def test_the_board_and_mijn_locaties_say_how_numbers_came_in(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    typed = await _location(client, auth, name="Hof Hand", place_types=["ELV_HOOG"])
    linked = await _location(client, auth, name="Hof Koppeling", place_types=["ELV_HOOG"])
    await report(client, auth, linked, "ELV_HOOG", age=timedelta(minutes=4, seconds=5))
    sign_in(web, session_cookie("provider", org=typed["organisation_id"], name="Jan Smit"))
    page = await web.get("/locaties")
    saved = await web.post(
        f"/locaties/{typed['id']}/ELV_HOOG",
        data={"csrf": csrf_of(page.text), "staffed": "6", "occupied": "3", "available": "2"},
    )
    assert saved.status_code == 303
    mine = (await web.get("/locaties")).text
    assert "(handmatig, zojuist, door Jan Smit)" in mine

    sign_in(web, session_cookie("referrer", practice=HAARLEM))
    board = (await web.get("/plekken")).text
    assert reported_cell(board, typed["id"]) == "handmatig, zojuist"
    assert reported_cell(board, linked["id"]) == "via koppeling, 4 min geleden"


async def test_confirm_all_in_one_click_in_the_browser(
    tabs: Tabs,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    screenshots: Path,
) -> None:
    kinds = [
        "ELV_LAAG",
        "ELV_HOOG",
        "ELV_PALLIATIEF",
        "GRZ",
        "WLZ_LOGEER",
        "WMO_KORTDUREND",
        "OBSERVATIE",
    ]
    facility = await _location(client, auth, name="Hof Zeven", place_types=kinds)
    for kind in kinds:
        await report(client, auth, facility, kind, age=timedelta(hours=13 if kind == "GRZ" else 3))
    tab = await tabs(session_cookie("provider", org=facility["organisation_id"], name="Jan Smit"))
    page = tab.page
    await page.goto("/locaties")
    await expect(page.locator(f"#cap-{facility['id']}-GRZ")).to_contain_text("verouderd")
    await page.get_by_role("button", name="Ongewijzigd bevestigen Hof Zeven").click()
    await expect(page.locator(".notice")).to_have_text(
        "Alle cijfers van deze locatie zijn bevestigd."
    )
    for kind in kinds:
        row = page.locator(f"#cap-{facility['id']}-{kind}")
        await expect(row).to_contain_text("ongewijzigd bevestigd, zojuist, door Jan Smit")
        await expect(row.locator(".badge-stale")).to_have_count(0)
        await expect(page.locator(f"#cap-{facility['id']}-{kind}-available")).to_have_value("3")
    await page.screenshot(path=screenshots / "locaties-bevestigd.png", full_page=True)
    tab.assert_no_console_errors()
    states = await client.get(
        f"/api/v1/facilities/{facility['id']}/capacity", headers=auth("triagist")
    )
    assert [(s["place_type"], s["source"], s["stale"]) for s in states.json()["items"]] == [
        (kind, "confirm", False) for kind in sorted(kinds)
    ]


async def test_confirm_all_leaves_a_report_that_came_in_since_the_page_was_shown(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    facility = await _location(client, auth, name="Hof Twee", place_types=["ELV_HOOG", "GRZ"])
    await report(client, auth, facility, "ELV_HOOG", age=timedelta(hours=3))
    await report(client, auth, facility, "GRZ", age=timedelta(hours=3))
    sign_in(web, session_cookie("provider", org=facility["organisation_id"]))
    page = (await web.get("/locaties")).text
    action = f'action="/locaties/{facility["id"]}/bevestigen"'
    form = page.split(action, 1)[1].split("</form>")[0]
    seen = dict(re.findall(r'name="(seen-[A-Z_]+)" value="([^"]+)"', form))
    assert set(seen) == {"seen-ELV_HOOG", "seen-GRZ"}
    # Meanwhile the provider's system reports GRZ.
    await report(client, auth, facility, "GRZ", available=0)
    confirmed = await web.post(
        f"/locaties/{facility['id']}/bevestigen", data={"csrf": csrf_of(page), **seen}
    )
    assert confirmed.status_code == 303
    location = confirmed.headers["location"]
    assert location == f"/locaties?melding=deels-bevestigd#loc-{facility['id']}"
    states = await client.get(
        f"/api/v1/facilities/{facility['id']}/capacity", headers=auth("triagist")
    )
    assert [(s["source"], s["available"]) for s in states.json()["items"]] == [
        ("confirm", 3),
        ("api", 0),
    ]
    after = (await web.get(location)).text
    assert "Niet alles is bevestigd" in after


async def test_mijn_locaties_says_when_to_report_again(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    clock: Clock,
) -> None:
    facility = await _location(client, auth, name="Hof Klok", place_types=["ELV_HOOG", "GRZ"])
    elv = await report(client, auth, facility, "ELV_HOOG", age=timedelta(0))
    await report(client, auth, facility, "GRZ", age=timedelta(hours=3))
    observed = datetime.fromisoformat(elv["observed_at"])
    sign_in(web, session_cookie("provider", org=facility["organisation_id"]))
    assert "data-due" not in (await web.get("/locaties")).text
    clock(observed + timedelta(hours=9, minutes=30))  # ELV due (of 12 h), GRZ stale by then
    page = (await web.get("/locaties")).text
    elv_row = page.split(f'id="cap-{facility["id"]}-ELV_HOOG"', 1)[1].split("</form>")[0]
    grz_row = page.split(f'id="cap-{facility["id"]}-GRZ"', 1)[1].split("</form>")[0]
    stale_at = observed + timedelta(hours=12)
    assert f"meld opnieuw vóór {render.when(stale_at)}" in elv_row
    assert "verouderd – meld opnieuw" in grz_row
    assert "data-due" not in grz_row
