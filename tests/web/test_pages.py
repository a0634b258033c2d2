"""The pages over HTTP: sign-in, CSRF, the board, Mijn locaties, Regio, and errors in
Dutch. The browser tests beside this file cover live updates and the journey."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest

from services.capacity import demo
from services.web.core import session as sessions
from shared.settings import Settings
from tests.conftest import TokenFactory, free_port
from tests.factories import HAARLEM, create_facility, create_organisation, report
from tests.web.conftest import SessionCookie, csrf_of, csrf_of_cookie, sign_in

PAGES_BY_ROLE = {
    "referrer": ["/plekken", "/aanmelden", "/aanmeldingen"],
    "triagist": ["/wachtrij", "/plekken", "/regio"],
    "provider": ["/locaties", "/reserveringen"],
    "viewer": ["/regio"],
}


async def _provider_location(
    client: httpx.AsyncClient, auth: TokenFactory, **fields: Any
) -> dict[str, Any]:
    organisation = await create_organisation(client, auth)
    return await create_facility(client, auth, organisation["id"], **fields)


async def test_a_page_sends_a_stranger_to_sign_in(web: httpx.AsyncClient) -> None:
    response = await web.get("/plekken?soort=GRZ")
    assert response.status_code == 303
    assert response.headers["location"] == "/inloggen?terug=%2Fplekken%3Fsoort%3DGRZ"
    page = await web.get("/inloggen")
    assert page.status_code == 200
    assert '<html lang="nl">' in page.text
    assert "niet ingesteld" in page.text  # no dev sign-in, no OIDC in this configuration


async def test_the_session_cookie_is_httponly_and_lax(web: httpx.AsyncClient) -> None:
    response = await web.get("/inloggen")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{sessions.COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here; https sets it
    assert "default-src 'self'" in response.headers["content-security-policy"]


async def test_dev_login_signs_in_a_demo_user_of_each_role(
    web: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "env", "development")
    monkeypatch.setattr(settings, "dev_login", True)
    page = await web.get("/inloggen")
    for role in ("Verwijzer", "Triagist", "Zorgaanbieder", "Coördinator"):
        assert f">{role}</h3>" in page.text
    response = await web.post(
        "/inloggen/demo",
        data={"csrf": csrf_of(page.text), "sub": "demo-triagist", "terug": ""},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/wachtrij"
    home = await web.get("/")
    assert home.headers["location"] == "/wachtrij"


async def test_dev_login_is_refused_outside_development(
    web: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch, app: Any
) -> None:
    monkeypatch.setattr(settings, "dev_login", True)  # env stays production
    page = await web.get("/inloggen")
    assert "demogebruiker" not in page.text
    response = await web.post(
        "/inloggen/demo", data={"csrf": csrf_of_cookie(web, app), "sub": "demo-triagist"}
    )
    assert response.status_code == 400
    assert "staat hier uit" in response.text
    assert (await web.get("/plekken")).status_code == 303


async def test_a_form_without_its_csrf_token_is_refused(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    facility = await _provider_location(client, auth)
    sign_in(web, session_cookie("provider", org=facility["organisation_id"]))
    url = f"/locaties/{facility['id']}/ELV_HOOG"
    body = {"staffed": "5", "occupied": "2", "available": "3"}
    refused = await web.post(url, data={**body, "csrf": "wrong"})
    assert refused.status_code == 403
    assert "Formulier verlopen" in refused.text
    page = await web.get("/locaties")
    assert (await web.post(url, data={**body, "csrf": csrf_of(page.text)})).status_code == 303


async def test_each_role_reaches_its_pages_and_no_other(
    web: httpx.AsyncClient, session_cookie: SessionCookie
) -> None:
    for role, pages in PAGES_BY_ROLE.items():
        sign_in(web, session_cookie(role, regions=["ZK-KENNEMERLAND"]))
        home = await web.get("/")
        assert home.headers["location"] == pages[0]
        nav = (await web.get(pages[0])).text
        for path in pages:
            assert f'href="{path}"' in nav, (role, path)
        if role != "provider":
            denied = await web.get("/locaties")
            assert denied.status_code == 403
            assert "Geen toegang" in denied.text


async def test_the_board_shows_free_places_distance_and_stale_greyed(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    fresh = await _provider_location(client, auth, name="Hof Fris", place_types=["ELV_HOOG"])
    await report(client, auth, fresh, "ELV_HOOG", staffed=10, occupied=6, available=3)
    old = await _provider_location(
        client, auth, name="Huize Oud", place_types=["GRZ"], lat=52.45, lon=4.61
    )
    await report(
        client, auth, old, "GRZ", staffed=8, occupied=6, available=2, age=timedelta(hours=13)
    )
    sign_in(web, session_cookie("referrer", practice=HAARLEM))
    page = (await web.get("/plekken")).text
    rows = re.findall(r"<tr class=\"(stale)?\" data-facility=\"([^\"]+)\"", page)
    assert rows == [("", fresh["id"]), ("stale", old["id"])]  # nearest first
    assert "verouderd</span>" in page
    assert "0,0 km" in page
    assert "13 uur geleden" in page
    # ELV may be booked directly by a referrer; GRZ goes through triage.
    assert page.count("/aanmelden?soort=") == 1
    assert f"/aanmelden?soort=ELV_HOOG&amp;locatie={fresh['id']}" in page
    hidden = (await web.get("/plekken?verouderd=verbergen&soort=GRZ")).text
    assert old["id"] not in hidden
    assert "Geen vrije plekken" in hidden


async def test_the_board_answers_a_wrong_filter_in_dutch(
    web: httpx.AsyncClient, session_cookie: SessionCookie
) -> None:
    sign_in(web, session_cookie("referrer"))
    page = await web.get("/plekken?soort=BESTAAT_NIET&afstand=10&kenmerk=vleugels")
    assert page.status_code == 200
    assert "Kies een soort plek uit de lijst." in page.text
    assert "De locatie van uw praktijk is niet bekend." in page.text
    assert "Kies kenmerken uit de lijst." in page.text
    assert 'aria-invalid="true"' in page.text


async def test_a_live_update_fetches_only_the_live_block(
    web: httpx.AsyncClient, session_cookie: SessionCookie
) -> None:
    sign_in(web, session_cookie("referrer"))
    fragment = await web.get("/plekken", headers={"X-Zorgplek-Fragment": "1"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div class="table-wrap"')
    assert "<html" not in fragment.text


async def test_a_provider_updates_numbers_and_sees_dutch_errors_beside_the_field(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    facility = await _provider_location(client, auth, name="De Linde", place_types=["ELV_LAAG"])
    sign_in(web, session_cookie("provider", org=facility["organisation_id"]))
    page = await web.get("/locaties")
    assert "De Linde" in page.text
    assert "nog nooit gemeld" in page.text
    url = f"/locaties/{facility['id']}/ELV_LAAG"
    csrf = csrf_of(page.text)
    wrong = await web.post(
        url, data={"csrf": csrf, "staffed": "4", "occupied": "3", "available": "2"}
    )
    assert wrong.status_code == 200  # the form again, with the message beside the field
    field_id = f"cap-{facility['id']}-ELV_LAAG-available"
    assert f'id="{field_id}-fout"' in wrong.text
    assert "Bezet (3) plus vrij (2) is meer dan bemand (4)." in wrong.text
    assert re.search(
        rf'\srequired aria-invalid="true" aria-describedby="{field_id}-fout"', wrong.text
    )
    assert "{" not in wrong.text.split("<main", 1)[1].split("</main>")[0]  # never raw JSON
    typo = await web.post(
        url, data={"csrf": csrf, "staffed": "vier", "occupied": "", "available": "1"}
    )
    assert "Vul een heel getal van 0 of meer in." in typo.text
    assert "Vul een aantal in." in typo.text
    saved = await web.post(
        url,
        data={
            "csrf": csrf,
            "staffed": "6",
            "occupied": "3",
            "available": "2",
            "expected_available_24h": "1",
        },
    )
    assert saved.status_code == 303
    assert (
        saved.headers["location"] == f"/locaties?melding=opgeslagen#cap-{facility['id']}-ELV_LAAG"
    )
    state = await client.get(
        f"/api/v1/facilities/{facility['id']}/capacity",
        headers=auth("provider", org=facility["organisation_id"]),
    )
    assert [(s["place_type"], s["available"], s["staffed"]) for s in state.json()["items"]] == [
        ("ELV_LAAG", 2, 6)
    ]
    after = await web.get("/locaties?melding=opgeslagen")
    assert "Opgeslagen." in after.text
    assert "zojuist" in after.text


async def test_an_api_refusal_reads_as_dutch_never_json(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    other = await _provider_location(client, auth)
    mine = await create_organisation(client, auth)
    sign_in(web, session_cookie("provider", org=mine["id"]))
    page = await web.get("/locaties")
    response = await web.post(
        f"/locaties/{other['id']}/ELV_HOOG",
        data={"csrf": csrf_of(page.text), "staffed": "5", "occupied": "1", "available": "1"},
    )
    assert response.status_code == 404
    assert "niet zichtbaar voor uw organisatie" in response.text
    assert "problem" not in response.text
    assert '"detail"' not in response.text


async def test_the_region_page_shows_counts_and_a_chart_per_place_type(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    facility = await _provider_location(client, auth, place_types=["WLZ_CRISIS"])
    await report(
        client,
        auth,
        facility,
        "WLZ_CRISIS",
        staffed=6,
        occupied=2,
        available=4,
        age=timedelta(hours=3),
    )
    await report(client, auth, facility, "WLZ_CRISIS", staffed=6, occupied=3, available=3)
    sign_in(web, session_cookie("viewer", regions=["ZK-KENNEMERLAND"]))
    page = await web.get("/regio")
    assert page.status_code == 200
    assert "Regio: Kennemerland" in page.text
    assert '<span class="big">3</span>' in page.text
    svg = page.text.split("<figcaption>Wlz-crisisopname</figcaption>", 1)[1].split("</svg>")[0]
    assert 'role="img"' in svg
    assert "nu 3 vrij" in svg
    assert "hoogstens 4" in svg
    assert "<polyline" in svg


@pytest.mark.slow
async def test_every_page_renders_with_the_demo_data(
    web: httpx.AsyncClient, session_cookie: SessionCookie, app: Any, settings: Settings
) -> None:
    async with app.state.database.sessions.begin() as session:
        await demo.load(session, settings)
    for user in demo.users():
        if user.role not in PAGES_BY_ROLE:
            continue
        sign_in(web, session_cookie(user.role, org=user.organisation_id, regions=user.regions))
        for path in PAGES_BY_ROLE[user.role]:
            response = await web.get(path)
            assert response.status_code == 200, (path, response.text[:300])
            assert unknown_attributes(response.text) == set(), path


KNOWN_ATTRIBUTES = frozenset(
    "id class href type name value method action for role tabindex lang charset content rel "
    "src defer viewbox xmlns x1 x2 y1 y2 x y text-anchor points cx cy r fill colspan scope "
    "datetime selected checked disabled required min max step maxlength inputmode "
    "autocomplete novalidate title hidden open".split()
)


def unknown_attributes(html: str) -> set[str]:
    """Attribute names no page should have (e.g. two run together by a template)."""
    found: set[str] = set()

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.update(name for name, _ in attrs)

    Collector().feed(html)
    return {n for n in found if n not in KNOWN_ATTRIBUTES and not n.startswith(("aria-", "data-"))}


async def test_over_https_the_session_cookie_is_secure(web: httpx.AsyncClient) -> None:
    response = await web.get("/inloggen", headers={"X-Forwarded-Proto": "https"})
    assert "; Secure" in response.headers["set-cookie"]


async def test_an_unreachable_api_reads_as_dutch(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sign_in(web, session_cookie("referrer"))
    monkeypatch.setattr(settings, "api_url", f"http://127.0.0.1:{free_port()}")
    page = await web.get("/plekken")
    assert page.status_code == 502
    assert "Zorgplek is even niet bereikbaar" in page.text
    assert '<html lang="nl">' in page.text


def test_the_session_key_needs_a_strong_secret_or_the_jwt_secret(settings: Settings) -> None:
    assert len(sessions.session_key(settings)) == 32  # derived from the JWT secret
    weak = settings.model_copy(update={"session_secret": "kort"})
    with pytest.raises(ValueError, match="at least 32 bytes"):
        sessions.session_key(weak)
    oidc_only = settings.model_copy(update={"jwt_secret": None, "oidc_issuer": "https://idp"})
    with pytest.raises(ValueError, match="ZORGPLEK_SESSION_SECRET is required"):
        sessions.session_key(oidc_only)
    strong = oidc_only.model_copy(update={"session_secret": "s" * 40})
    assert sessions.session_key(strong) != sessions.session_key(settings)
