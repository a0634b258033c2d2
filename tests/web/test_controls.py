"""The controls a triagist and a GP need, on the pages: release a held place to try another,
hand a case back or to a colleague, cancel only after confirming with a reason (also once
placed), the practice's own reference in every list and as a filter, and the phone numbers
wherever someone must call."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import expect

from tests.conftest import TokenFactory
from tests.factories import HAARLEM, create_organisation, place_with_free
from tests.kernel.test_bsn import WRITTEN_AS_A_BSN
from tests.triage.helpers import Actors, actors, claim, reserve, submit, timeline
from tests.web.conftest import SessionCookie, Tabs, csrf_of, sign_in

KENNEMERLAND = "ZK-KENNEMERLAND"


async def _held(
    client: httpx.AsyncClient, auth: TokenFactory, **facility: Any
) -> tuple[Actors, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A referral claimed by a triagist, with a place held at a location with a phone."""
    place = await place_with_free(
        client,
        auth,
        2,
        name="Hof van Leyden",
        street="Herenweg",
        house_number="12a",
        phone="023 531 2000",
        contact_note="na 22:00 via de avonddienst",
        **facility,
    )
    people = await actors(client, auth)
    referral = await submit(client, people.referrer, reference="HA-2026/0042")
    await claim(client, referral["id"], people.triagist)
    held = await reserve(client, referral["id"], place["id"], people.triagist)
    assert held.status_code == 201, held.text
    return people, place, referral, held.json()


def _main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


