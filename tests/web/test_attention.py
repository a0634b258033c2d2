"""Attention in a real browser: the count in the menu and the tab title follows what waits
for the user without a reload; rows that changed are marked; keyboard focus stays where it
was; and, once opted in, a new reservation (provider) or a declined one (triagist) raises a
browser notification with the sound shipped in the package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, expect

from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation, report
from tests.triage.helpers import actors, claim, reserve, submit
from tests.web.conftest import SessionCookie, Tab, Tabs, sign_in

KENNEMERLAND = "ZK-KENNEMERLAND"

# Records what the page asks of the browser's Notification and audio, then lets the real
# browser do it. (The count goes into an attribute: the pages' CSP forbids the eval that
# polling a JavaScript condition would need.)
WATCH_ALERTS = """
window.shown = [];
window.sounds = [];
const RealNotification = window.Notification;
function WatchedNotification(title, options) {
  window.shown.push([title, options && options.body]);
  document.documentElement.setAttribute("data-shown", String(window.shown.length));
  return new RealNotification(title, options);
}
Object.defineProperty(WatchedNotification, "permission", {
  get: () => RealNotification.permission,
});
WatchedNotification.requestPermission = (...a) => RealNotification.requestPermission(...a);
window.Notification = WatchedNotification;
const realPlay = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  window.sounds.push(new URL(this.src).pathname);
  return realPlay.call(this);
};
"""


async def _provider_place(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, Any]:
    organisation = await create_organisation(client, auth, name="Zorggroep Spaarne")
    facility = await create_facility(
        client, auth, organisation["id"], name="Hof van Spaarne", place_types=["ELV_HOOG"]
    )
    await report(client, auth, facility, "ELV_HOOG", staffed=8, occupied=4, available=3)
    return facility


async def _ready(page: Page) -> None:
    await expect(page.locator("body")).to_have_attribute("data-stream-state", "open")
    await expect(page.locator("body")).to_have_attribute("data-attention-state", "ready")
    await page.evaluate("window.zorgplekNoReload = true")


async def _opt_in(tab: Tab, live_url: str) -> None:
    await tab.page.context.grant_permissions(["notifications"], origin=live_url)
    toggle = tab.page.get_by_role("button", name="Meldingen met geluid")
    await expect(toggle).to_have_attribute("aria-pressed", "false")
    await toggle.click()
    await expect(toggle).to_have_attribute("aria-pressed", "true")
    assert await tab.page.evaluate("window.sounds") == ["/static/melding.wav"]  # a sample


async def test_a_provider_sees_a_new_reservation_counted_and_is_notified_with_sound(
    full_tabs: Tabs,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    live_events: None,
    live_url: str,
    screenshots: Path,
) -> None:
    facility = await _provider_place(client, auth)
    people = await actors(client, auth)
    referral = await submit(client, people.referrer)
    await claim(client, referral["id"], people.triagist)
    tab = await full_tabs(session_cookie("provider", org=facility["organisation_id"]))
    page = tab.page
    await page.add_init_script(WATCH_ALERTS)
    await page.goto("/locaties")  # busy with the numbers, not watching Reserveringen
    count = page.get_by_role("navigation").locator("[data-attention-count]")
    await expect(count).to_be_hidden()
    await expect(page).to_have_title("Mijn locaties – Zorgplek")
    await _ready(page)
    await _opt_in(tab, live_url)

    held = await reserve(client, referral["id"], facility["id"], people.triagist)
    assert held.status_code == 201, held.text

    await expect(count).to_have_text("1")
    await expect(page).to_have_title("(1) Mijn locaties – Zorgplek")
    await expect(page.locator("html")).to_have_attribute("data-shown", "1")
    [(title, body)] = await page.evaluate("window.shown")
    assert title == "Zorgplek: Nieuwe reservering"
    assert body.startswith("Eerstelijnsverblijf hoogcomplex bij Hof van Spaarne: antwoord vóór ")
    assert await page.evaluate("window.sounds") == ["/static/melding.wav"] * 2
    assert await page.evaluate("window.zorgplekNoReload === true")
    await page.screenshot(path=screenshots / "aandacht-aanbieder.png")
    sound = await client.get("/static/melding.wav")
    assert sound.headers["content-type"] == "audio/wav"
    assert sound.content.startswith(b"RIFF")
    tab.assert_no_console_errors()


async def test_the_queue_marks_a_new_case_counts_it_and_keeps_keyboard_focus(
    tabs: Tabs,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    live_events: None,
    screenshots: Path,
) -> None:
    people = await actors(client, auth)
    first = await submit(client, people.referrer, urgency="acute")
    tab = await tabs(session_cookie("triagist", regions=[KENNEMERLAND]))
    page = tab.page
    await page.goto("/wachtrij")
    await expect(page).to_have_title("(1) Wachtrij – Zorgplek")
    count = page.get_by_role("navigation").locator("[data-attention-count]")
    await expect(count).to_have_text("1")
    await _ready(page)
    first_row = page.locator(f'tr[data-key="{first["id"]}"]')
    await first_row.get_by_role("button", name="Oppakken").focus()

    second = await submit(client, people.referrer, urgency="soon")

    second_row = page.locator(f'tr[data-key="{second["id"]}"]')
    await expect(second_row).to_have_attribute("data-changed", "")
    await expect(count).to_have_text("2")
    await expect(page).to_have_title("(2) Wachtrij – Zorgplek")
    assert await first_row.get_attribute("data-changed") is None
    await expect(first_row.get_by_role("button", name="Oppakken")).to_be_focused()
    assert await page.evaluate("window.zorgplekNoReload === true")
    await page.screenshot(path=screenshots / "aandacht-wachtrij.png")
    # Enter on the kept focus claims the first case, as it would have before the update.
    await page.keyboard.press("Enter")
    await expect(page.locator("h1 [data-status]")).to_have_text("in triage")
    tab.assert_no_console_errors()


async def test_a_triagist_is_notified_when_a_provider_declines(
    full_tabs: Tabs,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    live_events: None,
    live_url: str,
) -> None:
    facility = await _provider_place(client, auth)
    people = await actors(client, auth)
    referral = await submit(client, people.referrer)
    await claim(client, referral["id"], people.triagist)
    held = await reserve(client, referral["id"], facility["id"], people.triagist)
    assert held.status_code == 201, held.text
    tab = await full_tabs(
        session_cookie("triagist", regions=[KENNEMERLAND], sub=people.triagist_sub)
    )
    page = tab.page
    await page.add_init_script(WATCH_ALERTS)
    await page.goto("/regio")
    count = page.get_by_role("navigation").locator("[data-attention-count]")
    await expect(count).to_be_hidden()
    await _ready(page)
    await _opt_in(tab, live_url)

    declined = await client.post(
        f"/api/v1/reservations/{held.json()['id']}/decline",
        json={"reason_code": "no_staff"},
        headers=people.provider_of(facility),
    )
    assert declined.status_code == 200, declined.text

    await expect(count).to_have_text("1")
    await expect(page.locator("html")).to_have_attribute("data-shown", "1")
    [(title, body)] = await page.evaluate("window.shown")
    assert title == "Zorgplek: Reservering afgewezen"
    assert body.startswith("Zoek een andere plek: Eerstelijnsverblijf hoogcomplex")
    tab.assert_no_console_errors()


async def test_the_attention_list_is_the_viewers_own(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    facility = await _provider_place(client, auth)
    people = await actors(client, auth)
    waiting = await submit(client, people.referrer)
    mine = await submit(client, people.referrer)
    await claim(client, mine["id"], people.triagist)
    held = await reserve(client, mine["id"], facility["id"], people.triagist)
    assert held.status_code == 201, held.text

    assert (await web.get("/aandacht")).status_code == 303  # nobody signed in
    sign_in(web, session_cookie("provider", org=facility["organisation_id"]))
    provider = (await web.get("/aandacht")).json()
    assert provider["count"] == 1
    assert list(provider["items"]) == [held.json()["id"]]
    sign_in(web, session_cookie("provider", org=people.referrer_org))  # another organisation
    assert (await web.get("/aandacht")).json() == {"count": 0, "items": {}}
    sign_in(web, session_cookie("triagist", regions=[KENNEMERLAND], sub=people.triagist_sub))
    triagist = (await web.get("/aandacht")).json()
    assert list(triagist["items"]) == [waiting["id"]]  # the held one is in hand
    assert triagist["items"][waiting["id"]].startswith("Op te pakken: Eerstelijnsverblijf")
    sign_in(web, session_cookie("triagist", regions=["ZK-UTRECHT"]))
    assert (await web.get("/aandacht")).json()["count"] == 0
    sign_in(web, session_cookie("referrer", org=people.referrer_org))
    assert (await web.get("/aandacht")).status_code == 403
