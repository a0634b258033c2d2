from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator, AwareDatetime

from services.triage.referrals.schemas import check_region
from services.triage.stats import service
from services.triage.stats.schemas import Stats
from shared.auth import CurrentPrincipal, authenticated_router
from shared.db import ReadSession
from shared.errors import problem_responses

router = authenticated_router(prefix="/api/v1/stats", tags=["stats"])


@router.get("", response_model=Stats, responses=problem_responses(401, 403, 422))
async def referral_stats(
    principal: CurrentPrincipal,
    session: ReadSession,
    region: Annotated[str | None, AfterValidator(lambda v: v and check_region(v)), Query()] = None,
    from_: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    to: Annotated[AwareDatetime | None, Query()] = None,
) -> Stats:
    """KPIs for `region`, `from`, `to` (all optional; default the last 30 days and every
    region the caller may see): referrals per outcome, median and 90th percentile time to
    placement, the share placed in their own region, expired holds, declines per reason.
    For triagists, admins and viewers."""
    return await service.compute(session, principal, region=region, start=from_, end=to)
