"""Fresh by habit on the pages: how each number came in on the board and on Mijn locaties,
confirming every place type of a location in one click, and when to report again."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx

from tests.conftest import TokenFactory
from tests.factories import HAARLEM, create_facility, create_organisation, report
from tests.web.conftest import SessionCookie, csrf_of, sign_in


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
