import json
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import AwareDatetime, ValidationError

from services.capacity.capacity import service
from services.capacity.capacity.schemas import (
    BatchIn,
    BatchOut,
    CapacityReportIn,
    CapacityStateOut,
    HistoryEntry,
)
from shared.auth import CurrentPrincipal, Provider, authenticated_router
from shared.db import DbSession
from shared.errors import DomainError, Invalid, problem_responses
from shared.pagination import Cursor, Limit, Page, decode_cursor, encode_cursor
from shared.schemas import PlaceTypeCode
from shared.settings import AppSettings

router = authenticated_router(prefix="/api/v1", tags=["capacity"])
MAX_BATCH_BYTES = 5 * 1024 * 1024


class PayloadTooLarge(DomainError):
    status = 413
    title = "Content too large"


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported media type"


@router.put(
    "/facilities/{facility_id}/capacity/{place_type}",
    response_model=CapacityStateOut,
    responses=problem_responses(401, 403, 404, 422),
)
async def put_capacity(
    facility_id: uuid.UUID,
    place_type: PlaceTypeCode,
    body: CapacityReportIn,
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
) -> CapacityStateOut:
    """Report the numbers of one place type at one location. Answers the current state,
    with `applied: false` when a newer report was already stored."""
    return await service.report(session, principal, settings, facility_id, place_type, body)


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
) -> Page[CapacityStateOut]:
    """The current numbers of every place type at one location, stale ones included (for
    the location's own provider, and for referrers, triagists and admins)."""
    return Page(items=await service.current(session, principal, settings, facility_id))


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
                    "example": ",".join(service.CSV_COLUMNS)
                    + "\n3f1c…,ELV_HOOG,12,10,2,1,2026-11-22T02:10:00Z",
                },
            },
        }
    },
)
async def post_capacity_reports(
    request: Request,
    principal: Provider,
    session: DbSession,
    settings: AppSettings,
) -> BatchOut:
    """Report many place types at once, as JSON `{"reports": [...]}` or as CSV with a header
    row. One result per row, in order; good rows apply even when others are refused."""
    body = await request.body()
    if len(body) > MAX_BATCH_BYTES:
        raise PayloadTooLarge("A batch may be at most 5 MiB; split it.")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    rows: list[Any]
    if content_type == "text/csv":
        try:
            rows = service.parse_csv(body.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise Invalid("The CSV must be UTF-8.", loc=["body"]) from exc
    elif content_type in ("application/json", ""):
        try:
            rows = BatchIn.model_validate(json.loads(body)).reports
        except (ValueError, ValidationError) as exc:
            raise Invalid(
                'Send JSON {"reports": [...]} with at most 5000 reports.', loc=["body", "reports"]
            ) from exc
    else:
        raise UnsupportedMediaType("Send application/json or text/csv.")
    return BatchOut(results=await service.report_batch(session, principal, settings, rows))


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
    since: Annotated[AwareDatetime | None, Query()] = None,
    until: Annotated[AwareDatetime | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[HistoryEntry]:
    """Past reports of one place type at one location, newest first."""
    before = decode_cursor(cursor, datetime.fromisoformat, int)
    rows = await service.history(
        session,
        principal,
        facility_id,
        place_type,
        since=since,
        until=until,
        before=before,
        limit=limit + 1,
    )
    items = [HistoryEntry.model_validate(r) for r in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return Page(
        items=items,
        next_cursor=encode_cursor((last.observed_at.isoformat(), last.id)) if last else None,
    )
