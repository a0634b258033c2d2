"""Hostile input to the capacity service: every answer a 4xx problem+json naming the field,
never a 500. Numbers beyond what the database holds, forged cursors, dates in year 1 or 9999,
text the database cannot store or that forges lines, and tokens without a role."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest

from tests.conftest import SECRET, TokenFactory
from tests.factories import create_facility, create_organisation, report_body

HUGE = "100000000000000000000"  # 1e20: more than a BIGINT holds


@pytest.fixture
async def raw(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sees a crash as the 500 a real client gets, not as an exception."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://zorgplek.test") as c:
        yield c


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, Any]:
    organisation = await create_organisation(client, auth)
    facility = await create_facility(client, auth, organisation["id"])
    return {"organisation": organisation, "facility": facility}


def cursor(*parts: str) -> str:
    """A cursor as a client could forge one: base64 of a JSON list of strings."""
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


def assert_names(response: httpx.Response, loc: list[str], status: int = 422) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in [e["loc"] for e in response.json()["errors"]], response.text


def roleless(roles: list[str]) -> dict[str, str]:
    """A correctly signed token whose roles Zorgplek does not know (or that has none)."""
    now = int(time.time())
    claims = {
        "sub": "zonder-rol",
        "name": "Zonder rol",
        "org": None,
        "roles": roles,
        "regions": [],
        "iss": "zorgplek",
        "aud": "zorgplek",
        "iat": now,
        "exp": now + 600,
    }
    return {"Authorization": f"Bearer {jwt.encode(claims, SECRET, algorithm='HS256')}"}


READS = [
    "/api/v1/organisations",
    "/api/v1/organisations/{organisation}",
    "/api/v1/facilities",
    "/api/v1/facilities/{facility}",
    "/api/v1/regions",
    "/api/v1/place-types",
    "/api/v1/features",
    "/api/v1/availability/summary",
    "/api/v1/availability/history",
]


@pytest.mark.parametrize("roles", [[], ["patient"]], ids=["no-roles", "unknown-role"])
@pytest.mark.parametrize("path", READS)
async def test_a_token_without_a_role_reads_nothing(
    client: httpx.AsyncClient, world: dict[str, Any], path: str, roles: list[str]
) -> None:
    url = path.format(organisation=world["organisation"]["id"], facility=world["facility"]["id"])
    response = await client.get(url, headers=roleless(roles))
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        pytest.param({"min_free": HUGE}, ["query", "min_free"], id="min_free-1e20"),
        pytest.param({"min_free": "1e20"}, ["query", "min_free"], id="min_free-exponent"),
        pytest.param({"min_free": "100001"}, ["query", "min_free"], id="min_free-above-max"),
        pytest.param({"min_free": "-1"}, ["query", "min_free"], id="min_free-negative"),
        pytest.param({"limit": HUGE}, ["query", "limit"], id="limit-1e20"),
        pytest.param({"radius_km": "nan", "near": "52.4,4.6"}, ["query", "radius_km"], id="nan"),
        pytest.param({"near": "1e400,4.6"}, ["query", "near"], id="near-infinite"),
        pytest.param({"cursor": cursor(HUGE)}, ["query", "cursor"], id="cursor-offset-1e20"),
        pytest.param({"cursor": cursor("-1")}, ["query", "cursor"], id="cursor-offset-negative"),
        pytest.param({"cursor": cursor("1e20")}, ["query", "cursor"], id="cursor-offset-float"),
        pytest.param({"cursor": "A" * 5000}, ["query", "cursor"], id="cursor-too-long"),
        pytest.param(
            {"due_at": "0001-01-01T00:00:00+01:00"}, ["query", "due_at"], id="due_at-year-1"
        ),
        pytest.param(
            {"due_at": "9999-12-31T23:59:59-05:00"}, ["query", "due_at"], id="due_at-year-9999"
        ),
    ],
)
async def test_search_parameters_are_range_checked(
    raw: httpx.AsyncClient,
    auth: TokenFactory,
    world: dict[str, Any],
    params: dict[str, str],
    loc: list[str],
) -> None:
    response = await raw.get(
        "/api/v1/availability", params={"place_type": "ELV_HOOG", **params}, headers=auth("admin")
    )
    assert_names(response, loc)


async def test_history_days_are_range_checked(
    raw: httpx.AsyncClient, auth: TokenFactory, world: dict[str, Any]
) -> None:
    response = await raw.get(
        "/api/v1/availability/history", params={"days": HUGE}, headers=auth("viewer")
    )
    assert_names(response, ["query", "days"])


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        pytest.param({"since": "0001-01-01T00:00:00+01:00"}, ["query", "since"], id="since-1"),
        pytest.param({"since": "0001-01-01T00:00:00Z"}, ["query", "since"], id="since-1-utc"),
        pytest.param({"until": "9999-12-31T23:59:59-05:00"}, ["query", "until"], id="until-9999"),
        pytest.param({"until": "9999-12-31T23:59:59Z"}, ["query", "until"], id="until-9999-utc"),
        pytest.param(
            {"cursor": cursor("2026-11-22T10:00:00+00:00", HUGE)},
            ["query", "cursor"],
            id="cursor-id-1e20",
        ),
        pytest.param(
            {"cursor": cursor("9999-12-31T23:59:59", "1")}, ["query", "cursor"], id="cursor-9999"
        ),
        pytest.param(
            {"cursor": cursor("0001-01-01T00:00:00+01:00", "1")},
            ["query", "cursor"],
            id="cursor-year-1",
        ),
    ],
)
async def test_history_dates_and_cursors_are_range_checked(
    raw: httpx.AsyncClient,
    auth: TokenFactory,
    world: dict[str, Any],
    params: dict[str, str],
    loc: list[str],
) -> None:
    url = f"/api/v1/facilities/{world['facility']['id']}/capacity/ELV_HOOG/history"
    response = await raw.get(url, params=params, headers=auth("admin"))
    assert_names(response, loc)


@pytest.mark.parametrize(
    "path", ["/api/v1/facilities", "/api/v1/organisations"], ids=["facilities", "organisations"]
)
@pytest.mark.parametrize(
    "name",
    ["Locatie\x00", "Locatie\ud800", "Locatie\nB"],
    ids=["nul", "lone-surrogate", "line-feed"],
)
async def test_list_cursors_with_unstorable_text_are_refused(
    raw: httpx.AsyncClient, auth: TokenFactory, world: dict[str, Any], path: str, name: str
) -> None:
    forged = cursor(name, "6f1d5b0e-3c1e-4f7a-9a55-1b2c3d4e5f60")
    response = await raw.get(path, params={"cursor": forged}, headers=auth("admin"))
    assert_names(response, ["query", "cursor"])


@pytest.mark.parametrize(
    "observed_at",
    [
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:00:00Z",
        "1999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-05:00",
    ],
)
async def test_observed_at_is_range_checked(
    raw: httpx.AsyncClient, auth: TokenFactory, world: dict[str, Any], observed_at: str
) -> None:
    facility = world["facility"]
    headers = auth("provider", org=facility["organisation_id"])
    response = await raw.put(
        f"/api/v1/facilities/{facility['id']}/capacity/ELV_HOOG",
        json=report_body(observed_at=observed_at),
        headers=headers,
    )
    assert_names(response, ["body", "observed_at"])
    batch = await raw.post(
        "/api/v1/capacity-reports",
        json={
            "reports": [
                {
                    "facility_id": facility["id"],
                    "place_type": "ELV_HOOG",
                    **report_body(observed_at=observed_at),
                }
            ]
        },
        headers=headers,
    )
    assert batch.status_code == 200, batch.text
    [row] = batch.json()["results"]
    assert row["row"] == 1
    assert ["observed_at"] in [e["loc"] for e in row["errors"]]


BAD_TEXT = [
    pytest.param("Zorg\x00huis", id="nul"),
    pytest.param("Zorg\ud800huis", id="lone-surrogate"),
    pytest.param("Zorg\r\nhuis", id="crlf"),
    pytest.param("Zorg\nhuis", id="lf"),
    pytest.param("Zorg\x1b[31mhuis", id="escape"),
]


def json_body(body: dict[str, Any]) -> bytes:
    """JSON as a hostile client writes it: a lone surrogate escaped as `\\ud800`."""
    return json.dumps(body).encode()


@pytest.mark.parametrize("text", BAD_TEXT)
@pytest.mark.parametrize("field", ["name", "city"])
async def test_organisation_text_is_checked(
    raw: httpx.AsyncClient, auth: TokenFactory, field: str, text: str
) -> None:
    body = {"name": "Zorggroep", "kind": "vvt", field: text}
    response = await raw.post(
        "/api/v1/organisations",
        content=json_body(body),
        headers={**auth("admin"), "content-type": "application/json"},
    )
    assert_names(response, ["body", field])


@pytest.mark.parametrize("text", BAD_TEXT)
@pytest.mark.parametrize("field", ["name", "city"])
async def test_facility_text_is_checked(
    raw: httpx.AsyncClient, auth: TokenFactory, world: dict[str, Any], field: str, text: str
) -> None:
    body = {
        "organisation_id": world["organisation"]["id"],
        "name": "Locatie",
        "city": "Haarlem",
        "postcode": "2011",
        "region_code": "ZK-KENNEMERLAND",
        "lat": 52.38,
        "lon": 4.64,
        "place_types": ["GRZ"],
        field: text,
    }
    response = await raw.post(
        "/api/v1/facilities",
        content=json_body(body),
        headers={**auth("admin"), "content-type": "application/json"},
    )
    assert_names(response, ["body", field])


@pytest.mark.parametrize("text", BAD_TEXT)
async def test_api_key_label_is_checked(
    raw: httpx.AsyncClient, auth: TokenFactory, world: dict[str, Any], text: str
) -> None:
    organisation = world["organisation"]["id"]
    response = await raw.post(
        f"/api/v1/organisations/{organisation}/api-keys",
        content=json_body({"scopes": ["capacity:write"], "label": text}),
        headers={**auth("admin"), "content-type": "application/json"},
    )
    assert_names(response, ["body", "label"])


@pytest.mark.parametrize("text", ["zpk_\x00", "zpk_\ud800"], ids=["nul", "lone-surrogate"])
async def test_introspected_key_is_checked(
    raw: httpx.AsyncClient, auth: TokenFactory, text: str
) -> None:
    response = await raw.post(
        "/api/v1/api-keys/introspect",
        content=json_body({"key": text}),
        headers={**auth("service"), "content-type": "application/json"},
    )
    assert_names(response, ["body", "key"])


async def test_a_json_batch_with_hostile_names_and_values_answers_per_row(
    raw: httpx.AsyncClient, auth: TokenFactory, world: dict[str, Any]
) -> None:
    facility = world["facility"]
    good = {"facility_id": facility["id"], "place_type": "ELV_HOOG", **report_body()}
    rows = [
        {**good, "place_type": "ELV\x00HOOG"},
        {**good, "\ud800": 1},
        {**good, "facility_id": "\ud800"},
        good,
    ]
    response = await raw.post(
        "/api/v1/capacity-reports",
        content=json_body({"reports": rows}),
        headers={
            **auth("provider", org=facility["organisation_id"]),
            "content-type": "application/json",
        },
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r.get("row") for r in results[:3]] == [1, 2, 3]
    assert all(r["errors"] for r in results[:3])
    assert results[3]["applied"] is True


async def test_a_200_kb_csv_field_is_refused_naming_its_row(
    raw: httpx.AsyncClient, auth: TokenFactory, world: dict[str, Any]
) -> None:
    facility = world["facility"]
    observed = report_body()["observed_at"]
    csv_text = (
        "facility_id,place_type,staffed,occupied,available,observed_at\n"
        f"{facility['id']},ELV_HOOG,10,5,3,{observed}\n"
        f"{'x' * 200_000},ELV_HOOG,10,5,3,{observed}\n"
    )
    response = await raw.post(
        "/api/v1/capacity-reports",
        content=csv_text.encode(),
        headers={
            **auth("provider", org=facility["organisation_id"]),
            "content-type": "text/csv",
        },
    )
    assert response.status_code in (413, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert ["body", "row", "2"] in [e["loc"] for e in response.json()["errors"]]


async def test_nul_in_a_csv_cell_is_refused_for_that_row(
    raw: httpx.AsyncClient, auth: TokenFactory, world: dict[str, Any]
) -> None:
    facility = world["facility"]
    observed = report_body()["observed_at"]
    csv_text = (
        "facility_id,place_type,staffed,occupied,available,observed_at\n"
        f"{facility['id']},ELV\x00HOOG,10,5,3,{observed}\n"
        f"{facility['id']},ELV_HOOG,10,5,3,{observed}\n"
    )
    response = await raw.post(
        "/api/v1/capacity-reports",
        content=csv_text.encode(),
        headers={
            **auth("provider", org=facility["organisation_id"]),
            "content-type": "text/csv",
        },
    )
    assert response.status_code == 200, response.text
    first, second = response.json()["results"]
    assert first["row"] == 1
    assert ["place_type"] in [e["loc"] for e in first["errors"]]
    assert second["applied"] is True
