"""The API's own description: `/openapi.json` for every app (all services on one port, and
each service alone) is a valid OpenAPI document, and `/docs` works without the internet."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from openapi_spec_validator import validate

from services.cli import SERVICES, components
from shared.app import create_app
from shared.settings import Settings

APPS = [None, *([name] for name in SERVICES)]
# A path each service's API describes; the pages (web) describe none.
OWN_PATH = {
    "capacity": "/api/v1/availability",
    "triage": "/api/v1/referrals",
    "notify": "/api/v1/stream",
    "web": None,
}


@pytest.fixture(params=APPS, ids=lambda names: "+".join(names) if names else "all")
def served(request: pytest.FixtureRequest) -> list[str]:
    """The services of one app: all (`zorgplek up`) or one (`zorgplek serve NAME`)."""
    names: list[str] | None = request.param
    return names or list(SERVICES)


@pytest.fixture
async def app_client(served: list[str], settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """That app; describing the API needs no database, so the app is not started."""
    app = create_app(components(settings, served), settings, database_url="unused://")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://zorgplek.test") as c:
        yield c


async def test_openapi_document_is_served_and_valid(
    app_client: httpx.AsyncClient, served: list[str]
) -> None:
    response = await app_client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    for name in served:
        path = OWN_PATH[name]
        assert path is None or path in document["paths"], (name, path)
    if served == ["web"]:
        assert document["paths"] == {}, "the pages are not part of the API"


async def test_the_stream_is_described_as_server_sent_events(settings: Settings) -> None:
    app = create_app(components(settings, ["notify"]), settings, database_url="unused://")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://zorgplek.test") as c:
        document = (await c.get("/openapi.json")).json()
    answers = document["paths"]["/api/v1/stream"]["get"]["responses"]
    assert "text/event-stream" in answers["200"]["content"]


REFERENCE = re.compile(r"""(?:src|href|url)\s*[=:(]\s*['"]?([^'")\s>]+)""")


async def test_docs_work_offline(app_client: httpx.AsyncClient) -> None:
    page = await app_client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE), (
        "the docs page names an outside host"
    )
    references = {ref for ref in REFERENCE.findall(html) if ref.startswith("/")}
    assert {r for r in references if r.endswith(".js")}, "no script referenced"
    assert {r for r in references if r.endswith(".css")}, "no style sheet referenced"
    for reference in references:
        answer = await app_client.get(reference)
        assert answer.status_code == 200, reference
        assert answer.content, reference


async def test_docs_assets_are_only_the_known_files(app_client: httpx.AsyncClient) -> None:
    for name in ("../__init__.py", "index.j2", "nothing.js"):
        response = await app_client.get(f"/docs/assets/{name}")
        assert response.status_code == 404, name


async def test_redoc_from_a_cdn_is_not_offered(app_client: httpx.AsyncClient) -> None:
    assert (await app_client.get("/redoc")).status_code == 404
