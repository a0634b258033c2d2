"""The transactional outbox: an event is written in the same transaction as the change it
describes, so it exists if and only if that change committed. Which event types exist, and
the shapes of their data and audience, is registered here by the contracts that declare
them (docs/architecture.md#events-and-the-outbox)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import (
    BigInteger,
    DateTime,
    Identity,
    Index,
    Insert,
    String,
    bindparam,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from shared.db import KernelBase

NOTIFY_CHANNEL = "zorgplek_outbox"


class OutboxEvent(KernelBase):
    """One event. `data` and `audience` are JSON objects whose shape the event's type
    declares (`EventType`); `audience` says who may see it, so notify never reads a
    producer's schema."""

    __tablename__ = "outbox"
    # Readers take windows of transaction ids (see services/notify/relay), so by `txid`.
    __table_args__ = (
        Index("ix_outbox_txid", "txid"),
        Index("ix_outbox_occurred_at", "occurred_at"),
        {"schema": "events"},
    )

    position: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    audience: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # The writing transaction's id: readers take whole windows of transactions older than
    # every running one, so a row that commits late with a lower position is never skipped.
    txid: Mapped[int] = mapped_column(BigInteger, server_default=func.txid_current())


@dataclass(frozen=True, slots=True)
class Event:
    """An event as the outbox stores it: its `data` and `audience` in their wire form.
    Producers make one with `EventType.event`, from the type's models."""

    type: str
    source: str
    data: dict[str, Any]
    audience: dict[str, Any]
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def body(self) -> dict[str, Any]:
        """The wire form: `{"id", "type", "timestamp", "data"}`."""
        return {
            "id": str(self.id),
            "type": self.type,
            "timestamp": self.occurred_at.isoformat().replace("+00:00", "Z"),
            "data": self.data,
        }


DataT = TypeVar("DataT", bound=BaseModel)
AudienceT = TypeVar("AudienceT", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class EventType(Generic[DataT, AudienceT]):
    """A registered event type: its name and the models of its `data` and `audience`,
    which its producers write and its consumers read."""

    name: str
    data: type[DataT]
    audience: type[AudienceT]

    def event(self, source: str, data: DataT, audience: AudienceT) -> Event:
        """The event of this type with `data` for `audience`, in its wire form."""
        return Event(
            type=self.name,
            source=source,
            data=data.model_dump(mode="json"),
            audience=audience.model_dump(mode="json"),
        )


_registered: dict[str, EventType[Any, Any]] = {}


def register(
    name: str, data: type[DataT], audience: type[AudienceT]
) -> EventType[DataT, AudienceT]:
    """Declare an event type. The outbox refuses events of a type nobody registered, so a
    misspelt name fails where it is written. Registering the same name again with the
    same models is harmless; with other models it is a mistake and refused."""
    event_type = EventType(name, data, audience)
    known = _registered.setdefault(name, event_type)
    if known != event_type:
        raise ValueError(f"event type {name!r} is already registered with other models")
    return event_type


def registered(name: str) -> EventType[Any, Any] | None:
    """The registered event type called `name`, if any."""
    return _registered.get(name)


def event_types() -> frozenset[str]:
    """The names of every event type registered so far."""
    return frozenset(_registered)


def _check_registered(event: Event) -> None:
    if event.type not in _registered:
        raise ValueError(f"unknown event type {event.type!r}")


async def publish(session: AsyncSession, event: Event) -> None:
    """Write `event` into the caller's transaction; it is sent only if that commits."""
    _check_registered(event)
    # Inline: nothing is fetched back (no RETURNING of the position); producers may
    # insert into the outbox but not read it (shared/roles.py).
    row = {
        "id": event.id,
        "type": event.type,
        "source": event.source,
        "occurred_at": event.occurred_at,
        "data": event.data,
        "audience": event.audience,
    }
    await session.execute(insert(OutboxEvent).inline().values(row))


# The columns `insert_many` fills, and the array parameter each is read from.
_MANY: dict[str, tuple[str, TypeEngine[Any]]] = {
    "id": ("event_ids", UUID(as_uuid=True)),
    "type": ("event_types", String()),
    "source": ("event_sources", String()),
    "occurred_at": ("event_times", DateTime(timezone=True)),
    "data": ("event_data", JSONB()),
    "audience": ("event_audiences", JSONB()),
}


def insert_many() -> Insert:
    """An insert of any number of events, given as arrays (`many_values`), for a statement
    that writes the events together with the change they describe (as one of its `WITH`
    parts). Like `publish`, it fetches nothing back."""
    rows = (
        func.unnest(*(bindparam(name, type_=ARRAY(kind)) for name, kind in _MANY.values()))
        .table_valued(*_MANY)
        .render_derived(name="e")
    )
    return insert(OutboxEvent).from_select(list(_MANY), select(*(rows.c[c] for c in _MANY)))


def many_values(events: Sequence[Event]) -> dict[str, list[Any]]:
    """The parameters of `insert_many` for `events` (each of a registered type, as `publish`
    demands), as the driver takes them: data and audience as JSON text."""
    for event in events:
        _check_registered(event)
    return {
        "event_ids": [e.id for e in events],
        "event_types": [e.type for e in events],
        "event_sources": [e.source for e in events],
        "event_times": [e.occurred_at for e in events],
        "event_data": [json.dumps(e.data) for e in events],
        "event_audiences": [json.dumps(e.audience) for e in events],
    }
