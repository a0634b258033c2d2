"""Wachtrij: the triagist's queue and a referral's matches, through the triage API."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi.responses import RedirectResponse

from services.web.core.api import Api, ApiError
from services.web.core.render import as_datetime

CLAIMED_BY_OTHER = "Een collega heeft deze aanmelding al opgepakt."
PLACE_TAKEN = "Deze plek is net niet meer vrij. Kies een andere plek uit de lijst."
SCOPES = {"regio": "region", "bovenregionaal": "supraregional"}


async def queue(api: Api) -> list[dict[str, Any]]:
    """Open referrals of the triagist's regions, most urgent (earliest due) first, each
    marked overdue when its due time has passed."""
    page = await api.get("/api/v1/queue", params={"limit": 200})
    now = datetime.now(UTC)
    items: list[dict[str, Any]] = []
    for referral in page["items"]:
        due = as_datetime(referral["due_at"])
        items.append({**referral, "overdue": due is not None and due < now})
    return sorted(items, key=lambda r: r["due_at"])


async def claim(api: Api, referral_id: str) -> dict[str, Any]:
    result: dict[str, Any] = await api.post(
        f"/api/v1/referrals/{referral_id}/claim", conflict=CLAIMED_BY_OTHER
    )
    return result


SEARCHING = ("in_triage", "searching")


async def referral_page(
    api: Api, referral_id: str, scope: str, me: str
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any] | None, str | None]:
    """The referral, its timeline, and its ranked matches while its assignee (`me`) is
    looking for a place; those the care rules refuse come last, with the reason. Reading
    never escalates: the supra-regional matches are shown only once `escalate` has widened
    the search."""
    referral, timeline = await asyncio.gather(
        api.get(f"/api/v1/referrals/{referral_id}"),
        api.get(f"/api/v1/referrals/{referral_id}/events"),
    )
    assignee = referral.get("assignee")
    if referral["status"] not in SEARCHING or not assignee or assignee["id"] != me:
        return referral, timeline["items"], None, None
    try:
        found = await api.get(
            f"/api/v1/referrals/{referral_id}/matches",
            params={"scope": SCOPES[shown_scope(referral, scope)], "include_ineligible": "true"},
        )
    except ApiError as exc:
        return referral, timeline["items"], None, exc.message
    return referral, timeline["items"], found, None


def shown_scope(referral: dict[str, Any], asked: str) -> str:
    """The scope a page shows: supra-regional only for an escalated referral."""
    return (
        "bovenregionaal" if asked == "bovenregionaal" and referral.get("escalated_at") else "regio"
    )


async def escalate(api: Api, referral_id: str) -> None:
    """Widen the search beyond the region: the referral is marked escalated in its
    timeline, once."""
    await api.post(f"/api/v1/referrals/{referral_id}/escalate")


async def reserve(api: Api, referral_id: str, facility_id: str) -> dict[str, Any]:
    result: dict[str, Any] = await api.post(
        f"/api/v1/referrals/{referral_id}/reservations",
        {"facility_id": facility_id},
        conflict=PLACE_TAKEN,
    )
    return result


OPEN = ("submitted", "in_triage", "searching", "reserved")
RESERVATION_GONE = "Deze reservering is intussen verlopen of beantwoord; er is niets gewijzigd."


async def colleagues(api: Api, referral: dict[str, Any]) -> list[dict[str, Any]]:
    """The triagists of the referral's region a case may be given to, by name; not the one
    who has it now. Empty for a closed referral."""
    if referral["status"] not in OPEN:
        return []
    try:
        found = await api.get("/api/v1/triagists", params={"region": referral["region_code"]})
    except ApiError:
        return []  # the page works without the list; handing back still does
    assignee = (referral.get("assignee") or {}).get("id")
    items: list[dict[str, Any]] = found["items"]
    return sorted((c for c in items if c["id"] != assignee), key=lambda c: c["name"])


async def release(api: Api, reservation_id: str, back: str) -> RedirectResponse:
    """Give a held place back, to try another, and return to the referral's page (`back`)
    saying how it went: released, or already gone (expired or answered) and nothing done."""
    try:
        reservation = str(uuid.UUID(reservation_id))
    except ValueError:
        return RedirectResponse(back, status_code=303)
    try:
        await api.post(f"/api/v1/reservations/{reservation}/release", conflict=RESERVATION_GONE)
    except ApiError as exc:
        if exc.status != 409:
            raise
        return RedirectResponse(f"{back}?melding=verlopen", status_code=303)
    return RedirectResponse(f"{back}?melding=vrijgegeven", status_code=303)


async def assign(api: Api, referral_id: str, assignee: str | None) -> None:
    """Hand the case back to the queue (None) or give it to a colleague of the region."""
    await api.post(f"/api/v1/referrals/{referral_id}/assign", {"assignee": assignee})
