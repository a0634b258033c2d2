from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator

from services.triage.referrals.schemas import check_region
from services.triage.triagists import service
from services.triage.triagists.schemas import Colleague, Colleagues
from shared.auth import CurrentPrincipal, authenticated_router
from shared.db import DbSession
from shared.errors import problem_responses

router = authenticated_router(prefix="/api/v1/triagists", tags=["queue"])


@router.get("", response_model=Colleagues, responses=problem_responses(401, 403, 422))
async def list_triagists(
    principal: CurrentPrincipal,
    session: DbSession,
    region: Annotated[str | None, AfterValidator(lambda v: v and check_region(v)), Query()] = None,
) -> Colleagues:
    """The triagists of `region` (default: all your regions) that Zorgplek has seen at work,
    by name: to whom a case may be assigned (`POST /api/v1/referrals/{id}/assign`).
    Triagists only, for their own regions."""
    found = await service.colleagues(session, principal, region)
    return Colleagues(items=[Colleague(id=t.sub, name=t.name) for t in found])
