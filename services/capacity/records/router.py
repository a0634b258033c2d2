import uuid
from typing import Annotated

from fastapi import Query

from services.capacity.records import service
from services.capacity.records.schemas import Compliance, TrackRecord
from shared.auth import AnyRole, CurrentPrincipal, authenticated_router
from shared.clock import Now
from shared.db import ReadSession
from shared.errors import problem_responses
from shared.pagination import Page
from shared.schemas import RegionCode
from shared.settings import AppSettings

router = authenticated_router(prefix="/api/v1", tags=["track record"])


@router.get(
    "/facilities/{facility_id}/record",
    response_model=TrackRecord,
    responses=problem_responses(401, 403, 404),
)
async def facility_record(
    facility_id: uuid.UUID, _: AnyRole, session: ReadSession, settings: AppSettings, now: Now
) -> TrackRecord:
    """A location's track record over the last 30 days: reservations accepted, declined as
    `no_capacity` ("toch geen plek": reported free, but not), declined otherwise and
    expired unanswered; the share of the time its reports were fresh (each place type it
    offers, by its time-to-live); its last report and whether a place type is overdue now.
    For whoever may see the facility."""
    return await service.of_facility(session, facility_id, now, settings)


@router.get(
    "/compliance",
    response_model=Compliance,
    responses=problem_responses(401, 403, 422),
)
async def compliance(
    principal: CurrentPrincipal,
    session: ReadSession,
    settings: AppSettings,
    now: Now,
    region: Annotated[RegionCode | None, Query()] = None,
) -> Compliance:
    """Every location of `region` (default: all of the caller's regions) with its track
    record, worst first: last report, fresh-time share, overdue now, declines as
    `no_capacity`. For triagists, coordinators (viewer) and admins, in their own regions
    (another region is 403; an admin without regions names one)."""
    items = await service.compliance(session, principal, region, now, settings)
    return Compliance(
        regions=sorted(service.compliance_regions(principal, region)),
        days=service.WINDOW_DAYS,
        items=items,
    )


@router.get(
    "/compliance/records",
    response_model=Page[TrackRecord],
    responses=problem_responses(401, 403, 422),
)
async def records_of(
    _: AnyRole,
    session: ReadSession,
    settings: AppSettings,
    now: Now,
    facility_id: Annotated[list[uuid.UUID], Query(min_length=1)],
) -> Page[TrackRecord]:
    """The track records of named locations (`facility_id`, repeated, at most 100), in the
    order asked; unknown ids are left out. Matching reads its shortlist's records here."""
    return Page(items=await service.of_facilities(session, facility_id, now, settings))
