"""The triage service: referrals, the RAP queue, matching, reservations, placement,
handover and KPIs."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI

from services.triage import models
from services.triage.audit.router import router as audit_router
from services.triage.base import KEYS_RETENTION, MIGRATIONS
from services.triage.capacity_client import close_client, open_client
from services.triage.fhir.router import router as fhir_router
from services.triage.matching.router import router as matching_router
from services.triage.queue import service as queue
from services.triage.queue.router import router as queue_router
from services.triage.referrals.router import router as referrals_router
from services.triage.reservations import expiry
from services.triage.reservations.router import router as reservations_router
from services.triage.stats import service as stats
from services.triage.stats.router import router as stats_router
from services.triage.triagists.router import router as triagists_router
from shared import fhir
from shared.app import Component, Loop
from shared.remote_keys import RemoteApiKeys
from shared.settings import Settings

GAUGE_INTERVAL_SECONDS = 15.0


async def _expire_reservations(app: FastAPI) -> None:
    async with app.state.database.sessions.begin() as session:
        await expiry.expire_due(session, app.state.triage_capacity)


async def _refresh_gauges(app: FastAPI) -> None:
    async with app.state.database.read_sessions() as session:
        await queue.refresh_gauges(session)
        await stats.refresh_gauges(
            session, app.state.triage_capacity, app.state.settings, datetime.now(UTC)
        )


def component(settings: Settings) -> Component:
    """The triage service, ready to be served alone or with the others."""
    startup = [open_client]
    if settings.demo:
        from services.triage.demo import load_on_startup

        startup.append(load_on_startup)
    return Component(
        name="triage",
        routers=[
            referrals_router,
            matching_router,
            reservations_router,
            queue_router,
            stats_router,
            audit_router,
            fhir_router,
            triagists_router,
        ],
        migrations=MIGRATIONS,
        api_key_resolver=RemoteApiKeys(settings),
        retention=[KEYS_RETENTION],
        loops=[
            Loop(
                "triage.expire_reservations", settings.sweep_interval_seconds, _expire_reservations
            ),
            Loop("triage.gauges", GAUGE_INTERVAL_SECONDS, _refresh_gauges),
        ],
        on_startup=startup,
        on_shutdown=[close_client],
        error_renderers=fhir.ERROR_RENDERERS,
    )


__all__ = ["component", "models"]
