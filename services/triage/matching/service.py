"""Matching: candidates from the capacity service (over HTTP, as `service:triage`), ranked
by the pure `ranking.rank` with reasons a triagist understands at a glance."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from services.triage.capacity_client import CapacityClient, CapacityUnavailable
from services.triage.context import Context
from services.triage.matching.ranking import MatchRequest, Ranking, candidates_from, score
from services.triage.referrals import access, lifecycle
from services.triage.referrals import repository as referrals
from services.triage.referrals.lifecycle import Actor
from services.triage.referrals.models import Referral
from services.triage.referrals.service import direct_booking
from shared import reference
from shared.auth import Principal, ensure_role
from shared.contracts.capacity import TrackRecord
from shared.contracts.referrals import TimelineDetail
from shared.errors import Conflict, Forbidden

log = logging.getLogger("zorgplek.triage.matching")
# The track records looked up: those of the best `limit` places and this many more, so that
# a search never reads the history of the whole country.
SHORTLIST_MARGIN = 20


def ensure_may_search(principal: Principal, referral: Referral, doing: str) -> None:
    """A triagist of the referral's region may; its referrer only for place types it may
    book directly (ELV); anyone else never."""
    if access.covers(principal, referral):
        return
    if access.owns(principal, referral):
        if direct_booking(referral.place_type):
            return
        raise Forbidden(
            f"A {referral.place_type} place is found by the triagist of the region; "
            f"only places a referrer may book directly allow a referrer to {doing}."
        )
    raise Forbidden(f"Only a triagist of region {referral.region_code} may {doing}.")


def ensure_open(referral: Referral) -> None:
    """A placed or closed referral needs no place: 409 naming its status."""
    if referral.status in lifecycle.CLOSED or referral.status == "placed":
        raise Conflict(
            f"The referral is {referral.status}; there is no place to find for it.",
            extra={"referral_status": referral.status},
        )


async def origin_of(client: CapacityClient, referral: Referral) -> tuple[float, float] | None:
    """Where to measure distance from: `near`, else the referring organisation's location."""
    if referral.near_lat is not None and referral.near_lon is not None:
        return referral.near_lat, referral.near_lon
    organisation = await client.organisation(referral.organisation_id)
    if organisation and organisation.lat is not None and organisation.lon is not None:
        return organisation.lat, organisation.lon
    return None


@dataclass(frozen=True, slots=True)
class MatchQuery:
    """What a caller asks matching for: places for one referral, in its region or beyond,
    at most `limit`, ranked as of `now` (default: the request's moment); with
    `include_ineligible` the places the care rules refuse are listed last, marked."""

    referral_id: uuid.UUID
    scope: str = "region"
    limit: int = 50
    now: datetime | None = None
    include_ineligible: bool = False


async def find(
    ctx: Context, principal: Principal, query: MatchQuery
) -> tuple[Ranking, tuple[float, float] | None]:
    """Ranked places for a referral, best first. `scope=region` searches the referral's
    region; `supraregional` its ROAZ region first, then the country. Reading only: the
    escalation itself is `escalate`."""
    ensure_role(principal, "triagist", "referrer", doing="search places")
    # Read what is needed and give the connection back before waiting on capacity.
    async with ctx.sessions() as read:
        referral = await access.visible_referral(read, principal, query.referral_id)
        ensure_may_search(principal, referral, "search places")
        ensure_open(referral)
        declined = await referrals.declined_facilities(read, referral.id)
    origin = await origin_of(ctx.capacity, referral)
    items = await ctx.capacity.candidates(
        place_type=referral.place_type,
        region=referral.region_code if query.scope == "region" else None,
        features=list(referral.needs),
    )
    now = query.now or ctx.now
    request = MatchRequest(
        place_type=referral.place_type,
        needs=frozenset(referral.needs),
        region_code=referral.region_code,
        origin=origin,
        preferred=frozenset(str(i) for i in referral.preferred_facility_ids),
        declined=frozenset(str(i) for i in declined),
        scope=query.scope,
        sex=referral.patient_sex,
        due_at=referral.due_at,
        include_ineligible=query.include_ineligible,
    )
    ttl = reference.ttl_seconds(ctx.settings.stale_ttl_hours)
    # Judged once; the best picked twice: a shortlist, then with its track records.
    scored = score(candidates_from(items), request, now, ttl)
    shortlist = scored.leading(query.limit + SHORTLIST_MARGIN)
    records = await records_of(ctx.capacity, [c.facility.id for c in shortlist])
    return scored.best(query.limit, records), origin


async def records_of(
    client: CapacityClient, facility_ids: list[uuid.UUID]
) -> dict[str, TrackRecord]:
    """The shortlisted locations' track records by facility id; none (every location
    neutral) while capacity cannot give them: the places themselves were found."""
    if not facility_ids:
        return {}
    try:
        found = await client.records(list(dict.fromkeys(facility_ids)))
    except CapacityUnavailable:
        log.warning("track records unavailable; matching without them")
        return {}
    return {str(fid): record for fid, record in found.items()}


async def escalate(ctx: Context, principal: Principal, referral_id: uuid.UUID) -> Referral:
    """Mark the referral as escalated beyond its region — the search goes on in its ROAZ
    region and then the country — once, in its timeline. For whoever may search places for
    it; again is no change."""
    ensure_role(principal, "triagist", "referrer", doing="escalate a referral")
    referral = await access.visible_referral(ctx.session, principal, referral_id, lock=True)
    ensure_may_search(principal, referral, "escalate a referral")
    ensure_open(referral)
    if referral.escalated_at is not None:
        return referral
    now = ctx.now
    referral.escalated_at = now
    referral.updated_at = now
    await lifecycle.note(
        ctx.session,
        referral,
        Actor.of(principal),
        "escalate",
        TimelineDetail(scope="supraregional", roaz=sorted(reference.roaz_of(referral.region_code))),
        at=now,
    )
    return referral
