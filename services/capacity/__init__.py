"""The capacity service: registry, capacity reports and history, availability search and
holds."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from services.capacity import models
from services.capacity.availability import service as availability
from services.capacity.availability.router import router as availability_router
from services.capacity.base import KEYS_RETENTION, MIGRATIONS
from services.capacity.capacity import service as capacity
from services.capacity.capacity.models import CapacityReport, HistoryHour
from services.capacity.capacity.router import router as capacity_router
from services.capacity.demo_signin.router import router as demo_signin_router
from services.capacity.facilities.router import router as facilities_router
from services.capacity.fhir.router import public as fhir_public_router
from services.capacity.fhir.router import router as fhir_router
from services.capacity.holds import service as holds
from services.capacity.holds.router import router as holds_router
from services.capacity.organisations.router import introspection
from services.capacity.organisations.router import router as organisations_router
from services.capacity.organisations.service import resolve_api_key
from services.capacity.records.router import router as records_router
from services.capacity.regions.router import router as regions_router
from shared import fhir, retention
from shared.app import Component, Loop
from shared.clock import current_time
from shared.settings import Settings

GAUGE_INTERVAL_SECONDS = 15.0


async def _expire_holds(app: FastAPI) -> None:
    async with app.state.database.sessions.begin() as session:
        await holds.expire_due(session)


async def _publish_stale(app: FastAPI) -> None:
    async with app.state.database.sessions.begin() as session:
        await capacity.publish_stale(session, app.state.settings)


async def _remind_due(app: FastAPI) -> None:
    async with app.state.database.sessions.begin() as session:
        await capacity.remind_due(session, app.state.settings, await current_time())


async def _refresh_gauges(app: FastAPI) -> None:
    async with app.state.database.read_sessions() as session:
        await availability.refresh_gauges(session, app.state.settings)


def component(settings: Settings) -> Component:
    """The capacity service, ready to be served alone or with the others."""
    interval = settings.sweep_interval_seconds
    startup = []
    if settings.demo:
        from services.capacity.demo import load_on_startup

        startup.append(load_on_startup)
    return Component(
        name="capacity",
        routers=[
            regions_router,
            organisations_router,
            introspection,
            facilities_router,
            capacity_router,
            availability_router,
            records_router,
            holds_router,
            fhir_public_router,
            fhir_router,
            demo_signin_router,
        ],
        migrations=MIGRATIONS,
        retention=[
            KEYS_RETENTION,
            retention.Retention(
                "capacity.capacity_reports",
                retention.table_of(CapacityReport),
                "received_at",
                lambda s: timedelta(days=s.capacity_history_retention_days),
            ),
            # The history's hourly sums go with the reports they were made of.
            retention.Retention(
                "capacity.history_hours",
                retention.table_of(HistoryHour),
                "at",
                lambda s: timedelta(days=s.capacity_history_retention_days),
            ),
        ],
        loops=[
            Loop("capacity.expire_holds", interval, _expire_holds),
            Loop("capacity.publish_stale", interval * 6, _publish_stale),
            Loop("capacity.remind_due", interval * 6, _remind_due),
            Loop("capacity.gauges", GAUGE_INTERVAL_SECONDS, _refresh_gauges),
        ],
        on_startup=startup,
        api_key_resolver=resolve_api_key,
        error_renderers=fhir.ERROR_RENDERERS,
    )


__all__ = ["component", "models"]
