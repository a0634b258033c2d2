"""Contacts on the pages over HTTP: Mijn locaties flags a location without a phone number
and lets its own provider set the address, the admissions phone and a note — checked in
Dutch beside the field, stored normalised, shown as people write it — and nobody else."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation
from tests.web.conftest import SessionCookie, csrf_of, sign_in


async def _location(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, Any]:
    organisation = await create_organisation(client, auth, name="Zorggroep Duin")
    return await create_facility(client, auth, organisation["id"], name="Huize Duin")


async def _stored(client: httpx.AsyncClient, auth: TokenFactory, facility_id: str) -> Any:
    response = await client.get(f"/api/v1/facilities/{facility_id}", headers=auth("admin"))
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_provider_fills_in_a_missing_phone_number(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    facility = await _location(client, auth)
    sign_in(web, session_cookie("provider", org=facility["organisation_id"]))
    page = (await web.get("/locaties")).text
    assert "data-no-phone><strong>Geen telefoonnummer.</strong>" in page
    assert f'<details class="contact" id="contact-{facility["id"]}" open>' in page
    saved = await web.post(
        f"/locaties/{facility['id']}/contact",
        data={
            "csrf": csrf_of(page),
            "street": "Duinweg",
            "house_number": "12a",
            "phone": "023-531 2000",
            "contact_note": "Na 22:00 via de avonddienst",
        },
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/locaties?melding=opgeslagen#contact-{facility['id']}"
    stored = await _stored(client, auth, facility["id"])
    assert (stored["street"], stored["house_number"], stored["phone"]) == (
        "Duinweg",
        "12a",
        "+31235312000",
    )
    assert stored["contact_note"] == "Na 22:00 via de avonddienst"
    page = (await web.get("/locaties")).text
    assert "data-no-phone" not in page
    assert '<a href="tel:+31235312000">023 531 2000</a>' in page
    assert "Duinweg 12a, " in page
    assert 'value="023 531 2000"' in page  # the form shows it as it is written


async def test_a_wrong_phone_or_house_number_is_answered_in_dutch_and_nothing_changes(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    facility = await _location(client, auth)
    sign_in(web, session_cookie("provider", org=facility["organisation_id"]))
    csrf = csrf_of((await web.get("/locaties")).text)
    url = f"/locaties/{facility['id']}/contact"
    letters = await web.post(url, data={"csrf": csrf, "phone": "0800-ZORG"})
    assert letters.status_code == 200
    field = f"contact-{facility['id']}-phone"
    assert f'id="{field}-fout"><span class="visually-hidden">Fout: </span>Vul een Nederlands' in (
        letters.text
    )
    assert 'value="0800-ZORG"' in letters.text  # what was typed stays
    number = await web.post(
        url, data={"csrf": csrf, "house_number": "twaalf", "phone": "06 1234 5678"}
    )
    assert "Vul een huisnummer in zoals 12, 12a of 12-14." in number.text  # the API's check
    stored = await _stored(client, auth, facility["id"])
    assert (stored["phone"], stored["house_number"]) == (None, None)


async def test_only_the_locations_own_provider_changes_its_contacts(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    facility = await _location(client, auth)
    other = await create_organisation(client, auth, name="Zorggroep Anders")
    sign_in(web, session_cookie("provider", org=other["id"]))
    csrf = csrf_of((await web.get("/locaties")).text)
    refused = await web.post(
        f"/locaties/{facility['id']}/contact", data={"csrf": csrf, "phone": "023 531 2000"}
    )
    assert refused.status_code == 404
    assert "Dat lukte niet" in refused.text
    assert (await _stored(client, auth, facility["id"]))["phone"] is None
    sign_in(web, session_cookie("referrer"))
    denied = await web.post(f"/locaties/{facility['id']}/contact", data={"csrf": csrf})
    assert denied.status_code == 403
