"""The referral pages over HTTP against the triage API: direct booking of an ELV place from
Vrije plekken, advice, supra-regional search, decline with a reason and handover."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.conftest import TokenFactory
from tests.factories import HAARLEM, create_facility, create_organisation, report
from tests.web.conftest import SessionCookie, csrf_of, sign_in

KENNEMERLAND = "ZK-KENNEMERLAND"


async def _place(
    client: httpx.AsyncClient, auth: TokenFactory, place_type: str, **fields: Any
) -> dict[str, Any]:
    organisation = await create_organisation(client, auth)
    facility = await create_facility(
        client, auth, organisation["id"], place_types=[place_type], **fields
    )
    await report(client, auth, facility, place_type, staffed=8, occupied=5, available=2)
    return facility


def _referral_form(csrf: str, page: str, **values: str) -> dict[str, str]:
    key = re.search(r'name="key" value="([^"]+)"', page)
    assert key is not None
    return {
        "csrf": csrf,
        "key": key.group(1),
        "region_code": KENNEMERLAND,
        "urgency": "urgent",
        "birth_year": "1944",
        "sex": "female",
        "postcode": "2011",
        **values,
    }


async def test_a_referrer_books_an_elv_place_straight_from_the_board(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    facility = await _place(client, auth, "ELV_HOOG", name="Hof Direct")
    practice = await create_organisation(client, auth, kind="gp")
    sign_in(web, session_cookie("referrer", org=practice["id"], practice=HAARLEM))
    board = await web.get("/plekken?soort=ELV_HOOG")
    link = f"/aanmelden?soort=ELV_HOOG&amp;locatie={facility['id']}"
    assert link in board.text
    form = await web.get(link.replace("&amp;", "&"))
    assert "U reserveert direct een plek bij <strong>Hof Direct</strong>" in form.text
    assert f'<option value="{KENNEMERLAND}" selected>' in form.text
    data = _referral_form(
        csrf_of(form.text), form.text, place_type="ELV_HOOG", facility_id=facility["id"]
    )
    sent = await web.post("/aanmelden", data=data)
    assert sent.status_code == 303
    assert sent.headers["location"].endswith("?melding=gereserveerd")
    page = await web.get(sent.headers["location"])
    assert 'data-status="reserved"' in page.text
    assert "Hof Direct</strong> – wacht op antwoord" in page.text
    again = await web.post("/aanmelden", data=data)  # a double submit books nothing more
    assert again.headers["location"].split("?")[0] == sent.headers["location"].split("?")[0]
    mine = await web.get("/aanmeldingen")
    assert mine.text.count("data-referral=") == 1


async def test_the_triagist_searches_supra_regionally_and_gives_advice(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    far = await _place(
        client, auth, "GGZ_CRISIS", name="Kliniek Verweg", region_code="ZK-AMSTERDAM"
    )
    practice = await create_organisation(client, auth, kind="gp")
    sign_in(web, session_cookie("referrer", org=practice["id"], practice=HAARLEM))
    form = await web.get("/aanmelden")
    sent = await web.post(
        "/aanmelden", data=_referral_form(csrf_of(form.text), form.text, place_type="GGZ_CRISIS")
    )
    referral_id = sent.headers["location"].split("/")[-1].split("?")[0]

    sign_in(web, session_cookie("triagist", regions=[KENNEMERLAND], name="M. Bakker"))
    queue = await web.get("/wachtrij")
    assert f'data-referral="{referral_id}"' in queue.text
    claimed = await web.post(
        f"/wachtrij/{referral_id}/oppakken", data={"csrf": csrf_of(queue.text)}
    )
    assert claimed.headers["location"] == f"/wachtrij/{referral_id}?melding=opgepakt"
    own = await web.get(f"/wachtrij/{referral_id}")
    assert "Geen passende plek gevonden" in own.text
    widened = await web.post(
        f"/wachtrij/{referral_id}/bovenregionaal", data={"csrf": csrf_of(own.text)}
    )
    wider = await web.get(widened.headers["location"])
    assert f'data-match="{far["id"]}"' in wider.text
    assert "Kliniek Verweg" in wider.text
    assert "bovenregionaal</span>" in wider.text  # marked escalated
    advised = await web.post(
        f"/wachtrij/{referral_id}/advies",
        data={"csrf": csrf_of(wider.text), "advice": "Huisarts kan thuis ondersteunen."},
    )
    assert advised.headers["location"].endswith("?melding=advies")
    closed = await web.get(advised.headers["location"])
    assert 'data-status="advised"' in closed.text
    assert "Huisarts kan thuis ondersteunen." in closed.text
    assert "bovenregionaal gezocht" in closed.text


async def test_a_decline_needs_a_reason_and_a_placement_is_handed_over(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    first = await _place(client, auth, "GRZ", name="Revalidatie Noord")
    practice = await create_organisation(client, auth, kind="gp")
    sign_in(web, session_cookie("referrer", org=practice["id"], practice=HAARLEM))
    form = await web.get("/aanmelden")
    sent = await web.post(
        "/aanmelden", data=_referral_form(csrf_of(form.text), form.text, place_type="GRZ")
    )
    referral_id = sent.headers["location"].split("/")[-1].split("?")[0]
    triagist = session_cookie("triagist", regions=[KENNEMERLAND])
    sign_in(web, triagist)
    page = await web.get("/wachtrij")
    await web.post(f"/wachtrij/{referral_id}/oppakken", data={"csrf": csrf_of(page.text)})
    reserved = await web.post(
        f"/wachtrij/{referral_id}/reserveren",
        data={"csrf": csrf_of(page.text), "facility_id": first["id"]},
    )
    assert reserved.headers["location"].endswith("?melding=gereserveerd")

    sign_in(web, session_cookie("provider", org=first["organisation_id"]))
    incoming = await web.get("/reserveringen")
    [reservation_id] = re.findall(r'data-reservation="([^"]+)"', incoming.text)
    url = f"/reserveringen/{reservation_id}/afwijzen"
    no_reason = await web.post(url, data={"csrf": csrf_of(incoming.text), "reason_code": ""})
    assert no_reason.status_code == 200
    assert f'id="reason-{reservation_id}-fout"' in no_reason.text
    assert "Kies een reden van afwijzen." in no_reason.text
    declined = await web.post(
        url, data={"csrf": csrf_of(incoming.text), "reason_code": "no_staff", "note": "Ziekte"}
    )
    assert declined.headers["location"] == "/reserveringen?melding=afgewezen"
    decided = await web.get("/reserveringen")
    assert "Onvoldoende personeel" in decided.text
    assert "data-reservation=" not in decided.text

    sign_in(web, triagist)
    back = await web.get(f"/wachtrij/{referral_id}")
    assert 'data-status="searching"' in back.text
    assert "reservering afgewezen" in back.text
    assert "Reden: Onvoldoende personeel – Ziekte" in back.text
