"""No value from a request ever reaches a log line, and text the database cannot store is
refused by name. A marker string is sent through every failure path; the log, as the
running service writes it, must not contain it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.cli import components
from shared.app import KERNEL_MIGRATIONS, Component, create_app
from shared.auth import issue_token
from shared.observability import configure_logging
from shared.settings import Settings
from tests.conftest import TokenFactory, make_settings
from tests.factories import create_facility, create_organisation
from tests.tcp_proxy import Proxy
from tests.triage.helpers import referral_body

MARKER = "Zorgvlinder-7359"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Every log line of the process, written as `zorgplek serve` writes them, at DEBUG."""
    buffer = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("DEBUG", stream=buffer)
    try:
        yield buffer
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def assert_no_marker(log_output: io.StringIO) -> None:
    lines = log_output.getvalue()
    assert lines, "nothing was logged at all: the capture does not work"
    assert MARKER not in lines


@pytest.fixture
async def raw(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client that gets a crash as the 500 a real client gets, not as an exception."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://zorgplek.test") as c:
        yield c


def gp(settings: Settings, org: str) -> dict[str, str]:
    """A GP whose name is the marker: it goes into every statement the referral makes."""
    token = issue_token(
        settings, sub="gp-marker", name=f"Dr. {MARKER}", roles=["referrer"], org=org
    )
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("notes", "why"),
    [
        (f"{MARKER} valt vaak\x00", "NUL"),
        (f"{MARKER} valt vaak\ud800", "unpaired surrogate"),
        (f"{MARKER}\x1b[2J", "terminal escape"),
        (f"{MARKER}\x85", "C1 control"),
    ],
)
async def test_invalid_text_in_notes_is_422_and_logs_nothing_of_the_referral(
    raw: httpx.AsyncClient,
    auth: TokenFactory,
    settings: Settings,
    log_output: io.StringIO,
    notes: str,
    why: str,
) -> None:
    practice = await create_organisation(raw, auth, kind="gp")
    body = referral_body(
        notes=notes, patient={"birth_year": 1937, "sex": "female", "postcode": "2011"}
    )
    # Escaped as JSON allows (\\ud800), as a hostile client would send it.
    response = await raw.post(
        "/api/v1/referrals",
        content=json.dumps(body),
        headers={**gp(settings, practice["id"]), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, (why, response.text)
    assert response.json()["errors"][0]["loc"] == ["body", "notes"]
    assert MARKER not in response.text
    assert_no_marker(log_output)


async def test_multi_line_text_keeps_its_lines(
    raw: httpx.AsyncClient, auth: TokenFactory, settings: Settings
) -> None:
    practice = await create_organisation(raw, auth, kind="gp")
    body = referral_body(notes="Valt vaak.\r\nWoont alleen.\tMantelzorg: dochter.")
    response = await raw.post("/api/v1/referrals", json=body, headers=gp(settings, practice["id"]))
    assert response.status_code == 201, response.text
    assert response.json()["notes"] == "Valt vaak.\nWoont alleen.\tMantelzorg: dochter."


async def test_invalid_text_is_refused_in_every_service(
    raw: httpx.AsyncClient, auth: TokenFactory, log_output: io.StringIO
) -> None:
    organisation = await create_organisation(raw, auth)
    org = organisation["id"]
    cases = [
        (
            f"/api/v1/organisations/{org}/api-keys",
            {"scopes": ["capacity:write"], "label": f"ECD {MARKER}\x00"},
            ["body", "label"],
        ),
        (
            "/api/v1/subscriptions",
            {
                "channel": "email",
                "target": f"{MARKER}\x00@praktijk.nl",
                "event_types": ["capacity.available"],
            },
            ["body", "target"],
        ),
        (
            "/api/v1/organisations",
            {"name": f"Zorggroep\r\nX-Forged: {MARKER}", "kind": "vvt"},
            ["body", "name"],
        ),
    ]
    for path, body, loc in cases:
        response = await raw.post(path, json=body, headers=auth("admin", org=org))
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][0]["loc"] == loc
    facility = await raw.post(
        "/api/v1/facilities",
        json={
            "organisation_id": org,
            "name": "Hof van Leyden",
            "city": "Heemstede",
            "postcode": "2101",
            "region_code": "ZK-KENNEMERLAND",
            "lat": 52.35,
            "lon": 4.62,
            "place_types": ["ELV_HOOG"],
            "identifiers": [{"system": "urn:oid:2.16.528.1.1007.3.3", "value": f"{MARKER}\x00"}],
        },
        headers=auth("admin"),
    )
    assert facility.status_code == 422, facility.text
    assert facility.json()["errors"][0]["loc"][:2] == ["body", "identifiers"]
    assert (await create_facility(raw, auth, org))["id"]
    assert_no_marker(log_output)


async def test_invalid_text_in_query_and_path_is_422_by_name(
    raw: httpx.AsyncClient, auth: TokenFactory, log_output: io.StringIO
) -> None:
    response = await raw.get(
        "/api/v1/facilities", params={"region_code": f"{MARKER}\x00"}, headers=auth("referrer")
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["query", "region_code"]
    response = await raw.get(f"/api/v1/facilities/{MARKER}%00", headers=auth("referrer"))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["path", "facility_id"]
    unknown = await raw.get(f"/api/v1/{MARKER}", headers=auth("referrer"))
    assert unknown.status_code == 404
    assert_no_marker(log_output)


async def test_the_engines_never_put_parameters_in_an_error(app: Any) -> None:
    database = app.state.database
    for engine in (database.engine, database.read_engine):
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as raised:
                await conn.execute(text("SELECT CAST(:v AS text)"), {"v": f"{MARKER}\x00"})
        assert MARKER not in str(raised.value)


def _crashing_component() -> Component:
    router = APIRouter()

    @router.get("/crash")
    async def crash() -> None:
        try:
            raise KeyError(f"{MARKER} (a lookup that quotes its key)")
        except KeyError as exc:
            raise RuntimeError(f"could not handle {MARKER}") from exc

    return Component(name="crashing", routers=[router], migrations=KERNEL_MIGRATIONS)


async def test_a_crash_is_logged_by_type_route_and_request_id_only(
    settings: Settings, database_url: str, log_output: io.StringIO
) -> None:
    crashing = create_app([_crashing_component()], settings, database_url=database_url)
    async with crashing.router.lifespan_context(crashing):
        transport = httpx.ASGITransport(app=crashing, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://x.test") as http:
            response = await http.get("/crash")
    assert response.status_code == 500
    assert MARKER not in response.text
    assert_no_marker(log_output)
    crash_lines = [line for line in log_output.getvalue().splitlines() if "unhandled error" in line]
    [line] = crash_lines
    assert '"route": "/crash"' in line
    assert '"error": "RuntimeError"' in line
    assert f'"request_id": "{response.headers["x-request-id"]}"' in line
    assert "builtins.KeyError" in line  # where and what kind, never what it said
    assert "builtins.RuntimeError" in line


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[Proxy]:
    result = Proxy(database_url)
    await result.start()
    yield result
    await result.stop()


@pytest.fixture
async def behind_proxy(database_url: str, live_url: str, proxy: Proxy) -> AsyncIterator[FastAPI]:
    """Every service, reaching PostgreSQL through a proxy the test can cut."""
    settings = make_settings(database_url, capacity_url=live_url)
    application = create_app(
        components(settings), settings, database_url=proxy.url, run_loops=False
    )
    async with application.router.lifespan_context(application):
        yield application


async def test_a_database_outage_is_503_with_retry_after_and_logs_nothing_personal(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    settings: Settings,
    behind_proxy: FastAPI,
    proxy: Proxy,
    log_output: io.StringIO,
) -> None:
    practice = await create_organisation(client, auth, kind="gp")
    headers = gp(settings, practice["id"])
    transport = httpx.ASGITransport(app=behind_proxy, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://x.test") as http:
        before = await http.get("/api/v1/referrals", headers=headers)
        assert before.status_code == 200, before.text  # a pooled connection exists now

        proxy.cut()
        body = referral_body(notes=f"{MARKER}: valt vaak")
        for _ in range(2):  # the pooled connection that died, then a new one refused
            response = await http.post("/api/v1/referrals", json=body, headers=headers)
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert int(response.headers["retry-after"]) > 0
        listed = await http.get("/api/v1/referrals", headers=headers)
        assert listed.status_code == 503, listed.text
        assert (await http.get("/readyz")).status_code == 503

        proxy.restore()
        after = await http.post("/api/v1/referrals", json=body, headers=headers)
        assert after.status_code == 201, after.text
    assert_no_marker(log_output)
