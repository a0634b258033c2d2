"""Statements built and compiled once, then sent to the driver as they are: a hot path pays
for its parameters only, not for building a statement, its cache key and its result
processing on every call. Lists go in as arrays, so the text never changes with their
length and the database plans it once per connection."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ClauseElement, CursorResult
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True, slots=True)
class Compiled:
    """A statement as the driver receives it, and the names of its parameters in order."""

    sql: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, statement: ClauseElement, dialect: Dialect) -> Compiled:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        return cls(str(compiled), tuple(compiled.positiontup or ()))

    def arguments(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The values in the order the statement takes them (a missing one is a KeyError)."""
        return tuple(values[name] for name in self.names)

    async def execute(
        self, connection: AsyncConnection, values: Mapping[str, Any]
    ) -> CursorResult[Any]:
        """Run it on `connection`, in its transaction; values go to the driver unconverted."""
        return await connection.exec_driver_sql(self.sql, self.arguments(values))
