"""The application factory: one builder for a single service (`zorgplek serve`) and for all
of them on one port (`zorgplek up`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from shared import audit, docs, ended_tokens, metrics, outbox, session_api
from shared.auth import ApiKeyResolver, TokenVerifier
from shared.db import Database, KernelBase
from shared.errors import ErrorRenderer, HtmlErrorPage, install_handlers
from shared.migrate import MigrationSet, at_head
from shared.observability import RequestMiddleware
from shared.ratelimit import RateLimiter
from shared.retention import Retention, prune_all
from shared.roles import connection_url, login_of, migrate_as_owner, with_login
from shared.schemas import refuse_invalid_parameters
from shared.settings import Settings

log = logging.getLogger("zorgplek.app")

# The kernel's tables, all registered on its metadata before migrations compare with it.
KERNEL_TABLES = (outbox.OutboxEvent, audit.AuditEntry, ended_tokens.EndedToken)
KERNEL_MIGRATIONS = MigrationSet(
    name="kernel",
    package="shared",
    schemas=("events", "audit", "access"),
    metadata=KernelBase.metadata,
)


@dataclass(frozen=True, slots=True)
class Loop:
    """Background work run every `interval` seconds; each run claims its own rows."""

    name: str
    interval: float
    run: Callable[[FastAPI], Awaitable[None]]


@dataclass(slots=True)
class Component:
    """What one service brings to an app."""

    name: str
    routers: Sequence[APIRouter]
    # None: the component keeps no data and needs no database (the web pages).
    migrations: MigrationSet | None
    loops: Sequence[Loop] = ()
    on_startup: Sequence[Callable[[FastAPI], Awaitable[None]]] = ()
    on_shutdown: Sequence[Callable[[FastAPI], Awaitable[None]]] = ()
    api_key_resolver: ApiKeyResolver | None = None
    # How a browser is told, outside the API, that an address or method does not exist.
    html_error_page: HtmlErrorPage | None = None
    # (path prefix, renderer): failures under the prefix in another format than problem+json
    error_renderers: Sequence[tuple[str, ErrorRenderer]] = ()
    # Rows the service deletes once they have served (shared/retention.py).
    retention: Sequence[Retention] = ()
    extra: dict[str, object] = field(default_factory=dict)


async def _supervise(app: FastAPI, loop: Loop) -> None:
    while True:
        try:
            await loop.run(app)
        except asyncio.CancelledError:
            raise
        except Exception:
            metrics.background_loop_errors.labels(loop.name).inc()
            log.exception("background loop failed; retrying", extra={"loop": loop.name})
        await asyncio.sleep(loop.interval)


def create_app(
    components: Sequence[Component],
    settings: Settings,
    *,
    database_url: str | None,
    run_loops: bool = True,
) -> FastAPI:
    """An app serving `components`. `database_url` is the owner's: with it the app first
    migrates and brings the services' roles up to date; it then connects as the role of its
    services (shared/roles.py), never as the owner. Without it (a service given only its
    own ZORGPLEK_<SERVICE>_DATABASE_URL) the schema is migrated apart (`zorgplek migrate`)
    and readiness waits for it. An app whose components keep no data (the web pages
    alone) has no database at all."""
    name = components[0].name if len(components) == 1 else "zorgplek"
    migration_sets = migration_sets_of(components)
    role_url: str | None = None
    pruning = retention_loops(components, settings)
    if migration_sets:
        settings.check_api()
        role_url = connection_url(settings, migration_sets, database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = None
        tasks: list[asyncio.Task[None]] = []
        app.state.loop_tasks = tasks
        try:
            if role_url is not None:
                if database_url is not None:
                    await migrate_as_owner(database_url, settings, migration_sets)
                read_url = settings.database_read_url
                database = Database(
                    role_url,
                    with_login(read_url, login_of(role_url)) if read_url else None,
                    settings.database_pool_size,
                )
                app.state.database = database
            for component in components:
                for hook in component.on_startup:
                    await hook(app)
            if run_loops:
                for loop in [*(lp for c in components for lp in c.loops), *pruning]:
                    tasks.append(asyncio.create_task(_supervise(app, loop), name=loop.name))
            app.state.started = True
            yield
        finally:
            app.state.started = False
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for component in components:
                for hook in component.on_shutdown:
                    await hook(app)
            if database is not None:
                await database.dispose()

    title = "Zorgplek" if name == "zorgplek" else f"Zorgplek {name}"
    # FastAPI's own /docs and /redoc load their scripts from a CDN; ours ship in a package.
    app = FastAPI(
        title=title,
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(refuse_invalid_parameters)],
    )
    app.state.settings = settings
    app.state.started = False
    app.state.token_verifier = TokenVerifier(settings)
    app.state.rate_limiter = (
        RateLimiter(settings.rate_limit_writes_per_minute, settings.rate_limit_searches_per_minute)
        if settings.rate_limits
        else None
    )
    app.state.components = list(components)
    app.state.error_renderers = list(
        {prefix: r for c in components for prefix, r in c.error_renderers}.items()
    )
    for component in components:
        # The first wins: capacity's own database lookup, where it runs in this process.
        if component.api_key_resolver is not None and not hasattr(app.state, "api_key_resolver"):
            app.state.api_key_resolver = component.api_key_resolver
        if component.html_error_page is not None:
            app.state.html_error_page = component.html_error_page
        for router in component.routers:
            app.include_router(router)
    install_handlers(app)
    app.add_middleware(RequestMiddleware, service=name, trusted_proxies=settings.trusted_networks())
    app.include_router(_probes(migration_sets))
    app.include_router(docs.router(title))
    if migration_sets:
        app.include_router(session_api.router)
    return app


def retention_loops(components: Sequence[Component], settings: Settings) -> list[Loop]:
    rules = [rule for component in components for rule in component.retention]
    if not rules:
        return []

    async def run(app: FastAPI) -> None:
        await prune_all(app.state.database.sessions, rules, settings, datetime.now(UTC))

    return [Loop("retention", settings.retention_interval_seconds, run)]


def migration_sets_of(components: Sequence[Component]) -> list[MigrationSet]:
    """The kernel's and each component's migrations; none when no component keeps data."""
    own = [c.migrations for c in components if c.migrations is not None]
    return [KERNEL_MIGRATIONS, *own] if own else []


def _probes(migration_sets: list[MigrationSet]) -> APIRouter:
    """`/healthz`, `/readyz` and `/metrics`: public by choice, for probes and Prometheus."""
    router = APIRouter(include_in_schema=False)
    schema_ok = False

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        nonlocal schema_ok
        app = request.app
        checks: dict[str, str] = {}
        if not app.state.started:
            checks["startup"] = "not finished"
        else:
            checks["startup"] = "ok"
            if migration_sets:  # an app without a database is ready without one
                try:
                    async with app.state.database.engine.connect() as conn:
                        await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=2)
                        if not schema_ok:
                            schema_ok = await at_head(app.state.database.engine, migration_sets)
                    checks["database"] = "ok"
                    checks["schema"] = "ok" if schema_ok else "behind"
                except Exception as exc:  # any failure to reach it means "not ready"
                    checks["database"] = f"unreachable: {type(exc).__name__}"
            dead = [t.get_name() for t in app.state.loop_tasks if t.done()]
            checks["background"] = "ok" if not dead else "stopped: " + ", ".join(dead)
        ready = all(v == "ok" for v in checks.values()) and bool(checks)
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics")
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
