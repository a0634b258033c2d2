"""The pages as an attacker meets them: no state change on GET, forms only with their CSRF
token, no bearer token in any page, sign-out that ends the session for good, the browser's
address in the audit trail, and hostile addresses answered in Dutch."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import TokenFactory
from tests.factories import create_organisation
from tests.web.conftest import SessionCookie, csrf_of, sign_in

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
