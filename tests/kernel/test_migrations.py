"""Every schema's models match what its migrations build: a model changed without a
migration (or the reverse) fails here, not in production."""

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from shared.migrate import MigrationSet


def _differences(connection: Connection, migration_set: MigrationSet) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "include_schemas": True,
            "include_name": lambda name, type_, _parent: (
                type_ != "schema" or name in migration_set.schemas
            ),
            "version_table_schema": migration_set.version_schema,
        },
    )
    return list(compare_metadata(context, migration_set.metadata))


def migration_sets(app: Any) -> list[MigrationSet]:
    from shared.app import migration_sets_of

    return migration_sets_of(app.state.components)


async def test_every_schema_matches_its_models(app: Any) -> None:
    names = [m.name for m in migration_sets(app)]
    assert {"kernel", "capacity", "triage", "notify"} <= set(names)
    async with app.state.database.engine.connect() as connection:
        for migration_set in migration_sets(app):
            differences = await connection.run_sync(_differences, migration_set)
            if differences:
                pytest.fail(f"{migration_set.name}: models and migrations differ: {differences}")
