"""`zorgplek`: the composition root, the one place that knows every service."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError

from shared import embedded
from shared.app import Component, create_app, migration_sets_of
from shared.auth import ROLES, issue_token
from shared.db import Database
from shared.observability import configure_logging
from shared.roles import migrate_as_owner
from shared.settings import Settings


def _capacity(settings: Settings) -> Component:
    from services import capacity

    return capacity.component(settings)


def _triage(settings: Settings) -> Component:
    from services import triage

    return triage.component(settings)


def _notify(settings: Settings) -> Component:
    from services import notify

    return notify.component(settings)


def _web(settings: Settings) -> Component:
    from services import web

    return web.component(settings)


SERVICES: dict[str, Callable[[Settings], Component]] = {
    "capacity": _capacity,
    "triage": _triage,
    "notify": _notify,
    "web": _web,
}


def components(settings: Settings, names: list[str] | None = None) -> list[Component]:
    return [SERVICES[name](settings) for name in (names or list(SERVICES))]


def _nothing() -> None:
    pass


def database_url(settings: Settings) -> tuple[str, Callable[[], None]]:
    """The owner's database URL, or the embedded one (development only), and what stops
    it."""
    if settings.database_url:
        return settings.database_url, _nothing
    if settings.env != "development":
        raise SystemExit("ZORGPLEK_DATABASE_URL is required outside development.")
    return embedded.start(settings.home / "pgdata")


def _owner_url(settings: Settings) -> tuple[str | None, Callable[[], None]]:
    """For a serving process: the owner's URL where there is one; none for a service given
    only its own role's URL in production (the schema is then migrated apart)."""
    if settings.database_url is None and settings.env != "development":
        return None, _nothing
    return database_url(settings)


def build_app(
    settings: Settings, names: list[str] | None = None
) -> tuple[FastAPI, Callable[[], None]]:
    """The app of these services; a database only when one of them keeps data."""
    chosen = components(settings, names)
    url, stop = _owner_url(settings) if migration_sets_of(chosen) else (None, _nothing)
    try:
        return create_app(chosen, settings, database_url=url), stop
    except ValueError as exc:
        stop()
        raise SystemExit(f"Configuration error: {exc}") from exc


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        messages = "; ".join(str(e["msg"]) for e in exc.errors())
        raise SystemExit(f"Configuration error: {messages}") from exc


def _print_welcome(settings: Settings, base: str) -> None:
    from services.capacity import demo

    lines = [
        "",
        f"Zorgplek is starting at {base}",
        f"  API documentation   {base}/docs",
        f"  Health / readiness  {base}/healthz  {base}/readyz",
        f"  Metrics             {base}/metrics",
    ]
    if settings.demo:
        lines.append("")
        lines.append("Demo tokens (valid 12 hours; use as 'Authorization: Bearer <token>'):")
        for user in demo.users():
            org = f" — {user.organisation_name}" if user.organisation_name else ""
            lines.append(f"  {user.role:<9} {user.name}{org}")
            lines.append(f"    {demo.token_for(settings, user)}")
    print("\n".join(lines), flush=True)


def cmd_up(args: argparse.Namespace) -> None:
    os.environ.setdefault("ZORGPLEK_ENV", "development")
    # The pages call the APIs in this same process over loopback, passing the user's address.
    os.environ.setdefault("ZORGPLEK_TRUSTED_PROXIES", "127.0.0.1,::1")
    overrides: dict[str, Any] = {"demo": args.demo or None}
    # The demo sign-in only for the demo on the embedded database, never on a configured
    # one, whatever ZORGPLEK_DEV_LOGIN says.
    dev_login = bool(args.demo) and not os.environ.get("ZORGPLEK_DATABASE_URL")
    settings = _settings(
        **{k: v for k, v in overrides.items() if v is not None},
        dev_login=dev_login,
        **_address(args),
    )
    _serve(settings, None, welcome=True)


def cmd_serve(args: argparse.Namespace) -> None:
    _serve(_settings(**_address(args)), [args.service], welcome=False)


def _serve(settings: Settings, names: list[str] | None, *, welcome: bool) -> None:
    """Serve until interrupted; an embedded database stops with the server."""
    configure_logging(settings.log_level)
    app, stop_database = build_app(settings, names)
    if welcome:
        _print_welcome(settings, f"http://{settings.host}:{settings.port}")
    # What is built by now (the modules, the app, its models) lives as long as the process:
    # kept out of the garbage collector's full passes, which otherwise walk all of it again
    # every few requests that allocate much (a match reads thousands of places).
    gc.collect()
    gc.freeze()
    try:
        uvicorn.run(app, **server_options(settings))
    finally:
        stop_database()


