"""Wachtrij: the triagist's queue and a referral's matches, through the triage API."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from fastapi.responses import RedirectResponse

from services.web.core.api import Api, ApiError
from shared.contracts.matching import Matches
from shared.contracts.referrals import Colleague, QueueItem, ReferralOut, TimelineEntry

CLAIMED_BY_OTHER = "Een collega heeft deze aanmelding al opgepakt."
PLACE_TAKEN = "Deze plek is net niet meer vrij. Kies een andere plek uit de lijst."
SCOPES = {"regio": "region", "bovenregionaal": "supraregional"}


async def queue(api: Api) -> list[QueueItem]:
    """Open referrals of the triagist's regions, most urgent (earliest due) first, each
    marked overdue when its due time has passed (by this page's clock, as it is shown)."""
    page = await api.queue(limit=200)
    now = datetime.now(UTC)
    items = [r.model_copy(update={"overdue": r.due_at < now}) for r in page.items]
    return sorted(items, key=lambda r: r.due_at)


async def claim(api: Api, referral_id: uuid.UUID) -> ReferralOut:
    return await api.claim(referral_id, conflict=CLAIMED_BY_OTHER)


SEARCHING = ("in_triage", "searching")


async def referral_page(
    api: Api, referral_id: uuid.UUID, scope: str, me: str
) -> tuple[ReferralOut, list[TimelineEntry], Matches | None, str | None]:
    """The referral, its timeline, and its ranked matches while its assignee (`me`) is
    looking for a place; those the care rules refuse come last, with the reason. Reading
    never escalates: the supra-regional matches are shown only once `escalate` has widened
    the search."""
    referral, timeline = await asyncio.gather(api.referral(referral_id), api.timeline(referral_id))
    assignee = referral.assignee
    if referral.status not in SEARCHING or assignee is None or assignee.id != me:
        return referral, timeline.items, None, None
    try:
        found = await api.matches(
            referral_id, scope=SCOPES[shown_scope(referral, scope)], include_ineligible=True
        )
    except ApiError as exc:
        return referral, timeline.items, None, exc.message
    return referral, timeline.items, found, None


def shown_scope(referral: ReferralOut, asked: str) -> str:
    """The scope a page shows: supra-regional only for an escalated referral."""
    return "bovenregionaal" if asked == "bovenregionaal" and referral.escalated_at else "regio"


async def escalate(api: Api, referral_id: uuid.UUID) -> None:
    """Widen the search beyond the region: the referral is marked escalated in its
    timeline, once."""
    await api.escalate(referral_id)


async def reserve(api: Api, referral_id: uuid.UUID, facility_id: uuid.UUID) -> None:
    await api.reserve(referral_id, facility_id, conflict=PLACE_TAKEN)


OPEN = ("submitted", "in_triage", "searching", "reserved")
RESERVATION_GONE = "Deze reservering is intussen verlopen of beantwoord; er is niets gewijzigd."


async def colleagues(api: Api, referral: ReferralOut) -> list[Colleague]:
    """The triagists of the referral's region a case may be given to, by name; not the one
    who has it now. Empty for a closed referral."""
    if referral.status not in OPEN:
        return []
    try:
        found = await api.triagists(referral.region_code)
    except ApiError:
        return []  # the page works without the list; handing back still does
    assignee = referral.assignee.id if referral.assignee else None
    return sorted((c for c in found.items if c.id != assignee), key=lambda c: c.name)


async def release(api: Api, reservation_id: str, back: str) -> RedirectResponse:
    """Give a held place back, to try another, and return to the referral's page (`back`)
    saying how it went: released, or already gone (expired or answered) and nothing done."""
    try:
        reservation = uuid.UUID(reservation_id)
    except ValueError:
        return RedirectResponse(back, status_code=303)
    try:
        await api.release(reservation, conflict=RESERVATION_GONE)
    except ApiError as exc:
        if exc.status != 409:
            raise
        return RedirectResponse(f"{back}?melding=verlopen", status_code=303)
    return RedirectResponse(f"{back}?melding=vrijgegeven", status_code=303)


async def assign(api: Api, referral_id: uuid.UUID, assignee: str | None) -> None:
    """Hand the case back to the queue (None) or give it to a colleague of the region."""
    await api.assign(referral_id, assignee)
