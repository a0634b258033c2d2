"""The web pages: Dutch, rendered on the server, calling the public APIs over HTTP with the
signed-in user's token, as any client would. They import no other service, keep no data
and hold no secret that signs tokens: the APIs say who a token is, issue the demo tokens
(development only) and end a session when its user signs out."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from services.web.assets import router as assets
from services.web.attention.router import router as attention_router
from services.web.core.api import new_http_client
from services.web.core.pages import WebState, missing_page
from services.web.core.session import session_key
from services.web.live.router import router as live_router
from services.web.locations.router import router as locations_router
from services.web.places.router import router as places_router
from services.web.queue.router import router as queue_router
from services.web.referrals.router import router as referrals_router
from services.web.region.router import router as region_router
from services.web.reservations.router import router as reservations_router
from services.web.signin.router import router as signin_router
from shared.app import Component
from shared.settings import Settings

__all__ = ["component"]
log = logging.getLogger("zorgplek.web")


def component(settings: Settings) -> Component:
    """The web pages, mounted at `/`."""
    state = WebState(settings=settings, static_version=assets.version())

    async def start(app: FastAPI) -> None:
        if settings.dev_login and settings.env != "development":
            log.warning("ZORGPLEK_DEV_LOGIN is ignored outside development")
        app.state.web_session_key = session_key(settings)  # fails when none can be had
        state.http = new_http_client()
        app.state.web = state

    async def stop(_: FastAPI) -> None:
        if state.http is not None:
            await state.http.aclose()
            state.http = None

    return Component(
        name="web",
        routers=[
            assets.router,
            live_router,
            signin_router,
            places_router,
            referrals_router,
            queue_router,
            locations_router,
            reservations_router,
            region_router,
            attention_router,
        ],
        # The pages keep no data: no database, no migrations.
        migrations=None,
        on_startup=[start],
        on_shutdown=[stop],
        html_error_page=missing_page,
    )
