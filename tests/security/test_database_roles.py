"""Least privilege in the database: each service connects as a role of its own with rights
on its own schema only (plus INSERT on the outbox and the audit log); no role the
application uses may change, delete or truncate the audit log, or read another service's
tables. Tried as each role, against the real migrated database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from services.cli import components
from shared.app import create_app
from shared.db import plain_url
from shared.roles import ALL_SERVICES_ROLE, derived_login, service_role, with_login
from tests.conftest import make_settings

ROLES = [
    service_role("capacity"),
    service_role("triage"),
    service_role("notify"),
    ALL_SERVICES_ROLE,
]
OWN_TABLE = {
    "capacity": "capacity.facilities",
    "triage": "triage.referrals",
    "notify": "notify.subscriptions",
}


async def connect_as(database_url: str, role: str) -> asyncpg.Connection:
    return await asyncpg.connect(
        plain_url(with_login(database_url, derived_login(database_url, role)))
    )


@pytest.fixture
async def as_role(app: Any, database_url: str) -> AsyncIterator[Any]:
    """Connections as the roles the migrations made (the session's app ran them)."""
    opened: list[asyncpg.Connection] = []

    async def open_as(role: str) -> asyncpg.Connection:
        connection = await connect_as(database_url, role)
        opened.append(connection)
        return connection

    yield open_as
    for connection in opened:
        await connection.close()


AUDIT_ROW = (
    "INSERT INTO audit.audit_log (actor, actor_name, role, action, object_type, outcome) "
    "VALUES ('t', 'T', 'triagist', 'read', 'referral', 'success')"
)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE audit.audit_log",
        "UPDATE audit.audit_log SET outcome = 'forged'",
        "DELETE FROM audit.audit_log",
        "DROP TABLE audit.audit_log",
        "ALTER TABLE audit.audit_log DISABLE TRIGGER audit_log_append_only",
        "DROP SCHEMA audit CASCADE",
        "TRUNCATE events.outbox",
        "UPDATE events.outbox SET data = '{}'",
    ],
)
async def test_no_application_role_can_alter_the_audit_log_or_the_outbox(
    as_role: Any, role: str, statement: str
) -> None:
    connection = await as_role(role)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await connection.execute(statement)


@pytest.mark.parametrize("role", ROLES)
async def test_every_application_role_may_append_to_the_audit_log_and_the_outbox(
    as_role: Any, role: str
) -> None:
    connection = await as_role(role)
    await connection.execute(AUDIT_ROW)
    await connection.execute(
        "INSERT INTO events.outbox (id, type, source, occurred_at, data, audience) "
        "VALUES (gen_random_uuid(), 'capacity.updated', 'test', now(), '{}', '{}')"
    )


@pytest.mark.parametrize(
    ("service", "foreign"),
    [
        ("triage", "capacity.facilities"),
        ("triage", "capacity.capacity_reports"),
        ("triage", "notify.subscriptions"),
        ("capacity", "triage.referrals"),
        ("capacity", "notify.subscriptions"),
        ("notify", "triage.referrals"),
        ("notify", "capacity.facilities"),
        ("capacity", "events.outbox"),  # producers write events, never read them
        ("triage", "events.outbox"),
        ("capacity", "audit.audit_log"),  # only triage reads the trail, for auditors
        ("notify", "audit.audit_log"),
    ],
)
async def test_a_service_role_cannot_read_what_is_not_its_own(
    as_role: Any, service: str, foreign: str
) -> None:
    connection = await as_role(service_role(service))
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await connection.fetch(f"SELECT * FROM {foreign} LIMIT 1")


@pytest.mark.parametrize("service", sorted(OWN_TABLE))
async def test_a_service_role_works_its_own_schema_but_cannot_change_its_shape(
    as_role: Any, service: str
) -> None:
    connection = await as_role(service_role(service))
    await connection.fetch(f"SELECT * FROM {OWN_TABLE[service]} LIMIT 1")
    for statement in (
        f"CREATE TABLE {service}.smuggled (x int)",
        f"ALTER TABLE {OWN_TABLE[service]} ADD COLUMN smuggled int",
        f"TRUNCATE {OWN_TABLE[service]}",
        f"DROP SCHEMA {service} CASCADE",
        f"UPDATE {service}.alembic_version SET version_num = 'x'",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute(statement)


def _user(url: str) -> str | None:
    return urlsplit(url).username


async def test_the_services_connect_as_their_roles_never_as_the_owner(
    app: Any, database_url: str
) -> None:
    assert _user(app.state.database.url) == ALL_SERVICES_ROLE  # every service in one process
    settings = make_settings(database_url)
    for name in ("capacity", "triage", "notify"):
        alone = create_app(components(settings, [name]), settings, database_url=database_url)
        async with alone.router.lifespan_context(alone):
            assert _user(alone.state.database.url) == service_role(name)
            async with alone.state.database.engine.connect() as conn:
                who = (await conn.exec_driver_sql("SELECT current_user")).scalar()
            assert who == service_role(name)


async def test_a_service_given_its_own_url_connects_with_it_and_the_migrations_make_its_role(
    app: Any, database_url: str
) -> None:
    own = with_login(database_url, derived_login(database_url, "zorgplek_meldingen"))
    own = own.replace("zorgplek_meldingen@", "zorgplek_meldingen:S3cret-voor-notify@")
    settings = make_settings(database_url, notify_database_url=own)
    notify = create_app(components(settings, ["notify"]), settings, database_url=database_url)
    async with notify.router.lifespan_context(notify):
        assert _user(notify.state.database.url) == "zorgplek_meldingen"
        transport = httpx.ASGITransport(app=notify)
        async with httpx.AsyncClient(transport=transport, base_url="http://notify") as http:
            ready = await http.get("/readyz")  # the role reads the schema's version
        assert ready.status_code == 200, ready.text
    owner = await asyncpg.connect(plain_url(database_url))
    try:
        rights = await owner.fetchrow(
            "SELECT has_table_privilege('zorgplek_meldingen', 'notify.subscriptions', 'SELECT') "
            "AS own, has_table_privilege('zorgplek_meldingen', 'triage.referrals', 'SELECT') "
            "AS foreign, (SELECT rolcanlogin FROM pg_roles WHERE rolname = "
            "'zorgplek_meldingen') AS login"
        )
    finally:
        await owner.close()
    assert dict(rights) == {"own": True, "foreign": False, "login": True}
