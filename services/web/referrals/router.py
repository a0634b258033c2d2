"""Aanmelden, Mijn aanmeldingen and a referral's own page for the referrer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from services.web.core.api import ApiError
from services.web.core.pages import PageRoute, Viewer, require
from services.web.core.render import render
from services.web.queue import service as queue_service
from services.web.referrals import cancelling, forms, service
from shared import reference

router = APIRouter(route_class=PageRoute, include_in_schema=False)
LIVE_REFERRAL_EVENTS = (
    "referral.created referral.status_changed reservation.held reservation.accepted "
    "reservation.declined reservation.expired reservation.released"
)


async def _form_page(
    request: Request, viewer: Viewer, form: forms.ReferralForm, *, status_code: int = 200
) -> Response:
    facility = None
    if form.values["facility_id"]:
        facility = await service.facility(viewer.api, uuid.UUID(form.values["facility_id"]))
    return render(
        request,
        "referrals/form.html",
        {
            "title": "Aanmelden",
            "form": form,
            "labels": forms.LABELS,
            "facility": facility,
            "place_types": reference.place_types().values(),
            "regions": [r for r in reference.regions().values() if r.kind == "zorgkantoor"],
            "features": reference.features(),
            "urgencies": forms.URGENCIES,
            "sexes": forms.SEXES,
        },
        status_code=status_code,
    )


@router.get("/aanmelden")
async def referral_form(request: Request) -> Response:
    """Aanmelden: the referral form; with `locatie`, a direct booking of that place."""
    viewer = require(request, "referrer")
    facility_id = request.query_params.get("locatie", "")
    region = ""
    if facility_id:
        try:
            uuid.UUID(facility_id)
        except ValueError:
            facility_id = ""
    form = forms.blank(request.query_params.get("soort", ""), facility_id, region)
    if facility_id:
        facility = await service.facility(viewer.api, uuid.UUID(facility_id))
        if facility is not None:
            form.values["region_code"] = facility.region_code
    return await _form_page(request, viewer, form)


@router.post("/aanmelden")
async def submit_referral(request: Request) -> Response:
    """Send the referral; for a direct booking, reserve the chosen place at once."""
    viewer = require(request, "referrer")
    data = await request.form()
    needs = [str(n) for n in data.getlist("needs")]
    form = forms.parse(dict(data), needs)
    if form.errors:
        return await _form_page(request, viewer, form)
    try:
        referral = await service.submit(viewer.api, form, viewer.session.practice)
    except ApiError as exc:
        if exc.status != 422:
            raise
        form.errors.update({k if k in forms.LABELS else "": v for k, v in exc.fields.items()})
        form.errors.setdefault("", exc.message)
        return await _form_page(request, viewer, form)
    notice = "aangemeld"
    place_type = reference.place_types().get(form.values["place_type"])
    if form.values["facility_id"] and place_type is not None and place_type.direct_booking:
        try:
            await service.book(viewer.api, referral.id, uuid.UUID(form.values["facility_id"]))
            notice = "gereserveerd"
        except ApiError as exc:
            if exc.status not in (409, 403, 422):
                raise
            notice = "plek-regels" if exc.care_rules else "plek-weg"
    return RedirectResponse(f"/aanmeldingen/{referral.id}?melding={notice}", status_code=303)


@router.get("/aanmeldingen")
async def my_referrals(request: Request) -> Response:
    """Mijn aanmeldingen: the organisation's referrals with their live status; `referentie`
    finds one by the practice's own reference."""
    viewer = require(request, "referrer")
    reference = request.query_params.get("referentie", "").strip()[: forms.MAX_REFERENCE]
    referrals = await service.mine(viewer.api, reference)
    return render(
        request,
        "referrals/list.html",
        {
            "title": "Mijn aanmeldingen",
            "referrals": referrals,
            "reference": reference,
            "live_events": LIVE_REFERRAL_EVENTS,
        },
    )


@router.get("/aanmeldingen/{referral_id}")
async def referral_page(request: Request, referral_id: uuid.UUID) -> Response:
    """One referral: its status live, the place, the advice and the timeline."""
    viewer = require(request, "referrer")
    referral, timeline = await service.detail(viewer.api, referral_id)
    matches = await service.direct_matches(viewer.api, referral)
    return render(
        request,
        "referrals/detail.html",
        {
            "title": "Aanmelding",
            "referral": referral,
            "timeline": timeline,
            "matches": matches,
            "cancellable": referral.status in cancelling.CANCELLABLE,
            "live_events": LIVE_REFERRAL_EVENTS,
        },
    )


@router.post("/aanmeldingen/{referral_id}/reserveren")
async def book_directly(
    request: Request, referral_id: uuid.UUID, facility_id: Annotated[str, Form()] = ""
) -> Response:
    """Reserve one of the direct-bookable places for this referral."""
    viewer = require(request, "referrer")
    try:
        await service.book(viewer.api, referral_id, uuid.UUID(facility_id))
    except ValueError:
        return RedirectResponse(f"/aanmeldingen/{referral_id}", status_code=303)
    except ApiError as exc:
        if exc.status != 409:
            raise
        notice = "plek-regels" if exc.care_rules else "plek-weg"
        return RedirectResponse(f"/aanmeldingen/{referral_id}?melding={notice}", status_code=303)
    return RedirectResponse(f"/aanmeldingen/{referral_id}?melding=gereserveerd", status_code=303)


@router.post("/aanmeldingen/{referral_id}/vrijgeven")
async def release(
    request: Request, referral_id: uuid.UUID, reservation_id: Annotated[str, Form()] = ""
) -> Response:
    """Release the place this practice booked directly, to book another or leave it to
    the RAP; the referral goes back to searching."""
    viewer = require(request, "referrer")
    return await queue_service.release(
        viewer.api, reservation_id, back=f"/aanmeldingen/{referral_id}"
    )


@router.get("/aanmeldingen/{referral_id}/annuleren")
async def cancel_page(request: Request, referral_id: uuid.UUID) -> Response:
    """Ask for confirmation and the reason before cancelling."""
    viewer = require(request, "referrer")
    referral = await viewer.api.referral(referral_id)
    return cancelling.page(
        request,
        referral,
        cancelling.CancelForm(),
        action=f"/aanmeldingen/{referral_id}/annuleren",
        back=f"/aanmeldingen/{referral_id}",
    )


@router.post("/aanmeldingen/{referral_id}/annuleren")
async def cancel(
    request: Request,
    referral_id: uuid.UUID,
    reason_code: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Cancel the referral, confirmed with a reason; any held place is released, and a
    provider that already admitted the patient is told."""
    viewer = require(request, "referrer")
    form = cancelling.parse(reason_code, reason)
    if form.errors:
        referral = await viewer.api.referral(referral_id)
        return cancelling.page(
            request,
            referral,
            form,
            action=f"/aanmeldingen/{referral_id}/annuleren",
            back=f"/aanmeldingen/{referral_id}",
        )
    await cancelling.cancel(viewer.api, referral_id, form)
    return RedirectResponse(f"/aanmeldingen/{referral_id}?melding=geannuleerd", status_code=303)


@router.post("/aanmeldingen/{referral_id}/overdragen")
async def hand_over(request: Request, referral_id: uuid.UUID) -> Response:
    """Confirm the handover once the patient is placed."""
    viewer = require(request, "referrer")
    await viewer.api.hand_over(referral_id)
    return RedirectResponse(f"/aanmeldingen/{referral_id}?melding=overgedragen", status_code=303)