async def test_a_triagist_releases_a_held_place_to_try_another_and_sees_its_phone_meanwhile(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    people, place, referral, held = await _held(client, auth)
    sign_in(web, session_cookie("triagist", regions=[KENNEMERLAND], sub=people.triagist_sub))
    page = _main((await web.get(f"/wachtrij/{referral['id']}")).text)
    assert '<a href="tel:+31235312000" data-phone>023 531 2000</a>' in page  # during the hold
    assert "(na 22:00 via de avonddienst)" in page
    assert "Herenweg 12a, 2011 AB Haarlem" in page
    assert "data-next-steps>De plaats bij Hof van Leyden is gereserveerd" in page
    released = await web.post(
        f"/wachtrij/{referral['id']}/vrijgeven",
        data={"csrf": csrf_of(page), "reservation_id": held["id"]},
    )
    assert released.headers["location"] == f"/wachtrij/{referral['id']}?melding=vrijgegeven"
    again = _main((await web.get(released.headers["location"])).text)
    assert 'data-status="searching"' in again
    assert f'data-match="{place["id"]}"' in again  # it may be proposed again
    assert "reservering vrijgegeven" in again
    # Twice: the place is no longer held, nothing changes.
    stale = await web.post(
        f"/wachtrij/{referral['id']}/vrijgeven",
        data={"csrf": csrf_of(page), "reservation_id": held["id"]},
    )
    assert stale.headers["location"].endswith("?melding=verlopen")


async def test_a_gp_releases_its_own_direct_booking_but_not_the_rap_s(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    people, place, by_rap, _ = await _held(client, auth)
    sign_in(web, session_cookie("referrer", org=people.referrer_org))
    rap_page = _main((await web.get(f"/aanmeldingen/{by_rap['id']}")).text)
    assert "Reservering vrijgeven" not in rap_page  # the triagist's reservation stays theirs
    direct = await submit(client, people.referrer)
    booked = await reserve(client, direct["id"], place["id"], people.referrer)
    assert booked.status_code == 201, booked.text
    page = _main((await web.get(f"/aanmeldingen/{direct['id']}")).text)
    assert "Reservering vrijgeven" in page
    form = {"csrf": csrf_of(page), "reservation_id": booked.json()["id"]}
    released = await web.post(f"/aanmeldingen/{direct['id']}/vrijgeven", data=form)
    assert released.headers["location"] == f"/aanmeldingen/{direct['id']}?melding=vrijgegeven"
    again = _main((await web.get(released.headers["location"])).text)
    assert 'data-status="searching"' in again
    assert "Reservering vrijgeven" not in again
    # Twice: the place is no longer held, nothing changes.
    stale = await web.post(f"/aanmeldingen/{direct['id']}/vrijgeven", data=form)
    assert stale.headers["location"].endswith("?melding=verlopen")


async def test_a_triagist_hands_a_case_back_or_to_a_colleague(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    people = await actors(client, auth)
    referral = await submit(client, people.referrer)
    await claim(client, referral["id"], people.triagist)
    colleague = auth("triagist", regions=[KENNEMERLAND], sub="visser")
    assert (await client.get("/api/v1/queue", headers=colleague)).status_code == 200  # at work
    sign_in(web, session_cookie("triagist", regions=[KENNEMERLAND], sub=people.triagist_sub))
    page = _main((await web.get(f"/wachtrij/{referral['id']}")).text)
    assert '<option value="visser">Test triagist</option>' in page
    given = await web.post(
        f"/wachtrij/{referral['id']}/toewijzen", data={"csrf": csrf_of(page), "assignee": "visser"}
    )
    assert given.headers["location"].endswith("?melding=toegewezen")
    shown = _main((await web.get(given.headers["location"])).text)
    assert "toegewezen aan Test triagist" in shown
    assert "Aanmelding annuleren" not in shown  # no longer theirs to cancel
    back = await web.post(f"/wachtrij/{referral['id']}/teruggeven", data={"csrf": csrf_of(page)})
    assert back.headers["location"] == "/wachtrij?melding=teruggegeven"
    queue = _main((await web.get(back.headers["location"])).text)
    row = re.search(rf'<tr[^>]*data-referral="{referral["id"]}".*?</tr>', queue, re.S)
    assert row is not None
    assert "Oppakken" in row.group(0)  # claimable again
    assert "teruggegeven aan de wachtrij" in _main(
        (await web.get(f"/wachtrij/{referral['id']}")).text
    )
    nobody = await web.post(
        f"/wachtrij/{referral['id']}/toewijzen", data={"csrf": csrf_of(page), "assignee": ""}
    )
    assert nobody.headers["location"].endswith("?melding=kies-collega")
    sign_in(web, session_cookie("triagist", regions=["ZK-UTRECHT"]))
    elsewhere = await web.post(
        f"/wachtrij/{referral['id']}/teruggeven", data={"csrf": csrf_of(page)}
    )
    assert elsewhere.status_code == 403  # the form is refused: another session's token
    csrf = csrf_of((await web.get("/wachtrij")).text)
    elsewhere = await web.post(f"/wachtrij/{referral['id']}/teruggeven", data={"csrf": csrf})
    assert elsewhere.status_code == 404


async def test_cancelling_asks_for_a_reason_first_and_works_once_placed(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    people, place, referral, held = await _held(client, auth)
    accepted = await client.post(
        f"/api/v1/reservations/{held['id']}/accept", headers=people.provider_of(place)
    )
    assert accepted.status_code == 200, accepted.text
    sign_in(web, session_cookie("referrer", org=people.referrer_org))
    detail = _main((await web.get(f"/aanmeldingen/{referral['id']}")).text)
    assert 'data-status="placed"' in detail
    assert f'href="/aanmeldingen/{referral["id"]}/annuleren"' in detail  # a link, not a form
    confirm = _main((await web.get(f"/aanmeldingen/{referral['id']}/annuleren")).text)
    assert "De patiënt is al geplaatst bij Hof van Leyden." in confirm
    assert 'name="reason_code" value="patient_deceased"' in confirm
    empty = await web.post(
        f"/aanmeldingen/{referral['id']}/annuleren", data={"csrf": csrf_of(confirm)}
    )
    assert empty.status_code == 200
    assert "Kies waarom de aanmelding vervalt." in empty.text
    assert "Schrijf in een paar woorden waarom" in empty.text
    still = await client.get(f"/api/v1/referrals/{referral['id']}", headers=people.referrer)
    assert still.json()["status"] == "placed"
    done = await web.post(
        f"/aanmeldingen/{referral['id']}/annuleren",
        data={
            "csrf": csrf_of(confirm),
            "reason_code": "patient_deceased",
            "reason": "Vannacht thuis overleden.",
        },
    )
    assert done.headers["location"] == f"/aanmeldingen/{referral['id']}?melding=geannuleerd"
    page = _main((await web.get(done.headers["location"])).text)
    assert 'data-status="cancelled"' in page
    assert "Reden: Patiënt overleden – Vannacht thuis overleden." in page
    entries = await timeline(client, referral["id"], people.referrer)
    assert entries[-1]["detail"]["reason_code"] == "patient_deceased"


async def test_the_gp_reads_where_the_placed_patient_goes_and_whom_to_call(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    people, place, referral, held = await _held(client, auth)
    await client.post(
        f"/api/v1/reservations/{held['id']}/accept", headers=people.provider_of(place)
    )
    sign_in(web, session_cookie("referrer", org=people.referrer_org))
    page = _main((await web.get(f"/aanmeldingen/{referral['id']}")).text)
    steps = page.split("data-next-steps>", 1)[1].split("</p>", 1)[0]
    assert steps.startswith("Hof van Leyden neemt de cliënt op: bel de opname op 023 531 2000")
    assert "Adres: Herenweg 12a, 2011 AB Haarlem." in steps
    assert '<a href="tel:+31235312000" data-phone>023 531 2000</a>' in page


async def test_the_provider_sees_who_reserved_and_their_phone(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    place = await place_with_free(client, auth, 2, name="Hof van Leyden")
    rap = await create_organisation(
        client, auth, name="RAP Kennemerland", kind="rap", phone="023 510 0000"
    )
    people = await actors(client, auth)
    referral = await submit(client, people.referrer, reference="HA-2026/0042")
    triagist = auth("triagist", regions=[KENNEMERLAND], org=rap["id"], sub="bakker")
    await claim(client, referral["id"], triagist)
    held = await reserve(client, referral["id"], place["id"], triagist)
    assert held.status_code == 201, held.text
    sign_in(web, session_cookie("provider", org=place["organisation_id"]))
    page = _main((await web.get("/reserveringen")).text)
    reserved_by = page.split("data-reserved-by>", 1)[1].split("</p>", 1)[0]
    assert "RAP Kennemerland" in reserved_by
    assert '<a href="tel:+31235100000" data-phone>023 510 0000</a>' in reserved_by
    assert "<dd data-reference>HA-2026/0042</dd>" in page


async def _send_referral_form(web: httpx.AsyncClient, **fields: str) -> httpx.Response:
    """The referral form sent as a GP sends it: a GRZ referral with `fields` filled in."""
    page = (await web.get("/aanmelden")).text
    key = re.search(r'name="key" value="([^"]+)"', page)
    assert key is not None
    return await web.post(
        "/aanmelden",
        data={
            "csrf": csrf_of(page),
            "key": key.group(1),
            "place_type": "GRZ",
            "region_code": KENNEMERLAND,
            "urgency": "soon",
            "birth_year": "1929",
            "sex": "female",
            "postcode": "2011",
            **fields,
        },
    )


async def test_a_gp_tells_referrals_apart_by_their_own_reference(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    practice = await create_organisation(client, auth, kind="gp")
    sign_in(web, session_cookie("referrer", org=practice["id"], practice=HAARLEM))
    form = (await web.get("/aanmelden")).text
    assert 'id="reference"' in form

    async def send(reference: str) -> httpx.Response:
        return await _send_referral_form(web, reference=reference)

    bsn = await send("123456782")
    assert bsn.status_code == 200
    assert "Dit lijkt op een BSN." in bsn.text
    for reference in ("HA-2026/0041", "HA-2026/0042"):
        assert (await send(reference)).status_code == 303
    everything = _main((await web.get("/aanmeldingen")).text)
    assert everything.count("data-reference>") == 2
    found = _main((await web.get("/aanmeldingen?referentie=HA-2026/0042")).text)
    assert found.count("data-reference>") == 1
    assert '<span class="reference" data-reference>HA-2026/0042</span>' in found
    assert "1 aanmelding met referentie HA-2026/0042" in found
    none = _main((await web.get("/aanmeldingen?referentie=HA-9")).text)
    assert "Geen aanmelding met referentie HA-9." in none
    sign_in(web, session_cookie("triagist", regions=[KENNEMERLAND]))
    queue = _main((await web.get("/wachtrij")).text)
    assert queue.count("data-reference>") == 2


async def test_in_the_browser_cancelling_needs_a_confirmation_with_a_reason(
    tabs: Tabs,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    screenshots: Path,
) -> None:
    people, place, referral, held = await _held(client, auth)
    tab = await tabs(session_cookie("triagist", regions=[KENNEMERLAND], sub=people.triagist_sub))
    page = tab.page
    await page.goto(f"/wachtrij/{referral['id']}")
    await page.get_by_role("link", name="Aanmelding annuleren…").click()
    await expect(page.locator("h1")).to_have_text("Aanmelding annuleren?")
    await expect(page.locator(".warning")).to_contain_text("Er is een plek gereserveerd.")
    await page.get_by_role("button", name="Ja, aanmelding annuleren").click()
    await expect(page.locator("#fouten")).to_be_focused()
    await expect(page.locator("#reason-fout")).to_contain_text("Schrijf in een paar woorden")
    await expect(page.locator("#reason_code-fout")).to_contain_text("Kies waarom")
    still = await client.get(f"/api/v1/referrals/{referral['id']}", headers=people.triagist)
    assert still.json()["status"] == "reserved"
    await page.screenshot(path=screenshots / "annuleren-bevestigen.png", full_page=True)
    await page.get_by_label("Geen plek gevonden").check()
    await page.get_by_label("Toelichting").fill("Familie vangt op.")
    await page.get_by_role("button", name="Ja, aanmelding annuleren").click()
    await expect(page.locator(".notice")).to_contain_text("geannuleerd")
    await expect(page.locator("h1 [data-status]")).to_have_text("geannuleerd")
    await expect(page.locator(".timeline")).to_contain_text(
        "Geen plek gevonden – Familie vangt op."
    )
    tab.assert_no_console_errors()


async def test_the_form_refuses_a_bsn_however_it_is_written_as_the_api_does(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    practice = await create_organisation(client, auth, kind="gp")
    sign_in(web, session_cookie("referrer", org=practice["id"], practice=HAARLEM))

    async def send(notes: str) -> httpx.Response:
        return await _send_referral_form(web, notes=notes)

    for notes in WRITTEN_AS_A_BSN:
        refused = await send(notes)
        assert refused.status_code == 200, notes
        assert "Dit lijkt op een BSN." in refused.text, notes
    assert (await send("tel. 0612345678, kamer 123456789")).status_code == 303
