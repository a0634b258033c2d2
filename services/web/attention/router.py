"""`/aandacht`: the signed-in user's attention list as JSON, for the live script."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from services.web.attention import service
from services.web.core.pages import PageRoute, require

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/aandacht")
async def attention(request: Request) -> Response:
    """How many things wait for the viewer, and a Dutch line about each."""
    viewer = require(request, "provider", "triagist")
    items = await service.of(viewer.api, viewer.role, viewer.principal.sub)
    return JSONResponse({"count": len(items), "items": items})
