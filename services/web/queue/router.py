"""Wachtrij: the region's queue by due time, claim, and the triagist's referral page
with matches, one-click reserve, advice, supra-regional search and handover."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from services.web.core.api import ApiError
from services.web.core.pages import PageRoute, require
from services.web.core.render import render
from services.web.queue import service
from services.web.referrals import cancelling

router = APIRouter(route_class=PageRoute, include_in_schema=False)
QUEUE_EVENTS = (
    "referral.created referral.status_changed reservation.held reservation.accepted "
    "reservation.declined reservation.expired reservation.released"
)


@router.get("/wachtrij")
async def queue_page(request: Request) -> Response:
    """The queue of the triagist's regions, most urgent first, with countdowns."""
    viewer = require(request, "triagist")
    referrals = await service.queue(viewer.api)
    return render(
        request,
        "queue/queue.html",
        {
            "title": "Wachtrij",
            "referrals": referrals,
            "me": viewer.principal.sub,
            "live_events": QUEUE_EVENTS,
        },
    )


@router.post("/wachtrij/{referral_id}/oppakken")
async def claim(request: Request, referral_id: uuid.UUID) -> Response:
    """Claim a referral: the triagist becomes its owner."""
    viewer = require(request, "triagist")
    await service.claim(viewer.api, referral_id)
    return RedirectResponse(f"/wachtrij/{referral_id}?melding=opgepakt", status_code=303)


@router.get("/wachtrij/{referral_id}")
async def referral_page(request: Request, referral_id: uuid.UUID) -> Response:
    """A referral for the triagist: matches with reasons, actions and the timeline. It
    changes nothing: `?bereik=bovenregionaal` shows what the form below found."""
    viewer = require(request, "triagist")
    asked = request.query_params.get("bereik", "regio")
    referral, timeline, matches, match_error = await service.referral_page(
        viewer.api, referral_id, asked, viewer.principal.sub
    )
    scope = service.shown_scope(referral, asked)
    colleagues = await service.colleagues(viewer.api, referral)
    return render(
        request,
        "queue/referral.html",
        {
            "title": "Aanmelding in de wachtrij",
            "referral": referral,
            "timeline": timeline,
            "matches": matches,
            "match_error": match_error,
            "scope": scope,
            "mine": referral.assignee is not None and referral.assignee.id == viewer.principal.sub,
            "colleagues": colleagues,
            "open": referral.status in service.OPEN,
            "cancellable": referral.status in cancelling.CANCELLABLE,
            "live_events": QUEUE_EVENTS,
        },
    )


@router.post("/wachtrij/{referral_id}/bovenregionaal")
async def search_wider(request: Request, referral_id: uuid.UUID) -> Response:
    """Search beyond the region (recorded in the timeline): a form, never a link, so no
    other site can escalate a referral."""
    viewer = require(request, "triagist")
    await service.escalate(viewer.api, referral_id)
    return RedirectResponse(f"/wachtrij/{referral_id}?bereik=bovenregionaal", status_code=303)


@router.post("/wachtrij/{referral_id}/reserveren")
async def reserve(
    request: Request, referral_id: uuid.UUID, facility_id: Annotated[str, Form()] = ""
) -> Response:
    """Reserve the chosen match with one click; the provider then decides."""
    viewer = require(request, "triagist")
    try:
        facility = uuid.UUID(facility_id)
    except ValueError:
        return RedirectResponse(f"/wachtrij/{referral_id}", status_code=303)
    try:
        await service.reserve(viewer.api, referral_id, facility)
    except ApiError as exc:
        if exc.status != 409:
            raise
        notice = "plek-regels" if exc.care_rules else "plek-bezet"
        return RedirectResponse(f"/wachtrij/{referral_id}?melding={notice}", status_code=303)
    return RedirectResponse(f"/wachtrij/{referral_id}?melding=gereserveerd", status_code=303)


@router.post("/wachtrij/{referral_id}/advies")
async def advise(
    request: Request,
    referral_id: uuid.UUID,
    advice: Annotated[str, Form()] = "",
    no_place: Annotated[str, Form()] = "",
) -> Response:
    """Give advice instead of a place: the referral closes, the referrer keeps the case.
    Ticked "geen passende plek gevonden", it counts as unmet demand."""
    viewer = require(request, "triagist")
    if not advice.strip():
        return RedirectResponse(f"/wachtrij/{referral_id}?melding=advies-leeg", status_code=303)
    await viewer.api.advise(referral_id, advice.strip(), "no_place" if no_place else None)
    return RedirectResponse(f"/wachtrij/{referral_id}?melding=advies", status_code=303)


@router.post("/wachtrij/{referral_id}/overdragen")
async def hand_over(request: Request, referral_id: uuid.UUID) -> Response:
    """Hand the placed patient over to the provider."""
    viewer = require(request, "triagist")
    await viewer.api.hand_over(referral_id)
    return RedirectResponse(f"/wachtrij/{referral_id}?melding=overgedragen", status_code=303)


@router.post("/wachtrij/{referral_id}/vrijgeven")
async def release(
    request: Request, referral_id: uuid.UUID, reservation_id: Annotated[str, Form()] = ""
) -> Response:
    """Give the held place back to try another: the referral searches again."""
    viewer = require(request, "triagist")
    return await service.release(viewer.api, reservation_id, back=f"/wachtrij/{referral_id}")


@router.post("/wachtrij/{referral_id}/teruggeven")
async def hand_back(request: Request, referral_id: uuid.UUID) -> Response:
    """Hand the case back to the queue, for a colleague to pick up (going off shift)."""
    viewer = require(request, "triagist")
    await service.assign(viewer.api, referral_id, None)
    return RedirectResponse("/wachtrij?melding=teruggegeven", status_code=303)


@router.post("/wachtrij/{referral_id}/toewijzen")
async def assign(
    request: Request, referral_id: uuid.UUID, assignee: Annotated[str, Form()] = ""
) -> Response:
    """Give the case to a colleague of the region."""
    viewer = require(request, "triagist")
    if not assignee.strip():
        return RedirectResponse(f"/wachtrij/{referral_id}?melding=kies-collega", status_code=303)
    await service.assign(viewer.api, referral_id, assignee.strip()[:255])
    return RedirectResponse(f"/wachtrij/{referral_id}?melding=toegewezen", status_code=303)


@router.get("/wachtrij/{referral_id}/annuleren")
async def cancel_page(request: Request, referral_id: uuid.UUID) -> Response:
    """Ask for confirmation and the reason before cancelling."""
    viewer = require(request, "triagist")
    referral = await viewer.api.referral(referral_id)
    return cancelling.page(
        request,
        referral,
        cancelling.CancelForm(),
        action=f"/wachtrij/{referral_id}/annuleren",
        back=f"/wachtrij/{referral_id}",
    )


@router.post("/wachtrij/{referral_id}/annuleren")
async def cancel(
    request: Request,
    referral_id: uuid.UUID,
    reason_code: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Cancel the referral, confirmed with a reason; any held place is released."""
    viewer = require(request, "triagist")
    form = cancelling.parse(reason_code, reason)
    if form.errors:
        referral = await viewer.api.referral(referral_id)
        return cancelling.page(
            request,
            referral,
            form,
            action=f"/wachtrij/{referral_id}/annuleren",
            back=f"/wachtrij/{referral_id}",
        )
    await cancelling.cancel(viewer.api, referral_id, form)
    return RedirectResponse(f"/wachtrij/{referral_id}?melding=geannuleerd", status_code=303)
