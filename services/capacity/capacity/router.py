import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Query, Request

from services.capacity.capacity import batch, service
from services.capacity.capacity.models import CapacityReport
from services.capacity.capacity.schemas import (
    BatchIn,
    BatchOut,
    CapacityReportPut,
    CapacityStateOut,
    ConfirmIn,
    ConfirmOut,
    HistoryEntry,
)
from shared.auth import CurrentPrincipal, Provider, authenticated_router
from shared.bodies import read_body
from shared.clock import Now
from shared.contracts.capacity import ReportSource
from shared.db import DbSession
from shared.errors import problem_responses
from shared.pagination import Cursor, Limit, Page, decode_cursor, page
from shared.schemas import Moment, PlaceTypeCode
from shared.settings import AppSettings

router = authenticated_router(prefix="/api/v1", tags=["capacity"])


@router.put(
    "/facilities/{facility_id}/capacity/{place_type}",
    response_model=CapacityStateOut,
    responses=problem_responses(401, 403, 404, 422),
)
async def put_capacity(
    facility_id: uuid.UUID,
    place_type: PlaceTypeCode,
    body: CapacityReportPut,
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
) -> CapacityStateOut:
    """Report the numbers of one place type at one location. Answers the current state,
    with `applied: false` when a newer report was already stored. The report is kept as
    `source: api`, or `page` when a person typed it on a page (an API key may not claim
    that: 422)."""
    source = service.claimed_source(principal, body.source)
    return await service.report(
        session, principal, settings, facility_id, place_type, body, source=source
    )


@router.post(
    "/facilities/{facility_id}/capacity/confirm",
    response_model=ConfirmOut,
    responses=problem_responses(401, 403, 404, 422),
)
async def confirm_capacity(
    facility_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    body: ConfirmIn | None = None,
) -> ConfirmOut:
    """*Ongewijzigd bevestigen*: report every place type of the location again with the
    same numbers, observed now, kept in the history as `source: confirm`. For the
    location's own provider (an API key needs `capacity:write`); another organisation's
    location is 404. A newer report is never overwritten: a place type whose report is
    newer, or is not the one given in `seen`, is answered unchanged with `applied: false`."""
    seen = body.seen if body is not None else {}
    items = await service.confirm(session, principal, settings, facility_id, seen, now)
    return ConfirmOut(items=items, confirmed=sum(item.applied for item in items))


@router.get(
    "/facilities/{facility_id}/capacity",
    response_model=Page[CapacityStateOut],
    responses=problem_responses(401, 403, 404),
)
async def get_capacity(
    facility_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> Page[CapacityStateOut]:
    """The current numbers of every place type at one location, stale ones included (for
    the location's own provider, and for referrers, triagists and admins), each with when
    it goes stale (`stale_at`) and whether it is `due`: time to report again."""
    return Page(items=await service.current(session, principal, settings, facility_id, now))


@router.post(
    "/capacity-reports",
    response_model=BatchOut,
    responses=problem_responses(401, 403, 413, 415, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": BatchIn.model_json_schema()},
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": ",".join(batch.CSV_COLUMNS)
                    + "\n3f1c…,ELV_HOOG,12,10,2,1,2026-11-22T02:10:00Z",
                },
            },
        }
    },
)
async def post_capacity_reports(
    request: Request, principal: Provider, settings: AppSettings
) -> BatchOut:
    """Report many place types at once, as JSON `{"reports": [...]}` or as CSV with a header
    row: at most `ZORGPLEK_BATCH_MAX_ROWS` rows and `ZORGPLEK_BATCH_MAX_BYTES` bytes (413
    beyond). One result per row, in order; good rows apply even when others are refused.
    Rows are committed a chunk at a time, so a long batch never holds up others' events.
    Each report is kept as `source: csv` or `api` by the body's media type."""
    body = await read_body(request, settings.batch_max_bytes)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    rows = batch.parse_batch(body, content_type, settings.batch_max_rows)
    source: ReportSource = "csv" if content_type == "text/csv" else "api"
    sessions = request.app.state.database.sessions
    return BatchOut(
        results=await batch.report_batch(sessions, principal, settings, rows, source=source)
    )


@router.get(
    "/facilities/{facility_id}/capacity/{place_type}/history",
    response_model=Page[HistoryEntry],
    responses=problem_responses(401, 403, 404, 422),
)
async def capacity_history(
    facility_id: uuid.UUID,
    place_type: PlaceTypeCode,
    principal: CurrentPrincipal,
    session: DbSession,
    since: Annotated[Moment | None, Query()] = None,
    until: Annotated[Moment | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[HistoryEntry]:
    """Past reports of one place type at one location, newest first, each with its
    `source`; who sent it (`reported_by`) only for the location's own organisation,
    triagists and admins."""
    before = decode_cursor(cursor, datetime.fromisoformat, int)
    rows, names = await service.history(
        session,
        principal,
        facility_id,
        place_type,
        since=since,
        until=until,
        before=before,
        limit=limit + 1,
    )

    def entry(row: CapacityReport) -> HistoryEntry:
        found = HistoryEntry.model_validate(row)
        return found if names else found.model_copy(update={"reported_by": None})

    return page(rows, limit, lambda row: (row.observed_at.isoformat(), row.id)).map(entry)
