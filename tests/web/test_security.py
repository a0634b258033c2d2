"""The pages as an attacker meets them: no state change on GET, forms only with their CSRF
token, no bearer token in any page, sign-out that ends the session for good, the browser's
address in the audit trail, and hostile addresses answered in Dutch."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from services.web.core import session as sessions
from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation
from tests.web.conftest import SessionCookie, csrf_of, sign_in
from tests.web.test_pages import PAGES_BY_ROLE

KENNEMERLAND = "ZK-KENNEMERLAND"


async def _claimed_referral(
    web: httpx.AsyncClient, client: httpx.AsyncClient, auth: TokenFactory
) -> str:
    """A GGZ crisis referral of Kennemerland, claimed through the pages by the triagist
    signed in on `web`."""
    practice = await create_organisation(client, auth, kind="gp")
    sent = await client.post(
        "/api/v1/referrals",
        json={
            "place_type": "GGZ_CRISIS",
            "urgency": "urgent",
            "region_code": KENNEMERLAND,
            "patient": {"birth_year": 1950, "sex": "male", "postcode": "2011"},
        },
        headers=auth("referrer", org=practice["id"]),
    )
    assert sent.status_code == 201, sent.text
    referral_id: str = sent.json()["id"]
    queue = await web.get("/wachtrij")
    claimed = await web.post(
        f"/wachtrij/{referral_id}/oppakken", data={"csrf": csrf_of(queue.text)}
    )
    assert claimed.status_code == 303
    return referral_id


async def _referral(client: httpx.AsyncClient, auth: TokenFactory, referral_id: str) -> Any:
    response = await client.get(
        f"/api/v1/referrals/{referral_id}", headers=auth("triagist", regions=[KENNEMERLAND])
    )
    assert response.status_code == 200
    return response.json()


async def test_a_cross_site_get_does_not_escalate_a_referral(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    sign_in(web, session_cookie("triagist", regions=[KENNEMERLAND]))
    referral_id = await _claimed_referral(web, client, auth)
    # A top-level link from another site carries the Lax session cookie.
    page = await web.get(
        f"/wachtrij/{referral_id}?bereik=bovenregionaal",
        headers={"Referer": "https://elders.example/", "Sec-Fetch-Site": "cross-site"},
    )
    assert page.status_code == 200
    assert (await _referral(client, auth, referral_id))["escalated_at"] is None
    assert "(eigen regio)" in page.text  # not yet widened: that takes the form below
    assert f'action="/wachtrij/{referral_id}/bovenregionaal"' in page.text


async def test_searching_supra_regionally_is_a_form_with_its_csrf_token(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    sign_in(web, session_cookie("triagist", regions=[KENNEMERLAND]))
    referral_id = await _claimed_referral(web, client, auth)
    url = f"/wachtrij/{referral_id}/bovenregionaal"
    forged = await web.post(url, data={"csrf": "van-elders"})
    assert forged.status_code == 403
    assert (await _referral(client, auth, referral_id))["escalated_at"] is None
    page = await web.get(f"/wachtrij/{referral_id}")
    widened = await web.post(url, data={"csrf": csrf_of(page.text)})
    assert widened.status_code == 303
    assert widened.headers["location"] == f"/wachtrij/{referral_id}?bereik=bovenregionaal"
    assert (await _referral(client, auth, referral_id))["escalated_at"] is not None
    wider = await web.get(widened.headers["location"])
    assert "(bovenregionaal)" in wider.text


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def test_an_unknown_address_is_a_dutch_page_for_a_browser(
    web: httpx.AsyncClient, session_cookie: SessionCookie
) -> None:
    for signed_in in (False, True):
        if signed_in:
            sign_in(web, session_cookie("referrer"))
        page = await web.get("/bestaat-niet", headers=BROWSER)
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert '<html lang="nl">' in page.text
        assert "Deze pagina bestaat niet" in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert ('href="/aanmelden"' in page.text) is signed_in  # the menu when signed in
    wrong_method = await web.get("/uitloggen", headers=BROWSER)
    assert wrong_method.status_code == 405
    assert '<html lang="nl">' in wrong_method.text


async def test_the_api_keeps_problem_json_for_unknown_addresses(web: httpx.AsyncClient) -> None:
    for path, headers, content_type in (
        ("/api/v1/bestaat-niet", BROWSER, "application/problem+json"),
        ("/fhir/bestaat-niet", BROWSER, "application/fhir+json"),  # an OperationOutcome
        ("/bestaat-niet", {"Accept": "application/json"}, "application/problem+json"),
        ("/bestaat-niet", {}, "application/problem+json"),
    ):
        response = await web.get(path, headers=headers)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == content_type, path


HOSTILE = ["²", "٣", "\x00", "%", "1e9", "-1", "<script>", "🙂" * 300]


@pytest.mark.slow
async def test_hostile_addresses_are_answered_in_dutch_never_500(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    organisation = await create_organisation(client, auth)
    pages = {
        "referrer": [
            "/plekken?afstand={v}",
            "/plekken?soort={v}&kenmerk={v}&verouderd={v}",
            "/aanmelden?soort={v}&locatie={v}",
            "/aanmeldingen/{v}",
            "/aanmeldingen?melding={v}",
        ],
        "triagist": [
            "/wachtrij/{v}",
            "/wachtrij/00000000-0000-0000-0000-000000000000?bereik={v}",
            "/regio?regio={v}",
        ],
        "provider": ["/locaties?melding={v}", "/reserveringen?status={v}"],
    }
    for role, templates in pages.items():
        sign_in(
            web,
            session_cookie(
                role, org=organisation["id"], regions=[KENNEMERLAND], practice=(52.38, 4.64)
            ),
        )
        for template in templates:
            for value in HOSTILE:
                url = template.replace("{v}", quote(value, safe=""))
                page = await web.get(url, headers=BROWSER)
                assert page.status_code < 500, (url, page.status_code)
                assert '<html lang="nl">' in page.text, url
                assert "<script>" not in page.text, url


async def test_hostile_numbers_in_forms_are_answered_beside_the_field(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    organisation = await create_organisation(client, auth)
    facility = await create_facility(client, auth, organisation["id"], place_types=["ELV_HOOG"])
    sign_in(web, session_cookie("provider", org=organisation["id"]))
    page = await web.get("/locaties")
    numbers = await web.post(
        f"/locaties/{facility['id']}/ELV_HOOG",
        data={"csrf": csrf_of(page.text), "staffed": "²", "occupied": "٣", "available": "1"},
    )
    assert numbers.status_code == 200
    assert numbers.text.count("Vul een heel getal van 0 of meer in.") == 2

    sign_in(web, session_cookie("referrer", org=organisation["id"]))
    form = await web.get("/aanmelden")
    key = re.search(r'name="key" value="([^"]+)"', form.text)
    assert key is not None
    sent = await web.post(
        "/aanmelden",
        data={
            "csrf": csrf_of(form.text),
            "key": key.group(1),
            "place_type": "GRZ",
            "region_code": KENNEMERLAND,
            "urgency": "urgent",
            "birth_year": "¹⁹⁴⁴",
            "sex": "female",
            "postcode": "2011",
        },
    )
    assert sent.status_code == 200
    assert "Vul een geboortejaar in tussen 1900" in sent.text


def _token_of(cookie: str, app: Any) -> str:
    session = sessions.decode(cookie, app.state.web_session_key)
    assert session is not None
    assert session.token
    return session.token


async def test_no_page_holds_the_bearer_token(
    web: httpx.AsyncClient, session_cookie: SessionCookie, app: Any
) -> None:
    for role, pages in PAGES_BY_ROLE.items():
        cookie = session_cookie(role, regions=[KENNEMERLAND])
        token = _token_of(cookie, app)
        sign_in(web, cookie)
        for path in pages:
            for headers in ({}, {"X-Zorgplek-Fragment": "1"}):
                page = await web.get(path, headers=headers)
                assert page.status_code == 200, path
                assert token not in page.text, path
                assert token.split(".")[1] not in page.text, path  # nor its claims
        assert 'data-stream="/live"' in (await web.get(pages[0])).text


async def test_the_live_stream_goes_through_the_page_service_with_the_cookie(
    web: httpx.AsyncClient, session_cookie: SessionCookie
) -> None:
    assert (await web.get("/live")).status_code == 401
    sign_in(web, session_cookie("referrer"))
    async with web.stream("GET", "/live") as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        first = await anext(stream.aiter_text())
        assert first.startswith("retry:")


async def test_signing_out_makes_the_cookie_and_the_token_useless(
    web: httpx.AsyncClient,
    session_cookie: SessionCookie,
    client: httpx.AsyncClient,
    app: Any,
) -> None:
    stolen = session_cookie("referrer")
    token = _token_of(stolen, app)
    sign_in(web, stolen)
    page = await web.get("/aanmeldingen")
    assert page.status_code == 200
    out = await web.post("/uitloggen", data={"csrf": csrf_of(page.text)})
    assert out.headers["location"] == "/inloggen?melding=uitgelogd"
    # Whoever copied the cookie or the token before signing out:
    sign_in(web, stolen)
    again = await web.get("/aanmeldingen")
    assert again.status_code == 303
    assert again.headers["location"].startswith("/inloggen")
    sign_in(web, stolen)
    assert (await web.get("/live")).status_code == 401
    api = await client.get("/api/v1/referrals", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401


async def test_demo_tokens_come_from_the_api_and_only_in_development(
    client: httpx.AsyncClient, settings: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(settings, "dev_login", True)  # env stays production
    assert (await client.get("/api/v1/demo/users")).status_code == 404
    refused = await client.post("/api/v1/demo/sign-in", json={"sub": "demo-triagist"})
    assert refused.status_code == 404
    monkeypatch.setattr(settings, "env", "development")
    users = (await client.get("/api/v1/demo/users")).json()["items"]
    assert "demo-triagist" in {u["sub"] for u in users}
    issued = await client.post("/api/v1/demo/sign-in", json={"sub": "demo-triagist"})
    token = issued.json()["token"]
    me = await client.get("/api/v1/session", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["roles"] == ["triagist"]
    unknown = await client.post("/api/v1/demo/sign-in", json={"sub": "iemand"})
    assert unknown.status_code == 404
