"""Reserveringen: the provider accepts or declines (with a reason), live."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from services.web.core.api import ApiError
from services.web.core.messages import DECLINE_REASONS
from services.web.core.pages import PageRoute, Viewer, require
from services.web.core.render import render
from services.web.reservations import service
from shared.bsn import contains_bsn

router = APIRouter(route_class=PageRoute, include_in_schema=False)
EVENTS = (
    "reservation.held reservation.accepted reservation.declined reservation.expired "
    "reservation.released referral.status_changed"
)


async def _page(
    request: Request,
    viewer: Viewer,
    *,
    errors: dict[str, str] | None = None,
    failed: str | None = None,
    status_code: int = 200,
) -> Response:
    waiting, recent = await service.incoming(viewer.api)
    return render(
        request,
        "reservations/reservations.html",
        {
            "title": "Reserveringen",
            "waiting": waiting,
            "recent": recent,
            "reasons": DECLINE_REASONS,
            "errors": errors or {},
            "failed": failed,
            "live_events": EVENTS,
            "error": "Niet afgewezen; zie de melding bij het veld." if errors else None,
        },
        status_code=status_code,
    )


@router.get("/reserveringen")
async def reservations_page(request: Request) -> Response:
    """Reservations on the provider's locations: waiting ones first, with countdowns."""
    viewer = require(request, "provider")
    return await _page(request, viewer)


def _gone(exc: ApiError) -> bool:
    return exc.status in (404, 409)


@router.post("/reserveringen/{reservation_id}/accepteren")
async def accept(request: Request, reservation_id: uuid.UUID) -> Response:
    """Accept: the patient is placed and the place counted occupied."""
    viewer = require(request, "provider")
    try:
        await service.accept(viewer.api, reservation_id)
    except ApiError as exc:
        if not _gone(exc):
            raise
        return RedirectResponse("/reserveringen?melding=verlopen", status_code=303)
    return RedirectResponse("/reserveringen?melding=geaccepteerd", status_code=303)


@router.post("/reserveringen/{reservation_id}/afwijzen")
async def decline(
    request: Request,
    reservation_id: uuid.UUID,
    reason_code: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Decline with a reason: the referral goes back to searching."""
    viewer = require(request, "provider")
    errors: dict[str, str] = {}
    if reason_code not in DECLINE_REASONS:
        errors["reason_code"] = "Kies een reden van afwijzen."
    if len(note) > 500:
        errors["note"] = "Gebruik hoogstens 500 tekens."
    elif contains_bsn(note):
        errors["note"] = "Dit lijkt op een BSN. Vul nooit een BSN of naam in."
    if errors:
        return await _page(request, viewer, errors=errors, failed=str(reservation_id))
    try:
        await service.decline(viewer.api, reservation_id, reason_code, note.strip() or None)
    except ApiError as exc:
        if not _gone(exc):
            raise
        return RedirectResponse("/reserveringen?melding=verlopen", status_code=303)
    return RedirectResponse("/reserveringen?melding=afgewezen", status_code=303)
