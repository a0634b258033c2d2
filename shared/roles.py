"""Least privilege in the database: each service connects as a role of its own, with rights
on its own schema only, plus what the kernel's tables need (INSERT on the outbox and the
audit log, the ended sessions). No service role may create or drop anything, read another
service's tables, or change, delete or truncate an audit entry.

The migrations create and grant these roles, run as the database owner
(ZORGPLEK_DATABASE_URL). A service's role and password are those of its own URL
(ZORGPLEK_CAPACITY_DATABASE_URL, ..._TRIAGE_..., ..._NOTIFY_...) where one is configured;
otherwise the role is `zorgplek_<service>` with a password derived from the owner's (none
when the owner has none), so `zorgplek up` and the tests need no configuration. Several
services in one process (`zorgplek up`) connect as `zorgplek_app`, which holds the roles
of the services it serves: still never the owner.

Roles belong to the whole PostgreSQL cluster; their rights to one database."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from shared.db import create_engine
from shared.migrate import MigrationSet, migrate
from shared.settings import Settings

log = logging.getLogger("zorgplek.roles")

ALL_SERVICES_ROLE = "zorgplek_app"
KERNEL = "kernel"
# What every service role may do with the kernel's tables.
KERNEL_RIGHTS = (
    "USAGE ON SCHEMA events, audit, access",
    "INSERT ON events.outbox",
    "INSERT ON audit.audit_log",
    "SELECT, INSERT, DELETE ON access.ended_tokens",
    "SELECT ON events.alembic_version",  # readiness: is the schema at head?
)


def service_role(name: str) -> str:
    return f"zorgplek_{name}"


@dataclass(frozen=True, slots=True)
class Login:
    """A role and the password it signs in with (None: no password, e.g. a local socket)."""

    role: str
    password: str | None


def login_of(url: str) -> Login:
    parts = urlsplit(url)
    if not parts.username:
        raise ValueError("a service's database URL must name its role")
    password = unquote(parts.password) if parts.password is not None else None
    return Login(unquote(parts.username), password)


def with_login(url: str, login: Login) -> str:
    """`url` (host, port, database, options) signing in as `login`."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    credentials = quote(login.role, safe="")
    if login.password is not None:
        credentials += ":" + quote(login.password, safe="")
    return urlunsplit(
        (parts.scheme, f"{credentials}@{host}", parts.path, parts.query, parts.fragment)
    )


def derived_login(owner_url: str, role: str) -> Login:
    """`role` with a password only the owner's password yields (none if it has none)."""
    owner_password = urlsplit(owner_url).password
    if owner_password is None:
        return Login(role, None)
    key = unquote(owner_password).encode()
    digest = hmac.new(key, f"zorgplek-role:{role}".encode(), hashlib.sha256)
    return Login(role, base64.urlsafe_b64encode(digest.digest()).decode().rstrip("="))


def _service_sets(sets: Sequence[MigrationSet]) -> list[MigrationSet]:
    return [s for s in sets if s.name != KERNEL]


def service_logins(
    settings: Settings, owner_url: str, sets: Sequence[MigrationSet]
) -> dict[str, Login]:
    """Each service's role, by service name: from its own URL, else derived."""
    logins = {}
    for migration_set in _service_sets(sets):
        own = settings.service_database_url(migration_set.name)
        logins[migration_set.name] = (
            login_of(own) if own else derived_login(owner_url, service_role(migration_set.name))
        )
    return logins


def connection_url(settings: Settings, sets: Sequence[MigrationSet], owner_url: str | None) -> str:
    """What an app serving the services of `sets` connects as: one service its own role,
    several `zorgplek_app`."""
    names = [s.name for s in _service_sets(sets)]
    if len(names) == 1 and (own := settings.service_database_url(names[0])):
        return own
    if owner_url is None:
        wanted = f"ZORGPLEK_{names[0].upper()}_DATABASE_URL or " if len(names) == 1 else ""
        raise ValueError(f"{wanted}ZORGPLEK_DATABASE_URL is required")
    role = service_role(names[0]) if len(names) == 1 else ALL_SERVICES_ROLE
    return with_login(owner_url, derived_login(owner_url, role))