# Longer than any client keeps an idle connection (httpx: 5 s, the edge's proxies: 60 s): a
# server that closes first races the client's next request on that connection, which then
# fails with a read error although the request never reached us.
KEEP_ALIVE_SECONDS = 75


def server_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn serves an app. Its own proxy-header handling is off, whatever its
    environment says: the kernel reads ZORGPLEK_TRUSTED_PROXIES instead (shared/proxies)."""
    return {
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "proxy_headers": False,
        "server_header": False,
        "timeout_graceful_shutdown": 5,
    }


def _address(args: argparse.Namespace) -> dict[str, Any]:
    return {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}


async def _with_database(settings: Settings, work: Callable[[Database], Any]) -> Any:
    url, stop_database = database_url(settings)
    database = Database(url)
    try:
        return await work(database)
    finally:
        await database.dispose()
        stop_database()


def cmd_migrate(_: argparse.Namespace) -> None:
    settings = _settings()

    async def work(database: Database) -> None:
        sets = migration_sets_of(components(settings))
        await migrate_as_owner(database.url, settings, sets)

    asyncio.run(_with_database(settings, work))
    print("All schemas are at their head revision; the services' roles are up to date.")


def cmd_demo(_: argparse.Namespace) -> None:
    settings = _settings(demo=True)

    async def work() -> None:
        # Starting capacity and triage with the demo on loads it (and migrates first):
        # the locations, their capacity and the demo referrals, as `zorgplek up --demo` does.
        url, stop_database = database_url(settings)
        app = create_app(
            components(settings, ["capacity", "triage"]),
            settings,
            database_url=url,
            run_loops=False,
        )
        try:
            async with app.router.lifespan_context(app):
                pass
        finally:
            stop_database()

    asyncio.run(work())
    print("Demo data loaded.")


def cmd_token(args: argparse.Namespace) -> None:
    settings = _settings()
    try:
        token = issue_token(
            settings,
            sub=args.sub,
            name=args.name,
            roles=args.role,
            org=args.org,
            regions=args.region,
            ttl_seconds=args.ttl,
        )
    except (ValueError, RuntimeError) as exc:
        raise SystemExit(str(exc)) from exc
    print(token)


def cmd_apikey_create(args: argparse.Namespace) -> None:
    import uuid

    from services.capacity.organisations import service
    from services.capacity.organisations.schemas import ApiKeyIn
    from shared.auth import Principal

    settings = _settings()
    admin = Principal(sub="cli", name="zorgplek apikey", org=None, roles=frozenset({"admin"}))
    try:
        body = ApiKeyIn(scopes=args.scope, label=args.label)
        organisation_id = uuid.UUID(args.org)
    except (ValidationError, ValueError) as exc:
        raise SystemExit(f"Invalid input: {exc}") from exc

    async def work(database: Database) -> str:
        async with database.sessions.begin() as session:
            _, key = await service.create_api_key(session, admin, organisation_id, body)
            return key

    print(asyncio.run(_with_database(settings, work)))


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="zorgplek", description="Zorgplek: free care places.")
    sub = main.add_subparsers(dest="command", required=True)

    def address(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", help="listen address (ZORGPLEK_HOST, default 127.0.0.1)")
        p.add_argument("--port", type=int, help="listen port (ZORGPLEK_PORT, default 8080)")

    up = sub.add_parser("up", help="every service on one port; embedded PostgreSQL if unset")
    up.add_argument("--demo", action="store_true", help="load the demo regions and users")
    address(up)
    up.set_defaults(func=cmd_up)

    serve = sub.add_parser("serve", help="one service alone, as a container runs it")
    serve.add_argument("service", choices=sorted(SERVICES))
    address(serve)
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="bring every schema to its head").set_defaults(func=cmd_migrate)
    sub.add_parser("demo", help="load the demo data").set_defaults(func=cmd_demo)

    token = sub.add_parser("token", help="print a token signed with the configured secret")
    token.add_argument("--sub", required=True)
    token.add_argument("--name", required=True)
    token.add_argument("--role", action="append", required=True, choices=sorted(ROLES))
    token.add_argument("--org", help="organisation id")
    token.add_argument("--region", action="append", default=[], help="region code (repeat)")
    token.add_argument("--ttl", type=int, default=12 * 3600, help="seconds (default 12 h)")
    token.set_defaults(func=cmd_token)

    apikey = sub.add_parser("apikey", help="API keys").add_subparsers(dest="action", required=True)
    create = apikey.add_parser("create", help="issue a key for an organisation; printed once")
    create.add_argument("--org", required=True, help="organisation id")
    create.add_argument("--scope", action="append", required=True)
    create.add_argument("--label", required=True)
    create.set_defaults(func=cmd_apikey_create)
    return main


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    args.func(args)


if __name__ == "__main__":
    main(sys.argv[1:])
