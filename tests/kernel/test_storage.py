"""The outbox and the audit log."""

from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from shared import audit
from shared.auth import Principal
from shared.contracts.events import EVERY_PROFESSIONAL
from shared.db import create_engine
from shared.outbox import Event, OutboxEvent, publish

PRINCIPAL = Principal(sub="t1", name="Triagist", org=None, roles=frozenset({"triagist"}))

PUBLIC = EVERY_PROFESSIONAL.model_dump(mode="json")


async def count_events(app: Any) -> int:
    async with app.state.database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxEvent)) or 0)


async def test_an_event_exists_only_if_its_transaction_commits(app: Any) -> None:
    event = Event(type="capacity.updated", source="capacity", data={"free": 1}, audience=PUBLIC)
    async with app.state.database.sessions() as session:
        await publish(session, event)
        await session.rollback()
    assert await count_events(app) == 0
    async with app.state.database.sessions.begin() as session:
        await publish(session, event)
    assert await count_events(app) == 1
    async with app.state.database.sessions() as session:
        row = (await session.scalars(select(OutboxEvent))).one()
    assert row.id == event.id
    assert row.txid > 0
    assert event.body()["timestamp"].endswith("Z")


async def test_unknown_event_types_are_refused(app: Any) -> None:
    async with app.state.database.sessions() as session:
        with pytest.raises(ValueError, match="unknown event type"):
            await publish(
                session,
                Event(type="capacity.exploded", source="capacity", data={}, audience=PUBLIC),
            )


async def test_audit_log_is_append_only(app: Any, database_url: str) -> None:
    """Even for the owner of the schema: the table's trigger refuses. (No service's role
    may try at all: tests/security/test_database_roles.py.)"""
    async with app.state.database.sessions.begin() as session:
        await audit.record(
            session,
            PRINCIPAL,
            action="read",
            object_type="referral",
            object_id="r-1",
            source_address="10.1.2.3",
        )
    owner = create_engine(database_url, pool_size=1)
    try:
        for statement in (
            "UPDATE audit.audit_log SET outcome = 'x'",
            "DELETE FROM audit.audit_log",
        ):
            async with owner.connect() as connection:
                with pytest.raises(DBAPIError, match="append-only"):
                    await connection.execute(text(statement))
    finally:
        await owner.dispose()
    async with app.state.database.sessions() as session:
        row = (
            await session.execute(
                text(
                    "SELECT actor, actor_name, role, action, object_type, object_id, "
                    "source_address, outcome, at FROM audit.audit_log"
                )
            )
        ).one()
    assert tuple(row)[:8] == (
        "t1",
        "Triagist",
        "triagist",
        "read",
        "referral",
        "r-1",
        "10.1.2.3",
        "success",
    )
    assert row.at is not None
