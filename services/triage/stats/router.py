from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator, AwareDatetime

from services.triage.capacity_client import CapacityApi
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
    client: CapacityApi,
    region: Annotated[str | None, AfterValidator(lambda v: v and check_region(v)), Query()] = None,
    from_: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    to: Annotated[AwareDatetime | None, Query()] = None,
) -> Stats:
    """KPIs for `region`, `from`, `to` (all optional; default the last 30 days and every
    region the caller may see): referrals per outcome, median and 90th percentile time to
    placement, the share placed in their own region, expired holds, declines per reason.

    `unmet_demand`: referrals of the window that found no place — cancelled with reason
    code `no_place_found`, advised with `advice_reason: no_place`, or still submitted, in
    triage or searching past their due time (`overdue`); placed referrals never count —
    with their share and the median wait (from submission until closed, or until `to`),
    in all and per region and place type. `wrong_bed_days` (verkeerde beddagen): for
    referrals from a hospital (the referring organisation's kind), the days from
    submission until placement, or until `to` while waiting, that fall in the window, and
    the patients still waiting; per region and place type. For triagists, admins and
    viewers."""
    return await service.compute(
        session, principal, region=region, start=from_, end=to, client=client
    )
