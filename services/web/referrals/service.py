"""Aanmelden and Mijn aanmeldingen: a referrer's referrals through the triage API."""

from __future__ import annotations

import asyncio
import uuid

from services.web.core.api import Api, ApiError
from services.web.referrals.forms import ReferralForm
from shared.contracts.capacity import FacilityOut
from shared.contracts.matching import MatchItem
from shared.contracts.referrals import ReferralOut, TimelineEntry
from shared.contracts.reservations import ReservationOut

TAKEN = (
    "Deze plek is net door een ander gereserveerd. Uw aanmelding staat in de wachtrij van het RAP."
)


async def submit(api: Api, form: ReferralForm, practice: tuple[float, float] | None) -> ReferralOut:
    """Send the referral; the form's key makes a double submit harmless."""
    return await api.submit_referral(form.body(practice), key=form.values["key"])


async def book(
    api: Api, referral_id: uuid.UUID, facility_id: uuid.UUID, key: str | None = None
) -> ReservationOut:
    """Reserve a place directly (ELV): 409 reads as TAKEN."""
    return await api.reserve(referral_id, facility_id, conflict=TAKEN, key=key)


async def mine(api: Api, reference: str = "") -> list[ReferralOut]:
    """The organisation's referrals, newest first; with `reference`, only the one(s) with
    that own reference."""
    page = await api.referrals(limit=100, reference=reference)
    return sorted(page.items, key=lambda r: r.created_at, reverse=True)


async def detail(api: Api, referral_id: uuid.UUID) -> tuple[ReferralOut, list[TimelineEntry]]:
    """A referral and its timeline."""
    referral, timeline = await asyncio.gather(api.referral(referral_id), api.timeline(referral_id))
    return referral, timeline.items


async def direct_matches(api: Api, referral: ReferralOut) -> list[MatchItem]:
    """Places the referrer may book directly, when the type allows it and none is held;
    those the care rules refuse come last, with the reason."""
    if not referral.direct_booking or referral.status not in ("submitted", "searching"):
        return []
    if referral.reservation is not None and referral.reservation.status == "held":
        return []
    try:
        matches = await api.matches(referral.id, include_ineligible=True)
    except ApiError:
        return []
    return matches.items[:10]


async def facility(api: Api, facility_id: uuid.UUID) -> FacilityOut | None:
    try:
        return await api.facility(facility_id)
    except ApiError:
        return None
