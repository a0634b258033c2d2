"""Regio: free, staffed, stale and the forecast per region and place type, 7 days of
history, KPIs, unmet demand, verkeerde beddagen and the locations' track records."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.web.core.pages import PageRoute, require
from services.web.core.render import render
from services.web.region import service
from shared import reference

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/regio")
async def region_page(request: Request) -> Response:
    """The regional picture for coordinators, viewers, triagists and admins."""
    viewer = require(request, "viewer", "triagist", "admin")
    chosen = request.query_params.get("regio")
    error = None
    if chosen is None:
        chosen = viewer.principal.regions[0] if viewer.principal.regions else ""
    elif chosen and chosen not in reference.regions():
        error, chosen = "Kies een regio uit de lijst.", ""
    picture = await service.picture(viewer.api, chosen or None, with_stats=True)
    order = request.query_params.get("sorteer", "slechtst")
    if order not in service.ORDERS:
        order = "slechtst"
    return render(
        request,
        "region/region.html",
        {
            "title": "Regio",
            "chosen": chosen,
            "region_error": error,
            "picture": picture,
            "kpis": service.kpi_rows(picture.stats),
            "unmet": service.unmet_rows(picture),
            "beds": service.bed_rows(picture.stats),
            "records": service.sort_records(picture.compliance, order),
            "order": order,
            "orders": service.ORDERS,
            "duration": service.duration,
            "regions": [r for r in reference.regions().values() if r.kind != "subregion"],
        },
    )
