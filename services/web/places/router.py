"""Vrije plekken: free places right now, filtered, updated live."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.web.core.pages import PageRoute, require
from services.web.core.render import render
from services.web.places import service
from shared import reference

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/plekken")
async def free_places(request: Request) -> Response:
    """The free places board for referrers, triagists and admins."""
    viewer = require(request, "referrer", "triagist", "admin", "provider")
    practice = viewer.session.practice
    values = {key: request.query_params.getlist(key) for key in request.query_params}
    filters = service.parse_filters(values, practice is not None)
    rows = await service.search(
        viewer.api, filters, practice, may_book=viewer.principal.has("referrer")
    )
    return render(
        request,
        "places/board.html",
        {
            "title": "Vrije plekken",
            "filters": filters,
            "rows": rows,
            "has_practice": practice is not None,
            "place_types": reference.place_types().values(),
            "regions": [r for r in reference.regions().values() if r.kind != "subregion"],
            "features": reference.features(),
            "radii": service.RADII_KM,
        },
    )
