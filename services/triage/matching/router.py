import uuid
from typing import Annotated

from fastapi import Query

from services.triage.audit.service import audited
from services.triage.context import TriageContext
from services.triage.matching import service
from services.triage.matching.schemas import Matches, Scope
from services.triage.matching.service import MatchQuery
from services.triage.referrals.schemas import Point, ReferralOut, referral_out
from services.triage.referrals.service import view as referral_view
from shared.auth import CurrentPrincipal, authenticated_router
from shared.contracts.matching import MatchItem, ScoreComponents
from shared.errors import problem_responses

router = authenticated_router(prefix="/api/v1/referrals", tags=["matching"])


@router.get(
    "/{referral_id}/matches",
    response_model=Matches,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
    dependencies=[audited("match")],
)
async def referral_matches(
    referral_id: uuid.UUID,
    principal: CurrentPrincipal,
    ctx: TriageContext,
    scope: Scope = "region",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    include_ineligible: Annotated[
        bool, Query(description="Also list the places the care rules refuse, last, marked.")
    ] = False,
) -> Matches:
    """The best free places for the referral, best first, each with a score out of 100
    (and the location's track record, -10 to +10: reservations accepted, fresh reports; 0
    without history), its named components and the reasons in Dutch. Hard filters: place
    type, every needed feature, places that declined this referral, and the care rules: an
    office-hours location that does not admit before the referral is due, a single-sex room
    for a patient of the other sex (listed last, `eligible: false`, with
    `include_ineligible`). Stale places appear only when nothing fresh is left, flagged.
    `scope=supraregional` widens the search to the ROAZ region and then the country; it
    changes nothing (the escalation is recorded by `POST /api/v1/referrals/{id}/escalate`).

    For a triagist of the referral's region; for its referrer when the place type may be
    booked directly (ELV)."""
    ranking, origin = await service.find(
        ctx,
        principal,
        MatchQuery(
            referral_id=referral_id,
            scope=scope,
            limit=limit,
            include_ineligible=include_ineligible,
        ),
    )
    return Matches(
        items=[
            MatchItem(
                facility=m.candidate.facility,
                place_type=m.candidate.place_type,
                free=m.candidate.free,
                distance_km=m.distance_km,
                score=m.score,
                components=ScoreComponents(**m.components),
                reasons=m.reasons,
                stale=m.candidate.stale,
                observed_at=m.candidate.observed_at,
                source=m.candidate.source,
                eligible=m.verdict.eligible,
                refusals=[finding.text for finding in m.verdict.refusals],
                warnings=[finding.text for finding in m.verdict.warnings],
                admits_from=m.verdict.admits_from,
            )
            for m in ranking.matches
        ],
        scope=scope,
        stale_fallback=ranking.stale_fallback,
        origin=Point(lat=origin[0], lon=origin[1]) if origin else None,
        considered=ranking.considered,
        excluded=ranking.excluded,
    )


@router.post(
    "/{referral_id}/escalate",
    response_model=ReferralOut,
    responses=problem_responses(401, 403, 404, 409),
    dependencies=[audited("escalate")],
)
async def escalate_referral(
    referral_id: uuid.UUID, principal: CurrentPrincipal, ctx: TriageContext
) -> ReferralOut:
    """Escalate the referral beyond its region: nothing in the region fits, so the search
    goes on supra-regionally (`GET …/matches?scope=supraregional`), first in the ROAZ region,
    then in the country. Recorded once in the timeline (`escalate`) and as `escalated_at`;
    again changes nothing. For whoever may search places for the referral."""
    referral = await service.escalate(ctx, principal, referral_id)
    v = await referral_view(ctx.session, referral)
    return referral_out(v.referral, v.reservation, v.declines)
