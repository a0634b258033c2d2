"""The pages in a real browser (Debian's Chromium): live updates without a reload, Dutch
validation beside the field, the journey of a WLZ_CRISIS referral through three people's
screens, with screenshots of what they test (every page at every width: test_layout.py).
Any console error fails."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from services.web.core.render import when
from shared.settings import Settings
from tests.conftest import TokenFactory
from tests.factories import HAARLEM, create_facility, create_organisation, report, report_body
from tests.web.conftest import SessionCookie, Tabs
from tests.web.test_dates import MOMENTS, NOW

KENNEMERLAND = "ZK-KENNEMERLAND"


async def _practice(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, Any]:
    return await create_organisation(
        client,
        auth,
        name="Huisartsenpraktijk Zuiderpolder",
        kind="gp",
        lat=HAARLEM[0],
        lon=HAARLEM[1],
    )


async def _provider(
    client: httpx.AsyncClient, auth: TokenFactory, place_type: str, free: int, name: str
) -> dict[str, Any]:
    organisation = await create_organisation(client, auth, name=f"Zorggroep {name}")
    facility = await create_facility(
        client, auth, organisation["id"], name=name, place_types=[place_type]
    )
    await report(client, auth, facility, place_type, staffed=free + 4, occupied=4, available=free)
    return facility


async def _stream_open(page: Page) -> None:
    await expect(page.locator("body")).to_have_attribute("data-stream-state", "open")


async def _mark_no_reload(page: Page) -> None:
    await page.evaluate("window.zorgplekNoReload = true")


async def _assert_not_reloaded(page: Page) -> None:
    assert await page.evaluate("window.zorgplekNoReload === true"), "the page was reloaded"


async def test_the_board_updates_when_a_provider_system_reports(
    tabs: Tabs,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    live_events: None,
    screenshots: Path,
) -> None:
    facility = await _provider(client, auth, "ELV_HOOG", 2, "Hof van Spaarne")
    practice = await _practice(client, auth)
    tab = await tabs(session_cookie("referrer", org=practice["id"], practice=HAARLEM))
    page = tab.page
    await page.goto("/plekken")
    row = page.locator(f'tr[data-facility="{facility["id"]}"]')
    await expect(row.locator("[data-free]")).to_have_text("2")
    await _stream_open(page)
    await _mark_no_reload(page)
    # The provider's own system reports through the API, as any client would.
    response = await client.put(
        f"/api/v1/facilities/{facility['id']}/capacity/ELV_HOOG",
        json=report_body(staffed=12, occupied=5, available=6),
        headers=auth("provider", org=facility["organisation_id"]),
    )
    assert response.status_code == 200
    await expect(row.locator("[data-free]")).to_have_text("6")
    await _assert_not_reloaded(page)
    await expect(page.locator("#live-status")).to_contain_text("Bijgewerkt")
    await page.screenshot(path=screenshots / "vrije-plekken-live.png", full_page=True)
    tab.assert_no_console_errors()


async def test_a_validation_error_shows_in_dutch_beside_the_field(
    tabs: Tabs, session_cookie: SessionCookie, screenshots: Path
) -> None:
    tab = await tabs(session_cookie("referrer"))
    page = tab.page
    await page.goto("/aanmelden")
    await expect(page.locator(".warning")).to_contain_text("nooit een naam, BSN")
    await page.select_option("#place_type", "WLZ_CRISIS")
    await page.select_option("#region_code", KENNEMERLAND)
    await page.check("input[name=urgency][value=acute]")
    await page.fill("#birth_year", "1941")
    await page.select_option("#sex", "female")
    await page.fill("#postcode", "20AB")
    await page.fill("#notes", "Valt vaak; nummer 123456782 staat in het dossier.")
    await page.get_by_role("button", name="Aanmelding versturen").click()
    postcode_error = page.locator("#postcode-fout")
    await expect(postcode_error).to_have_text(
        "Fout: Vul alleen de vier cijfers van de postcode in, bijvoorbeeld 2032."
    )
    await expect(page.locator("#postcode")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#postcode")).to_have_attribute("aria-describedby", "postcode-fout")
    await expect(page.locator("#notes-fout")).to_contain_text("Dit lijkt op een BSN")
    await expect(page.locator("#fouten")).to_be_focused()
    # What was typed stays, so fixing it takes a few keystrokes.
    await expect(page.locator("#birth_year")).to_have_value("1941")
    await page.screenshot(path=screenshots / "aanmelden-fouten.png", full_page=True)
    tab.assert_no_console_errors()


@pytest.mark.slow
async def test_journey_referrer_triagist_provider_without_reloading(
    tabs: Tabs,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    live_events: None,
    screenshots: Path,
) -> None:
    facility = await _provider(client, auth, "WLZ_CRISIS", 2, "Crisisopvang Duinzicht")
    practice = await _practice(client, auth)
    referrer = await tabs(
        session_cookie(
            "referrer",
            org=practice["id"],
            practice=HAARLEM,
            name="Dr. P. Jansen",
            organisation_name=practice["name"],
        )
    )
    triagist = await tabs(session_cookie("triagist", regions=[KENNEMERLAND], name="M. Bakker"))
    provider = await tabs(
        session_cookie("provider", org=facility["organisation_id"], name="J. Visser")
    )

    # The triagist watches the queue; the provider watches reservations.
    await triagist.page.goto("/wachtrij")
    await expect(triagist.page.locator("caption")).to_contain_text("0 open aanmeldingen")
    await _stream_open(triagist.page)
    await _mark_no_reload(triagist.page)
    await provider.page.goto("/reserveringen")
    await expect(provider.page.locator("#wachtend")).to_contain_text("(0)")
    await _stream_open(provider.page)
    await _mark_no_reload(provider.page)

    # 1. The referrer submits a WLZ_CRISIS referral.
    page = referrer.page
    await page.goto("/aanmelden")
    await page.select_option("#place_type", "WLZ_CRISIS")
    await page.select_option("#region_code", KENNEMERLAND)
    await page.check("input[name=urgency][value=acute]")
    await page.fill("#birth_year", "1938")
    await page.select_option("#sex", "male")
    await page.fill("#postcode", "2034")
    await page.fill("#notes", "Mantelzorger acuut uitgevallen.")
    await page.get_by_role("button", name="Aanmelding versturen").click()
    await expect(page.locator(".notice")).to_contain_text("De aanmelding is verstuurd")
    await expect(page.locator("h1 [data-status]")).to_have_text("aangemeld")
    referral_url = page.url
    await _stream_open(page)
    await _mark_no_reload(page)

    # 2. The triagist sees it appear without reloading, claims it, reserves the top match.
    queue = triagist.page
    row = queue.locator("tbody tr[data-referral]")
    await expect(row).to_have_count(1)
    await _assert_not_reloaded(queue)
    await expect(row).to_contain_text("Wlz-crisisopname")
    await expect(row.locator(".countdown")).to_contain_text("nog 1:")
    await queue.screenshot(path=screenshots / "wachtrij.png", full_page=True)
    await row.get_by_role("button", name="Oppakken").click()
    await expect(queue.locator(".notice")).to_contain_text("opgepakt")
    top = queue.locator("tr[data-match]").first
    await expect(top).to_have_attribute("data-match", facility["id"])
    await expect(top).to_contain_text("Crisisopvang Duinzicht")
    await queue.screenshot(path=screenshots / "wachtrij-aanmelding.png", full_page=True)
    await top.get_by_role("button", name="Reserveren").click()
    await expect(queue.locator(".notice")).to_contain_text("gereserveerd")
    await expect(queue.locator("h1 [data-status]")).to_have_text("gereserveerd")

    # 3. The provider sees the reservation appear without reloading, and accepts.
    incoming = provider.page
    waiting = incoming.locator("section[data-reservation]")
    await expect(waiting).to_have_count(1)
    await _assert_not_reloaded(incoming)
    await expect(waiting).to_contain_text("man, geboren 1938, postcode 2034")
    await incoming.screenshot(path=screenshots / "reserveringen.png", full_page=True)
    await waiting.get_by_role("button", name="Accepteren").click()
    await expect(incoming.locator(".notice")).to_contain_text("geaccepteerd")

    # 4. The referrer's page shows "geplaatst" without reloading.
    await expect(page.locator("h1 [data-status]")).to_have_text("geplaatst")
    await _assert_not_reloaded(page)
    assert page.url == referral_url
    await expect(page.locator("#plek")).to_be_visible()
    await expect(page.locator(".timeline")).to_contain_text("geaccepteerd")
    await page.screenshot(path=screenshots / "aanmelding-geplaatst.png", full_page=True)
    await page.get_by_role("button", name="Overdracht bevestigen").click()
    await expect(page.locator("h1 [data-status]")).to_have_text("overgedragen")
    await page.goto("/aanmeldingen")
    await expect(page.locator("tbody [data-status]")).to_have_text("overgedragen")
    await page.screenshot(path=screenshots / "mijn-aanmeldingen.png", full_page=True)
    for tab in (referrer, triagist, provider):
        tab.assert_no_console_errors()


async def test_a_provider_updates_a_number_with_the_keyboard_alone(
    tabs: Tabs,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    screenshots: Path,
) -> None:
    facility = await _provider(client, auth, "GRZ", 1, "Revalidatie De Duinen")
    tab = await tabs(session_cookie("provider", org=facility["organisation_id"]))
    page = tab.page
    await page.goto("/locaties")
    free = page.locator(f"#cap-{facility['id']}-GRZ-available")
    occupied = page.locator(f"#cap-{facility['id']}-GRZ-occupied")
    await occupied.focus()
    await page.keyboard.press("Control+a")
    await page.keyboard.type("3")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Control+a")
    await page.keyboard.type("2")
    await page.keyboard.press("Enter")
    await expect(page.locator(".notice")).to_have_text("Opgeslagen.")
    await expect(free).to_have_value("2")
    await expect(occupied).to_have_value("3")
    await expect(page.locator(f"#cap-{facility['id']}-GRZ")).to_contain_text("zojuist")
    await free.fill("9")
    await page.keyboard.press("Enter")
    await expect(page.locator(f"#cap-{facility['id']}-GRZ-available-fout")).to_contain_text(
        "plus vrij (9) is meer dan bemand (5)"
    )
    await page.screenshot(path=screenshots / "locaties-fout.png", full_page=True)
    tab.assert_no_console_errors()


async def test_dev_sign_in_chooses_a_demo_user(
    tabs: Tabs, settings: Settings, monkeypatch: pytest.MonkeyPatch, screenshots: Path
) -> None:
    monkeypatch.setattr(settings, "env", "development")
    monkeypatch.setattr(settings, "dev_login", True)
    tab = await tabs()
    page = tab.page
    await page.goto("/regio")
    await expect(page).to_have_url(re.compile(r"/inloggen\?terug=%2Fregio$"))
    await page.screenshot(path=screenshots / "inloggen.png", full_page=True)
    await page.get_by_role("button", name="E. Mulder").click()
    await expect(page.locator("h1")).to_have_text("Regio: Kennemerland")
    await expect(page.locator(".who-name")).to_have_text("E. Mulder")
    await page.get_by_role("button", name="Uitloggen").click()
    await expect(page.locator(".notice")).to_have_text("U bent uitgelogd.")
    tab.assert_no_console_errors()


async def test_the_live_script_writes_a_moment_as_the_server_does(
    tabs: Tabs, session_cookie: SessionCookie
) -> None:
    tab = await tabs(session_cookie("referrer"))
    await tab.page.goto("/aanmeldingen")
    for name, moment, expected in MOMENTS:
        iso = moment.isoformat() if isinstance(moment, datetime) else str(moment)
        written = await tab.page.evaluate(
            "([at, now]) => window.zorgplek.when(Date.parse(at), Date.parse(now))",
            [iso, NOW.isoformat()],
        )
        assert written == expected == when(moment, NOW), name
    tab.assert_no_console_errors()
