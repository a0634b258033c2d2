"""`/live`: the browser's live stream, relayed from the notify API with the signed-in
user's token. The browser holds only its session cookie; the token never leaves this
service, and the stream ends when the session does."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
import httpx
from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import StreamingResponse

from services.web.core import session as sessions
from services.web.core.api import STREAM
from services.web.core.pages import LIVE_PATH, web_state
from shared.proxies import forwarded_headers

router = APIRouter(include_in_schema=False)
log = logging.getLogger("zorgplek.web")
PASSED_ON = ("event_types", "place_type", "region")


@router.get(LIVE_PATH)
async def live(
    request: Request,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> Response:
    """Server-Sent Events of everything the user may see, as `/api/v1/stream` sends them;
    `Last-Event-ID` (sent by the browser on reconnecting) resumes."""
    session = sessions.read(request)
    if not session.token:
        return Response("Niet ingelogd", status_code=401, media_type="text/plain")
    state = web_state(request)
    assert state.http is not None, "the web pages' HTTP client starts with the app"
    headers = {
        **forwarded_headers(request),
        "Authorization": f"Bearer {session.token}",
        "Accept": "text/event-stream",
    }
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id[:64]
    params = httpx.QueryParams(
        [(k, v) for k, v in request.query_params.multi_items() if k in PASSED_ON]
    )
    # Heartbeats come every few seconds; a stream silent far longer than that is dead.
    timeout = httpx.Timeout(10.0, read=state.settings.stream_heartbeat_seconds * 4)
    upstream_request = state.http.build_request(
        "GET",
        state.api_url.rstrip("/") + STREAM.url(),
        params=params,
        headers=headers,
        timeout=timeout,
    )
    try:
        upstream = await state.http.send(upstream_request, stream=True)
    except httpx.HTTPError as exc:
        log.warning("live stream unreachable", extra={"error": type(exc).__name__})
        return Response("Niet bereikbaar", status_code=503, headers={"Retry-After": "3"})
    if upstream.status_code != 200:
        # Refused (expired or signed out, say): the page's next refresh finds out.
        await upstream.aclose()
        return Response(status_code=upstream.status_code)
    return StreamingResponse(
        _relay(upstream),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _relay(upstream: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in upstream.aiter_raw():
            yield chunk
    except httpx.HTTPError:
        pass  # the browser reconnects with Last-Event-ID
    finally:
        # The browser left and this task is being cancelled: close the upstream
        # connection all the same, or its socket would be left open.
        with anyio.CancelScope(shield=True):
            await upstream.aclose()
