"""Mijn locaties: the provider's locations with the current numbers of each place type."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from services.web.core.api import Api


@dataclass(frozen=True, slots=True)
class Location:
    facility: dict[str, Any]
    states: dict[str, dict[str, Any]]  # by place type; absent when never reported


async def locations(api: Api, organisation_id: str) -> list[Location]:
    """Every location of the organisation, each with its current numbers."""
    page = await api.get(
        "/api/v1/facilities", params={"organisation_id": organisation_id, "limit": 500}
    )
    facilities: list[dict[str, Any]] = page["items"]
    states = await asyncio.gather(
        *(api.get(f"/api/v1/facilities/{f['id']}/capacity") for f in facilities)
    )
    return [
        Location(facility, {s["place_type"]: s for s in state["items"]})
        for facility, state in zip(facilities, states, strict=True)
    ]


async def report(api: Api, facility_id: str, place_type: str, body: dict[str, Any]) -> Any:
    """Report one place type's numbers now."""
    return await api.put(f"/api/v1/facilities/{facility_id}/capacity/{place_type}", body)


async def confirm(api: Api, facility_id: str, seen: dict[str, str]) -> bool:
    """Confirm every place type of a location unchanged, as shown (`seen`: place type → the
    report time the page showed); False when one had a newer report and was left alone."""
    answer = await api.post(f"/api/v1/facilities/{facility_id}/capacity/confirm", {"seen": seen})
    return all(item["applied"] for item in answer["items"])


async def save_contact(api: Api, facility_id: str, body: dict[str, Any]) -> Any:
    """Change how to reach a location; only the location's own provider may."""
    return await api.patch(f"/api/v1/facilities/{facility_id}", body)
