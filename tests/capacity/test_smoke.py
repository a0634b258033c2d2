from typing import Any

import httpx

from tests.conftest import TokenFactory
from tests.factories import place_with_free


async def test_provider_report_shows_in_search(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    facility = await place_with_free(client, auth, 2)
    response = await client.get(
        "/api/v1/availability", params={"place_type": "ELV_HOOG"}, headers=auth("referrer")
    )
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    assert [(i["facility"]["id"], i["free"]) for i in items] == [(facility["id"], 2)]


async def test_live_server_answers(live_url: str) -> None:
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{live_url}/readyz")).json()["status"] == "ready"
