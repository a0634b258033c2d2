"""Mijn locaties: every location and place type of the provider, editable in seconds."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from services.web.core.api import ApiError
from services.web.core.pages import PageRoute, Viewer, require
from services.web.core.render import render
from services.web.locations import forms, service
from shared import reference

router = APIRouter(route_class=PageRoute, include_in_schema=False)


async def _page(
    request: Request,
    viewer: Viewer,
    *,
    failed: tuple[str, str] | None = None,
    form: forms.CapacityForm | None = None,
    contact: tuple[str, forms.ContactForm] | None = None,
    error: str | None = None,
) -> Response:
    organisation = viewer.principal.org
    locations = await service.locations(viewer.api, organisation) if organisation else []
    return render(
        request,
        "locations/locations.html",
        {
            "title": "Mijn locaties",
            "locations": locations,
            "fields": forms.FIELDS,
            "contact_fields": forms.CONTACT_FIELDS,
            "contact": contact,
            "failed": failed,
            "form": form,
            "error": error,
            "known_place_types": reference.place_types(),
        },
    )


@router.get("/locaties")
async def my_locations(request: Request) -> Response:
    """The provider's locations with their numbers and last report time."""
    viewer = require(request, "provider")
    return await _page(request, viewer)


@router.post("/locaties/{facility_id}/contact")
async def save_contact(request: Request, facility_id: uuid.UUID) -> Response:
    """Save how to reach a location: address, admissions phone and when to call how.
    (Declared before the place type route, which would otherwise take `contact`.)"""
    viewer = require(request, "provider")
    submitted = await request.form()
    form = forms.parse_contact({k: str(submitted.get(k) or "") for k in forms.CONTACT_FIELDS})
    if not form.errors:
        try:
            await service.save_contact(viewer.api, facility_id, form.body())
        except ApiError as exc:
            if exc.status != 422:
                raise
            for name in exc.fields:
                if name in forms.CONTACT_FIELDS:
                    form.errors[name] = forms.CONTACT_MESSAGES[name]
            if not form.errors:
                form.errors["phone"] = exc.message
    if form.errors:
        return await _page(
            request,
            viewer,
            contact=(str(facility_id), form),
            error="Het adres en de telefoon zijn niet opgeslagen; zie de melding bij het veld.",
        )
    return RedirectResponse(f"/locaties?melding=opgeslagen#contact-{facility_id}", status_code=303)


@router.post("/locaties/{facility_id}/bevestigen")
async def confirm_all(request: Request, facility_id: uuid.UUID) -> Response:
    """*Ongewijzigd bevestigen*: every place type of the location confirmed in one click, as
    the page showed it. (Declared before the place type route, which would take it.)"""
    viewer = require(request, "provider")
    submitted = await request.form()
    seen = {
        place_type: str(submitted.get(f"seen-{place_type}"))
        for place_type in reference.place_types()
        if submitted.get(f"seen-{place_type}")
    }
    try:
        complete = await service.confirm(viewer.api, facility_id, seen)
    except ApiError as exc:
        if exc.status != 422:
            raise
        return await _page(request, viewer, error="Er is niets bevestigd; laad de pagina opnieuw.")
    notice = "bevestigd" if complete else "deels-bevestigd"
    return RedirectResponse(f"/locaties?melding={notice}#loc-{facility_id}", status_code=303)


@router.post("/locaties/{facility_id}/{place_type}")
async def report_capacity(request: Request, facility_id: uuid.UUID, place_type: str) -> Response:
    """Save the numbers of one place type at one location, observed now."""
    viewer = require(request, "provider")
    anchor = f"cap-{facility_id}-{place_type}"
    if place_type not in reference.place_types():
        return await _page(request, viewer, error="Deze soort plek is niet bekend.")
    submitted = await request.form()
    form = forms.parse({k: str(submitted.get(k) or "") for k in forms.FIELDS})
    if not form.errors:
        try:
            await service.report(viewer.api, facility_id, place_type, form.body())
        except ApiError as exc:
            if exc.status != 422:
                raise
            form.errors.update({k: v for k, v in exc.fields.items() if k in forms.FIELDS})
            if not form.errors:
                form.errors["staffed"] = exc.fields.get("", exc.message)
    if form.errors:
        return await _page(
            request,
            viewer,
            failed=(str(facility_id), place_type),
            form=form,
            error="De cijfers zijn niet opgeslagen; zie de melding bij het veld.",
        )
    return RedirectResponse(f"/locaties?melding=opgeslagen#{anchor}", status_code=303)