def ensure_roles(
    connection: Connection,
    settings: Settings,
    owner_url: str,
    sets: Sequence[MigrationSet],
) -> None:
    """Create the roles of `sets`' services where missing, set their passwords, and grant
    them their rights in this database; run by the owner after the migrations, each time.
    With more than one service, `zorgplek_app` gets the roles of all of them."""
    logins = service_logins(settings, owner_url, sets)
    for migration_set in _service_sets(sets):
        login = logins[migration_set.name]
        _ensure_login(connection, login)
        _grant(connection, login.role, migration_set)
    if len(logins) > 1:
        app = derived_login(owner_url, ALL_SERVICES_ROLE)
        _ensure_login(connection, app)
        for login in logins.values():
            _global(
                connection,
                _quoted(connection, "GRANT %I TO %I", login.role, app.role),
                functools.partial(_member, member=app.role, role=login.role),
            )


def _quoted(connection: Connection, template: str, *values: str | None) -> str:
    """A statement with identifiers (%I) and literals (%L) quoted by PostgreSQL itself."""
    params = {f"v{i}": v for i, v in enumerate(values)}
    args = ", ".join(f"CAST(:v{i} AS text)" for i in range(len(values)))
    return str(connection.scalar(text(f"SELECT format('{template}', {args})"), params))


def _exists(connection: Connection, role: str) -> bool:
    found = connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
    return found is not None


def _member(connection: Connection, member: str, role: str) -> bool:
    found = connection.scalar(
        text("SELECT pg_has_role(:m, :r, 'MEMBER')"), {"m": member, "r": role}
    )
    return bool(found)


def _global(connection: Connection, statement: str, done: Callable[[Connection], bool]) -> None:
    """A statement on the cluster's roles, which another database's migrations may be
    running at the same moment: when it fails but what it wanted holds, that is enough."""
    try:
        with connection.begin_nested():
            connection.execute(text(statement))
    except DBAPIError:
        if not done(connection):
            raise


def _ensure_login(connection: Connection, login: Login) -> None:
    if not _exists(connection, login.role):
        _global(
            connection,
            _quoted(connection, "CREATE ROLE %I LOGIN", login.role),
            lambda c: _exists(c, login.role),
        )
    if login.password is None:
        # No password of ours (a socket, a certificate): one set by others stays.
        statement = _quoted(connection, "ALTER ROLE %I LOGIN", login.role)
    else:
        statement = _quoted(
            connection, "ALTER ROLE %I LOGIN PASSWORD %L", login.role, login.password
        )
    # The same password from every run; a concurrent run setting it is as good.
    _global(connection, statement, lambda c: True)


def _grant(connection: Connection, role: str, migration_set: MigrationSet) -> None:
    rights = [*KERNEL_RIGHTS, *migration_set.kernel_rights]
    for schema in migration_set.schemas:
        rights += [
            f'USAGE ON SCHEMA "{schema}"',
            f'SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}"',
            f'USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}"',
        ]
    for right in rights:
        connection.execute(text(f"GRANT {right} TO " + _quoted(connection, "%I", role)))
    # Its own migrations' bookkeeping is read (readiness), never written.
    version = f'"{migration_set.version_schema}".alembic_version'
    connection.execute(
        text(f"REVOKE INSERT, UPDATE, DELETE ON {version} FROM " + _quoted(connection, "%I", role))
    )


async def migrate_as_owner(owner_url: str, settings: Settings, sets: list[MigrationSet]) -> None:
    """Bring `sets` to their heads and their services' roles up to date, as the owner."""
    engine = create_engine(owner_url, pool_size=1)
    try:
        await migrate(engine, sets, then=lambda c: ensure_roles(c, settings, owner_url, sets))
    finally:
        await engine.dispose()
