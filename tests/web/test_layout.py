"""Every page at phone, tablet and desktop width in Debian's Chromium: nothing needs
sideways scrolling — not the page, not a table inside it — and a screenshot of each lands
in test-output/screenshots/. On a phone a row is a card that starts with what a person
acts on: the free count, distance, report age and the button."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.conftest import TokenFactory
from tests.factories import HAARLEM, create_facility, create_organisation, report
from tests.triage.helpers import Actors, claim, reserve, submit
from tests.web.conftest import SessionCookie, Tab, Tabs

KENNEMERLAND = "ZK-KENNEMERLAND"
WIDTHS = [(1280, 900), (768, 900), (390, 844)]

# What sticks out: the page wider than the window, an element past either edge, or a
# box that scrolls sideways (a table hiding its last columns off-screen).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.split(" ")[0] : "");
  const found = [];
  if (document.documentElement.scrollWidth > width) {
    found.push("page " + document.documentElement.scrollWidth + "px");
  }
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest(".visually-hidden, .skip")) { continue; }
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") { continue; }
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) { continue; }
    if (box.right > width + 1 || box.left < -1) {
      found.push(name(el) + " " + Math.round(box.left) + ".." + Math.round(box.right));
    }
    if (["auto", "scroll"].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1) {
      found.push(name(el) + " scrolls sideways");
    }
  }
  return found.slice(0, 8);
}"""


async def _scene(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, Any]:
    """A provider with free places, a practice, and two referrals claimed by one triagist:
    one searching, one with a place held."""
    organisation = await create_organisation(client, auth, name="Zorggroep Overbos")
    facility = await create_facility(
        client,
        auth,
        organisation["id"],
        name="Zorgcentrum Overbos",
        place_types=["ELV_HOOG"],
        street="Overbosch",
        house_number="14",
        phone="023 531 2000",
        contact_note="na 22:00 via de avonddienst",
        features=["dementia", "oxygen"],
    )
    await report(client, auth, facility, "ELV_HOOG", staffed=9, occupied=4, available=3)
    practice = await create_organisation(
        client,
        auth,
        name="Huisartsenpraktijk Zuiderpolder",
        kind="gp",
        lat=HAARLEM[0],
        lon=HAARLEM[1],
    )
    people = Actors(auth, practice["id"])
    searching = await submit(client, people.referrer, urgency="acute", reference="HA-2026/0041")
    held = await submit(client, people.referrer, urgency="soon", reference="HA-2026/0042")
    for referral in (searching, held):
        await claim(client, referral["id"], people.triagist)
    answer = await reserve(client, held["id"], facility["id"], people.triagist)
    assert answer.status_code == 201, answer.text
    return {
        "facility": facility,
        "practice": practice,
        "triagist": people.triagist_sub,
        "searching": searching["id"],
        "held": held["id"],
    }


def _pages(scene: dict[str, Any]) -> dict[str, list[str]]:
    return {
        "referrer": ["/plekken", "/aanmelden", "/aanmeldingen", f"/aanmeldingen/{scene['held']}"],
        "triagist": [
            "/wachtrij",
            f"/wachtrij/{scene['searching']}",
            f"/wachtrij/{scene['held']}",
            "/plekken",
            "/regio",
        ],
        "provider": ["/locaties", "/reserveringen"],
        "viewer": ["/regio"],
    }


def _shot_name(path: str, scene: dict[str, Any], role: str, width: int) -> str:
    words = {scene["searching"]: "zoekt", scene["held"]: "gereserveerd"}
    parts = [words.get(part, part) for part in path.strip("/").split("/")]
    return f"{'-'.join(parts)}-{role}-{width}.png"


async def _assert_fits(page: Page, path: str, width: int) -> None:
    sticking_out = await page.evaluate(OVERFLOW)
    assert sticking_out == [], f"{path} at {width}px: {sticking_out}"


@pytest.mark.slow
@pytest.mark.parametrize(("width", "height"), WIDTHS, ids=[f"{w}px" for w, _ in WIDTHS])
async def test_every_page_fits_without_sideways_scrolling(
    width: int,
    height: int,
    tabs: Tabs,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    screenshots: Path,
) -> None:
    scene = await _scene(client, auth)
    cookies = {
        "referrer": session_cookie(
            "referrer",
            org=scene["practice"]["id"],
            practice=HAARLEM,
            name="Dr. P. Jansen",
            organisation_name="Huisartsenpraktijk Zuiderpolder",
        ),
        "triagist": session_cookie(
            "triagist", regions=[KENNEMERLAND], sub=scene["triagist"], name="M. Bakker"
        ),
        "provider": session_cookie(
            "provider",
            org=scene["facility"]["organisation_id"],
            name="J. Visser",
            organisation_name="Zorggroep Overbos",
        ),
        "viewer": session_cookie("viewer", regions=[KENNEMERLAND], name="E. Mulder"),
    }
    for role, paths in _pages(scene).items():
        tab: Tab = await tabs(cookies[role], width=width, height=height)
        for path in paths:
            await tab.page.goto(path)
            await expect(tab.page.locator("h1")).to_be_visible()
            await _assert_fits(tab.page, path, width)
            await tab.page.screenshot(
                path=screenshots / _shot_name(path, scene, role, width), full_page=True
            )
        # Keyboard: the first Tab reaches the skip link, visibly.
        await tab.page.keyboard.press("Tab")
        skip = tab.page.locator("a.skip")
        await expect(skip).to_be_focused()
        box = await skip.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        tab.assert_no_console_errors()
