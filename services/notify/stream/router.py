import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, status
from pydantic import AfterValidator
from sqlalchemy.exc import DBAPIError

from services.notify.audience import EventFilter, Viewer, ensure_may_read_events, types_or_none
from services.notify.runtime import runtime
from services.notify.stream import service, tickets
from services.notify.stream.response import EventStreamResponse
from services.notify.stream.schemas import TicketOut
from services.notify.subscriptions.rights import note_rights, notify_router
from services.notify.subscriptions.schemas import check_event_type
from shared.auth import Principal, Professional, authenticate
from shared.db import DbSession
from shared.errors import Unauthorized, Unavailable, problem_responses
from shared.schemas import RegionCode, check_place_type
from shared.settings import AppSettings


async def stream_caller(request: Request) -> Principal:
    """Browsers' EventSource cannot send headers: this route also takes a stream ticket as
    `?ticket=`, or a token as `?access_token=` (neither is logged: the access log has no
    query strings)."""
    ticket = request.query_params.get("ticket")
    if ticket is None or "authorization" in request.headers:
        request.state.allow_query_token = True
        return await authenticate(request)
    hub = runtime(request.app).hub
    async with request.app.state.database.sessions.begin() as session:
        principal = await tickets.redeem(session, ticket, hub.clock())
    if principal is None:
        raise Unauthorized("The stream ticket is unknown, used or expired; ask for a new one.")
    request.state.principal = principal
    return principal


router = APIRouter(
    prefix="/api/v1",
    tags=["stream"],
    dependencies=[Depends(stream_caller), Depends(note_rights)],
)
tickets_router = notify_router(prefix="/api/v1/stream", tags=["stream"])


@tickets_router.post(
    "/tickets",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketOut,
    responses=problem_responses(401, 403),
)
async def create_ticket(
    request: Request, principal: Professional, session: DbSession, settings: AppSettings
) -> TicketOut:
    """A single-use ticket that opens one live stream with your rights, for a browser that
    must not hold your token: `new EventSource("/api/v1/stream?ticket=" + ticket)`. It is
    accepted for a minute (`ZORGPLEK_STREAM_TICKET_SECONDS`), once; the stream it opens ends
    when the token that asked for it expires. Each call gives a new ticket (an
    `Idempotency-Key` does not bring a ticket back)."""
    ensure_may_read_events(principal)
    now = runtime(request.app).hub.clock()
    ticket, expires_at = await tickets.issue(
        session, principal, now, settings.stream_ticket_seconds
    )
    return TicketOut(ticket=ticket, expires_at=expires_at)


def _split(values: list[str] | None) -> list[str]:
    """Repeated parameters, each possibly a comma list."""
    return [v.strip() for value in values or () for v in value.split(",") if v.strip()]


def _event_types(values: list[str] | None) -> list[str]:
    return [check_event_type(v) for v in _split(values)]


def _place_types(values: list[str] | None) -> list[str]:
    return [check_place_type(v) for v in _split(values)]


EventTypes = Annotated[list[str] | None, AfterValidator(_event_types)]
PlaceTypes = Annotated[list[str] | None, AfterValidator(_place_types)]
SSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "A stream of Server-Sent Events.", "content": {"text/event-stream": {}}}
}


@router.get(
    "/stream",
    response_class=EventStreamResponse,
    responses={**SSE, **problem_responses(401, 403, 422, 503)},
)
async def stream(
    request: Request,
    principal: Professional,
    settings: AppSettings,
    event_types: Annotated[
        EventTypes, Query(description="Only these types (repeat, or a comma list).")
    ] = None,
    place_type: Annotated[
        PlaceTypes, Query(description="Only events of these place types.")
    ] = None,
    region: Annotated[
        RegionCode | None, Query(description="Only this region (a ROAZ covers its zorgkantoren).")
    ] = None,
    last_event_id: Annotated[
        uuid.UUID | None,
        Header(alias="Last-Event-ID", description="Resume after this event; sent by browsers."),
    ] = None,
    resume_after: Annotated[
        uuid.UUID | None,
        Query(alias="last_event_id", description="The same as the header, for a first connect."),
    ] = None,
) -> EventStreamResponse:
    """Server-Sent Events of everything you may see, as it happens: the SSE `id` is the
    event id, `event:` its type, `data:` the body `{"id", "type", "timestamp", "data"}`.
    Comments (`: heartbeat`) keep the connection open. Reconnect with `Last-Event-ID` to
    receive what you missed (an event may then come twice; drop repeats by id): at most the
    newest 1000 events (`ZORGPLEK_STREAM_REPLAY_MAX_EVENTS`) of those the outbox keeps (7
    days, `ZORGPLEK_OUTBOX_RETENTION_DAYS`); an id no longer kept gets what is kept, and a
    comment says when something was left out. A client that does not keep up is
    disconnected and should reconnect the same way. The stream ends when the token it was
    opened with expires or is signed out, or the API key is revoked. An API key needs the
    scope `events:read`."""
    ensure_may_read_events(principal)
    event_filter = EventFilter(
        event_types=types_or_none(event_types),
        place_types=types_or_none(place_type),
        region=region,
    )
    try:
        opened = await service.open_stream(
            request.app.state.database,
            runtime(request.app).hub,
            Viewer.of(principal),
            event_filter,
            last_event_id or resume_after,
            settings.stream_heartbeat_seconds,
            replay=service.Replay(
                max_events=settings.stream_replay_max_events,
                window=timedelta(days=settings.outbox_retention_days),
            ),
            expires_at=principal.expires_at,
            session_id=principal.session,
            api_key_id=principal.api_key_id,
        )
    except (OSError, TimeoutError, DBAPIError) as exc:
        raise Unavailable(
            "The event store cannot be reached; reconnect shortly.", headers={"Retry-After": "3"}
        ) from exc
    return EventStreamResponse(opened.frames, opened.client)
