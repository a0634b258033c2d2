"""Schema migrations: each service has its own Alembic folder and version table in its own
schema; the kernel has one for the `events` and `audit` schemas."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine

# Serialises migrations when several replicas start at once.
MIGRATION_LOCK = 7_244_431


@dataclass(frozen=True, slots=True)
class MigrationSet:
    name: str
    package: str  # the package holding `migrations/`
    schemas: tuple[str, ...]  # created before migrating; the first holds the version table
    metadata: MetaData
    # Rights the service's database role needs on the kernel's tables beyond every
    # service's (shared/roles.py), e.g. "SELECT ON events.outbox".
    kernel_rights: tuple[str, ...] = ()

    @property
    def version_schema(self) -> str:
        return self.schemas[0]

    def config(self) -> Config:
        cfg = Config()
        location = resources.files(self.package).joinpath("migrations")
        cfg.set_main_option("script_location", str(location))
        cfg.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
        cfg.attributes["migration_set"] = self
        return cfg

    def head(self) -> str | None:
        return ScriptDirectory.from_config(self.config()).get_current_head()


def run_env() -> None:
    """The body of every `migrations/env.py`: migrate on the connection we were handed."""
    cfg = context.config
    migration_set: MigrationSet = cfg.attributes["migration_set"]
    connection: Connection = cfg.attributes["connection"]
    for schema in migration_set.schemas:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    context.configure(
        connection=connection,
        target_metadata=migration_set.metadata,
        version_table_schema=migration_set.version_schema,
        include_schemas=True,
        include_name=lambda name, type_, _parent: (
            type_ != "schema" or name in migration_set.schemas
        ),
    )
    with context.begin_transaction():
        context.run_migrations()


def _upgrade(connection: Connection, migration_set: MigrationSet) -> None:
    cfg = migration_set.config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


async def migrate(
    engine: AsyncEngine,
    sets: list[MigrationSet],
    *,
    then: Callable[[Connection], None] | None = None,
) -> None:
    """Bring every schema to its head, one process at a time; `then` runs in the same
    transaction afterwards (the roles and their rights, shared/roles.py)."""
    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        for migration_set in sets:
            await conn.run_sync(_upgrade, migration_set)
        if then is not None:
            await conn.run_sync(then)


def _current(connection: Connection, migration_set: MigrationSet) -> Any:
    ctx = MigrationContext.configure(
        connection, opts={"version_table_schema": migration_set.version_schema}
    )
    return ctx.get_current_revision()


async def at_head(engine: AsyncEngine, sets: list[MigrationSet]) -> bool:
    """Whether every schema is at its head revision."""
    async with engine.connect() as conn:
        for migration_set in sets:
            if await conn.run_sync(_current, migration_set) != migration_set.head():
                return False
    return True
