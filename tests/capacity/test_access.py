"""Who may do what: 401 without a token, 403 for a role that may never, 404 for another
organisation's object. A table over roles × endpoints."""

from typing import Any

import httpx
import pytest

from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation, report, report_body

ROLES = ("referrer", "triagist", "provider", "admin", "viewer", "service")


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, Any]:
    mine = await create_organisation(client, auth, name="Eigen Zorggroep")
    other = await create_organisation(client, auth, name="Andere Zorggroep")
    facility = await create_facility(client, auth, mine["id"])
    await report(client, auth, facility)
    return {"mine": mine, "other": other, "facility": facility}


def caller(auth: TokenFactory, who: str, world: dict[str, Any]) -> dict[str, str]:
    """`provider` is the facility's own provider; `other-provider` another organisation's."""
    if who == "provider":
        return auth("provider", org=world["mine"]["id"])
    if who == "other-provider":
        return auth("provider", org=world["other"]["id"])
    return auth(who)


def request_for(endpoint: str, world: dict[str, Any]) -> tuple[str, str, Any]:
    facility = world["facility"]
    mine = world["mine"]["id"]
    base = f"/api/v1/facilities/{facility['id']}/capacity/ELV_HOOG"
    return {
        "report": ("PUT", base, report_body()),
        "history": ("GET", f"{base}/history", None),
        "create_key": (
            "POST",
            f"/api/v1/organisations/{mine}/api-keys",
            {"scopes": ["capacity:write"], "label": "ECD-koppeling"},
        ),
        "create_facility": (
            "POST",
            "/api/v1/facilities",
            {
                "organisation_id": mine,
                "name": "Nieuw",
                "city": "Haarlem",
                "postcode": "2011",
                "region_code": "ZK-KENNEMERLAND",
                "lat": 52.38,
                "lon": 4.64,
                "place_types": ["GRZ"],
            },
        ),
        "update_facility": (
            "PATCH",
            f"/api/v1/facilities/{facility['id']}",
            {"identifiers": [{"system": "https://ecd.example.nl/locaties", "value": "L-1"}]},
        ),
        "create_organisation": ("POST", "/api/v1/organisations", {"name": "Nieuw", "kind": "vvt"}),
        "search": ("GET", "/api/v1/availability?place_type=ELV_HOOG", None),
        "candidates": ("GET", "/api/v1/availability/candidates?place_type=ELV_HOOG", None),
        "summary": ("GET", "/api/v1/availability/summary", None),
        "regions": ("GET", "/api/v1/regions", None),
        "facility": ("GET", f"/api/v1/facilities/{facility['id']}", None),
        "hold": (
            "POST",
            "/api/v1/holds",
            {
                "facility_id": facility["id"],
                "place_type": "ELV_HOOG",
                "referral_id": "0b8f9d4e-7a43-4f4e-9a5c-2d2b8c3f6e11",
                "ttl_seconds": 60,
            },
        ),
    }[endpoint]


# endpoint: expected status per caller
MATRIX: dict[str, dict[str, int]] = {
    "report": {
        "referrer": 403,
        "triagist": 403,
        "provider": 200,
        "other-provider": 404,
        "admin": 403,
        "viewer": 403,
        "service": 403,
    },
    "history": {
        "referrer": 200,
        "triagist": 200,
        "provider": 200,
        "other-provider": 404,
        "admin": 200,
        "viewer": 403,
        "service": 403,
    },
    "create_key": {
        "referrer": 403,
        "triagist": 403,
        "provider": 201,
        "other-provider": 404,
        "admin": 201,
        "viewer": 403,
        "service": 403,
    },
    "create_facility": {
        "referrer": 403,
        "triagist": 403,
        "provider": 201,
        "other-provider": 404,
        "admin": 201,
        "viewer": 403,
        "service": 403,
    },
    "update_facility": {
        "referrer": 403,
        "triagist": 403,
        "provider": 200,
        "other-provider": 404,
        "admin": 200,
        "viewer": 403,
        "service": 403,
    },
    "create_organisation": {
        "referrer": 403,
        "triagist": 403,
        "provider": 403,
        "other-provider": 403,
        "admin": 201,
        "viewer": 403,
        "service": 403,
    },
    "search": {
        "referrer": 200,
        "triagist": 200,
        "provider": 200,
        "other-provider": 200,
        "admin": 200,
        "viewer": 403,
        "service": 200,
    },
    # Matching's unpaged read: for the triage service only.
    "candidates": {**dict.fromkeys((*ROLES, "other-provider"), 403), "service": 200},
    "summary": {
        "referrer": 200,
        "triagist": 200,
        "provider": 200,
        "other-provider": 200,
        "admin": 200,
        "viewer": 200,
        "service": 200,
    },
    "regions": dict.fromkeys((*ROLES, "other-provider"), 200),
    "facility": dict.fromkeys((*ROLES, "other-provider"), 200),
    "hold": {
        "referrer": 403,
        "triagist": 403,
        "provider": 403,
        "other-provider": 403,
        "admin": 403,
        "viewer": 403,
        "service": 201,
    },
}
CASES = [(endpoint, who, status) for endpoint, row in MATRIX.items() for who, status in row.items()]


@pytest.mark.parametrize(("endpoint", "who", "status"), CASES)
async def test_access(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    world: dict[str, Any],
    endpoint: str,
    who: str,
    status: int,
) -> None:
    method, path, body = request_for(endpoint, world)
    response = await client.request(method, path, json=body, headers=caller(auth, who, world))
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
async def test_no_token_is_401(
    client: httpx.AsyncClient, world: dict[str, Any], endpoint: str
) -> None:
    method, path, body = request_for(endpoint, world)
    response = await client.request(method, path, json=body)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["status"] == 401
