"""`/docs`: the API, interactive, with Swagger UI served from the installed
`swagger-ui-bundle` package, so the page works without the internet (no CDN)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from swagger_ui_bundle import swagger_ui_path as _bundle

from shared.errors import NotFound

BUNDLE: Path = _bundle
ASSETS_PATH = "/docs/assets"
# The only files of the bundle the page uses.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}


@cache
def _asset(name: str) -> bytes:
    return (BUNDLE / name).read_bytes()


def router(title: str) -> APIRouter:
    """The docs page and its assets; public, like the OpenAPI document it shows."""
    docs = APIRouter(include_in_schema=False)

    @docs.get("/docs")
    async def swagger_ui(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=request.app.openapi_url,
            title=f"{title} – API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
            oauth2_redirect_url=None,
        )

    @docs.get(ASSETS_PATH + "/{name}")
    async def swagger_ui_asset(name: str) -> Response:
        content_type = ASSETS.get(name)
        if content_type is None:
            raise NotFound("No such documentation asset.")
        return Response(
            _asset(name),
            media_type=content_type,
            headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
        )

    return docs
