"""The care rules on the pages, with the clock moved to Saturday night: the board says from
when an office-hours location admits, matches show every location's features and list the
places the rules refuse last with the reason and no button, and a refused direct booking
says why beside the place instead of "no longer free"."""

from __future__ import annotations

import re
from datetime import datetime

import httpx

from services.web.core.render import when
from shared.care_rules import AMSTERDAM
from tests.conftest import Clock, TokenFactory
from tests.factories import HAARLEM, create_organisation, place_with_free
from tests.triage.helpers import actors, claim, submit
from tests.web.conftest import SessionCookie, csrf_of, sign_in

KENNEMERLAND = "ZK-KENNEMERLAND"
SATURDAY_NIGHT = datetime(2026, 12, 5, 2, 11, tzinfo=AMSTERDAM)
MONDAY_8 = datetime(2026, 12, 7, 8, 0, tzinfo=AMSTERDAM)
MEN_ONLY_REFUSAL = "Deze locatie neemt alleen mannen (mannenkamer) op; de cliënt is een vrouw."


def _row(html: str, attribute: str, facility_id: str) -> str:
    found = re.search(rf'<(tr|li)[^>]*{attribute}="{facility_id}".*?</\1>', html, re.S)
    assert found, facility_id
    return found.group(0)


async def test_the_board_says_from_when_an_office_hours_location_admits(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    clock: Clock,
) -> None:
    clock(SATURDAY_NIGHT)
    office = await place_with_free(
        client, auth, 2, name="Kantoor", admission_hours="office", features=["dementia"]
    )
    always = await place_with_free(client, auth, 2, name="Dag en nacht")
    sign_in(web, session_cookie("referrer", practice=HAARLEM))
    board = (await web.get("/plekken?soort=ELV_HOOG")).text
    office_row = _row(board, "data-facility", office["id"])
    assert f"opname vanaf {when(MONDAY_8)}</span>" in office_row
    assert '<span class="tag">Gesloten afdeling (PG)</span>' in office_row
    assert "opname alleen kantoortijden" in office_row
    assert "opname vanaf" not in _row(board, "data-facility", always["id"])


async def test_matches_show_features_and_list_refused_places_last_without_a_button(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    clock: Clock,
) -> None:
    clock(SATURDAY_NIGHT)
    men = await place_with_free(client, auth, 2, name="Mannenhuis", features=["male_only"])
    mixed = await place_with_free(client, auth, 1, name="Gemengd", features=["oxygen"])
    people = await actors(client, auth)
    referral = await submit(client, people.referrer)  # a woman
    await claim(client, referral["id"], people.triagist)
    sign_in(web, session_cookie("triagist", regions=[KENNEMERLAND], sub=people.triagist_sub))
    page = (await web.get(f"/wachtrij/{referral['id']}")).text
    order = re.findall(r'data-match="([^"]+)"', page)
    assert order == [mixed["id"], men["id"]]  # the refused one last
    refused = _row(page, "data-match", men["id"])
    assert "ineligible" in refused
    assert f'<span class="refusal" data-refusal>{MEN_ONLY_REFUSAL}</span>' in refused
    assert "Reserveren" not in refused
    assert '<span class="tag">Mannenkamer</span>' in refused
    proposed = _row(page, "data-match", mixed["id"])
    assert "Reserveren" in proposed
    assert '<span class="tag">Zuurstof</span>' in proposed


async def test_a_direct_booking_the_rules_refuse_says_why_beside_the_place(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    clock: Clock,
) -> None:
    clock(SATURDAY_NIGHT)
    office = await place_with_free(client, auth, 2, name="Kantoor", admission_hours="office")
    practice = await create_organisation(client, auth, kind="gp")
    sign_in(web, session_cookie("referrer", org=practice["id"], practice=HAARLEM))
    form = await web.get(f"/aanmelden?soort=ELV_HOOG&locatie={office['id']}")
    key = re.search(r'name="key" value="([^"]+)"', form.text)
    assert key is not None
    sent = await web.post(
        "/aanmelden",
        data={
            "csrf": csrf_of(form.text),
            "key": key.group(1),
            "facility_id": office["id"],
            "place_type": "ELV_HOOG",
            "region_code": KENNEMERLAND,
            "urgency": "acute",
            "birth_year": "1940",
            "sex": "male",
            "postcode": "2011",
        },
    )
    assert sent.status_code == 303
    assert sent.headers["location"].endswith("?melding=plek-regels")
    page = (await web.get(sent.headers["location"])).text
    assert '<p class="warning" role="status">De zorgregels laten deze plek niet toe' in page
    beside = _row(page, "data-match", office["id"])
    assert "Deze locatie neemt op vanaf ma 7 dec 08:00; de aanmelding moet uiterlijk" in beside
    assert "Reserveren" not in beside
    assert 'data-status="submitted"' in page  # nothing was reserved
