"""API keys where the capacity service runs apart: notify (and triage) ask it who a key
stands for, as `zorgplek serve notify` does in a deployment."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.cli import components
from shared.app import create_app
from shared.errors import Unavailable
from shared.remote_keys import RemoteApiKeys
from shared.settings import Settings
from tests.conftest import TokenFactory, free_port, make_settings
from tests.factories import create_organisation

SUBSCRIPTION = {
    "channel": "email",
    "target": "planning@zorgbalans.nl",
    "event_types": ["capacity.available"],
}


@pytest.fixture
async def notify_alone(
    settings: Settings, database_url: str, live_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The notify service alone; capacity answers at `live_url` (settings.capacity_url)."""
    app = create_app(
        components(settings, ["notify"]), settings, database_url=database_url, run_loops=False
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://notify") as client:
            yield client


async def issue_key(client: httpx.AsyncClient, auth: TokenFactory, scopes: list[str]) -> Any:
    organisation = await create_organisation(client, auth)
    response = await client.post(
        f"/api/v1/organisations/{organisation['id']}/api-keys",
        json={"scopes": scopes, "label": "ECD"},
        headers=auth("admin"),
    )
    assert response.status_code == 201
    return response.json()


async def test_a_provider_system_subscribes_with_its_key_at_notify_alone(
    client: httpx.AsyncClient, auth: TokenFactory, notify_alone: httpx.AsyncClient
) -> None:
    key = await issue_key(client, auth, ["subscriptions:write", "events:read"])
    response = await notify_alone.post(
        "/api/v1/subscriptions",
        json=SUBSCRIPTION,
        headers={"Authorization": f"Bearer {key['key']}"},
    )
    assert response.status_code == 201, response.text
    unknown = await notify_alone.post(
        "/api/v1/subscriptions",
        json=SUBSCRIPTION,
        headers={"Authorization": "Bearer zpk_not-a-key"},
    )
    assert unknown.status_code == 401


async def test_a_key_without_the_scope_is_refused_at_notify_alone(
    client: httpx.AsyncClient, auth: TokenFactory, notify_alone: httpx.AsyncClient
) -> None:
    key = await issue_key(client, auth, ["capacity:write"])
    response = await notify_alone.post(
        "/api/v1/subscriptions",
        json=SUBSCRIPTION,
        headers={"Authorization": f"Bearer {key['key']}"},
    )
    assert response.status_code == 403


async def test_introspection_is_for_services_only(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    key = await issue_key(client, auth, ["capacity:write"])
    as_admin = await client.post(
        "/api/v1/api-keys/introspect", json={"key": key["key"]}, headers=auth("admin")
    )
    assert as_admin.status_code == 403
    as_service = await client.post(
        "/api/v1/api-keys/introspect", json={"key": key["key"]}, headers=auth("service")
    )
    assert as_service.json() == {
        "id": key["id"],
        "organisation_id": key["organisation_id"],
        "label": "ECD",
        "scopes": ["capacity:write"],
    }
    await client.delete(
        f"/api/v1/organisations/{key['organisation_id']}/api-keys/{key['id']}",
        headers=auth("admin"),
    )
    revoked = await client.post(
        "/api/v1/api-keys/introspect", json={"key": key["key"]}, headers=auth("service")
    )
    assert revoked.status_code == 404


async def test_capacity_unreachable_is_503(database_url: str) -> None:
    settings = make_settings(database_url, capacity_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(Unavailable):
        await RemoteApiKeys(settings)(None, "zpk_anything")  # type: ignore[arg-type]
