"""The triage schema that the migrations build is exactly the one the models describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from services.triage.base import MIGRATIONS, SCHEMA


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "include_schemas": True,
            "version_table_schema": SCHEMA,
            "include_name": lambda name, type_, parent: (
                name == SCHEMA if type_ == "schema" else name != "alembic_version"
            ),
        },
    )
    return list(compare_metadata(context, MIGRATIONS.metadata))


async def test_models_match_migrations(app: Any) -> None:
    async with app.state.database.engine.connect() as conn:
        assert await conn.run_sync(_differences) == []


def test_migration_files_are_named_by_date() -> None:
    from importlib import resources

    names = [
        p.name
        for p in resources.files("services.triage").joinpath("migrations", "versions").iterdir()
        if p.name.endswith(".py") and p.name != "__init__.py"
    ]
    assert names
    for name in names:
        stamp, _, slug = name.partition("_")
        assert len(stamp) == 10, name
        assert stamp[4] == stamp[7] == "-", name
        assert slug.endswith(".py")
