"""Aanmelden and Mijn aanmeldingen: a referrer's referrals through the triage API."""

from __future__ import annotations

import asyncio
from typing import Any

from services.web.core.api import Api, ApiError
from services.web.referrals.forms import ReferralForm

TAKEN = (
    "Deze plek is net door een ander gereserveerd. Uw aanmelding staat in de wachtrij van het RAP."
)
OPEN_STATUSES = ("submitted", "in_triage", "searching", "reserved")


async def submit(
    api: Api, form: ReferralForm, practice: tuple[float, float] | None
) -> dict[str, Any]:
    """Send the referral; the form's key makes a double submit harmless."""
    referral: dict[str, Any] = await api.post(
        "/api/v1/referrals", form.body(practice), idempotency_key=form.values["key"]
    )
    return referral


async def book(
    api: Api, referral_id: str, facility_id: str, key: str | None = None
) -> dict[str, Any]:
    """Reserve a place directly (ELV): 409 reads as TAKEN."""
    reservation: dict[str, Any] = await api.post(
        f"/api/v1/referrals/{referral_id}/reservations",
        {"facility_id": facility_id},
        conflict=TAKEN,
        idempotency_key=key,
    )
    return reservation


async def mine(api: Api, reference: str = "") -> list[dict[str, Any]]:
    """The organisation's referrals, newest first; with `reference`, only the one(s) with
    that own reference."""
    params: dict[str, Any] = {"limit": 100}
    if reference:
        params["reference"] = reference
    page = await api.get("/api/v1/referrals", params=params)
    items: list[dict[str, Any]] = page["items"]
    return sorted(items, key=lambda r: r["created_at"], reverse=True)


async def detail(api: Api, referral_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A referral and its timeline."""
    referral, timeline = await asyncio.gather(
        api.get(f"/api/v1/referrals/{referral_id}"),
        api.get(f"/api/v1/referrals/{referral_id}/events"),
    )
    return referral, timeline["items"]


async def direct_matches(api: Api, referral: dict[str, Any]) -> list[dict[str, Any]]:
    """Places the referrer may book directly, when the type allows it and none is held;
    those the care rules refuse come last, with the reason."""
    if not referral.get("direct_booking") or referral["status"] not in ("submitted", "searching"):
        return []
    if referral.get("reservation") and referral["reservation"]["status"] == "held":
        return []
    try:
        matches = await api.get(
            f"/api/v1/referrals/{referral['id']}/matches", params={"include_ineligible": "true"}
        )
    except ApiError:
        return []
    return list(matches["items"])[:10]


async def facility(api: Api, facility_id: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = await api.get(f"/api/v1/facilities/{facility_id}")
    except ApiError:
        return None
    return found
