"""The live stream. Each process runs one hub that follows the outbox by itself (so every
replica serves its own clients) and hands each event to the connected clients that may see
it and asked for it. Each client has a bounded queue: a client too slow to empty it is
disconnected, and resumes with `Last-Event-ID`, rather than slowing everyone else."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.notify import metrics
from services.notify.audience import EventFilter, Viewer, may_see
from services.notify.relay.service import ReadPoint, event_of, read_next, start_point
from services.notify.stream import repository
from services.notify.waiting import wait_for_event, within
from shared import ended_tokens
from shared.contracts.events import Audience, EventData, read_audience, read_data
from shared.db import Database
from shared.errors import Unavailable
from shared.outbox import OutboxEvent
from shared.remote_keys import RemoteApiKeys

log = logging.getLogger("zorgplek.notify.stream")

RETRY_MILLISECONDS = 3000
POLL_SECONDS = 0.5
PAGE = 500
SCAN_FACTOR = 10  # a replay reads at most this many rows per event it may send
SESSION_CHECK_SECONDS = 5.0  # how often the hub asks whether its streams' sessions ended
KEY_CHECK_SECONDS = 30.0  # and whether the API keys of its streams were revoked
# Said as a stream ends because its token expired or was signed out.
EXPIRED = b": the credential of this stream expired; reconnect with a new one\n\n"
SIGNED_OUT = b": the session of this stream was signed out\n\n"
KEY_REVOKED = b": the API key of this stream was revoked\n\n"


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One event, its SSE frame rendered once for every client."""

    id: uuid.UUID
    type: str
    txid: int
    position: int
    occurred_at: datetime
    audience: Audience
    data: EventData | None
    frame: bytes

    @classmethod
    def of(cls, row: OutboxEvent) -> StreamEvent:
        body = json.dumps(event_of(row).body(), separators=(",", ":"), ensure_ascii=False)
        frame = f"id: {row.id}\nevent: {row.type}\ndata: {body}\n\n".encode()
        return cls(
            row.id,
            row.type,
            row.txid,
            row.position,
            row.occurred_at,
            read_audience(row.audience),
            read_data(row.type, row.data),
            frame,
        )


class StreamClient:
    """One connected stream."""

    def __init__(
        self,
        viewer: Viewer,
        event_filter: EventFilter,
        queue_size: int,
        last_seen: OutboxEvent | None,
        expires_at: datetime | None = None,
        session: str | None = None,
        api_key_id: uuid.UUID | None = None,
    ) -> None:
        self.viewer = viewer
        self.filter = event_filter
        self.queue: asyncio.Queue[StreamEvent] = asyncio.Queue(maxsize=queue_size)
        self.dropped = asyncio.Event()
        # When the credential the stream was opened with expires, and the sign-in it
        # belongs to: the stream ends at that moment, or when that session is signed out.
        self.expires_at = expires_at
        self.session = session
        # The API key it was opened with: the stream ends once that key is revoked.
        self.api_key_id = api_key_id
        self.farewell = b""
        self._seen = (last_seen.txid, last_seen.position, last_seen.id) if last_seen else None

    def wants(self, event: StreamEvent) -> bool:
        return self.filter.matches(event.type, event.data) and may_see(self.viewer, event.audience)

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def surely_seen(self, event: StreamEvent) -> bool:
        """Whether the client had this event before it came back (see `repository.missed`)."""
        if self._seen is None:
            return False
        txid, position, event_id = self._seen
        return event.id == event_id or (event.txid < txid and event.position < position)


def _now() -> datetime:
    return datetime.now(UTC)


class StreamHub:
    """Follows the outbox for this process's clients."""

    def __init__(
        self,
        queue_size: int,
        clock: Callable[[], datetime] = _now,
        keys: RemoteApiKeys | None = None,
    ) -> None:
        self.queue_size = queue_size
        self.keys = keys
        # The time as streams and their tickets see it; tests move it instead of waiting.
        self.clock = clock
        self.point: ReadPoint | None = None
        self.clients: set[StreamClient] = set()
        self.wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._sessions_checked_at: datetime | None = None
        self._keys_checked_at: datetime | None = None
        self._key_check: asyncio.Task[set[uuid.UUID]] | None = None

    async def start(self, database: Database) -> None:
        """Begin after everything written so far; earlier events are only replayed."""
        async with self._lock:
            if self.point is None:
                async with database.sessions() as session:
                    self.point = await start_point(session)

    def register(
        self, viewer: Viewer, event_filter: EventFilter, last_seen: OutboxEvent | None
    ) -> tuple[StreamClient, ReadPoint]:
        """Add a new client; see `attach`."""
        client = StreamClient(viewer, event_filter, self.queue_size, last_seen)
        return client, self.attach(client)

    def attach(self, client: StreamClient) -> ReadPoint:
        """Add a client. It gets every event after the returned point live; what came
        before it is the replay's."""
        assert self.point is not None, "start the hub first"
        self.clients.add(client)
        return self.point

    def unregister(self, client: StreamClient) -> None:
        """Forget a client that left (or was dropped)."""
        self.clients.discard(client)

    async def pump(self, database: Database, limit: int = PAGE) -> int:
        """Read what is new and hand it out; the number of events read. Pages are at most
        half a client's queue, so a burst does not overflow a client that keeps up."""
        await self.start(database)
        limit = max(1, min(limit, self.queue_size // 2))
        total = 0
        async with self._lock:
            await self._end_finished(database)
            while True:
                assert self.point is not None
                async with database.sessions() as session:
                    rows, point = await read_next(session, self.point, limit)
                # No await between handing out and moving on: a client registers either
                # before both or after both, so it neither misses nor repeats an event.
                self._hand_out([StreamEvent.of(row) for row in rows])
                self.point = point
                total += len(rows)
                if not rows:
                    return total

    async def _end_finished(self, database: Database) -> None:
        """End the streams whose credential has expired, before they get another event,
        those whose session was signed out (asked every `SESSION_CHECK_SECONDS`), and
        those whose API key was revoked (asked every `KEY_CHECK_SECONDS`)."""
        now = self.clock()
        for client in list(self.clients):
            if client.expired(now):
                self._end(client, EXPIRED)
        self._end_revoked_keys(now)
        if not _due(self._sessions_checked_at, now, SESSION_CHECK_SECONDS):
            return
        self._sessions_checked_at = now
        sessions = {client.session for client in self.clients if client.session is not None}
        if not sessions:
            return
        async with database.sessions() as session:
            ended = await ended_tokens.ended_sessions(session, sessions)
        for client in list(self.clients):
            if client.session in ended:
                self._end(client, SIGNED_OUT)

    def _end_revoked_keys(self, now: datetime) -> None:
        """Apply the last answer about API keys, and ask again when it is time. The asking
        runs beside the hub, so a slow capacity service holds no stream up."""
        asked = self._key_check
        if asked is not None and asked.done():
            self._key_check = None
            if not asked.cancelled() and asked.exception() is None:
                revoked = asked.result()
                for client in list(self.clients):
                    if client.api_key_id in revoked:
                        self._end(client, KEY_REVOKED)
            elif not asked.cancelled():
                log.warning("could not check the API keys of streams", exc_info=asked.exception())
        if self.keys is None or self._key_check is not None:
            return
        if not _due(self._keys_checked_at, now, KEY_CHECK_SECONDS):
            return
        key_ids = {c.api_key_id for c in self.clients if c.api_key_id is not None}
        if key_ids:
            self._keys_checked_at = now
            self._key_check = asyncio.create_task(_revoked(self.keys, key_ids))

    def _end(self, client: StreamClient, farewell: bytes) -> None:
        self.clients.discard(client)
        client.farewell = farewell
        client.dropped.set()

    def _hand_out(self, events: list[StreamEvent]) -> None:
        for client in list(self.clients):
            for event in events:
                if not client.wants(event) or client.surely_seen(event):
                    continue
                try:
                    client.queue.put_nowait(event)
                except asyncio.QueueFull:
                    self.clients.discard(client)
                    client.dropped.set()
                    metrics.notifications.labels("stream", "dropped").inc()
                    log.warning("stream client too slow; disconnected to resume later")
                    break

    async def run(self, database: Database) -> None:
        """Follow the outbox until cancelled: woken by NOTIFY, polling as a fallback."""
        try:
            while True:
                self.wake.clear()
                await self.pump(database)
                await wait_for_event(self.wake, POLL_SECONDS)
        finally:
            if self._key_check is not None:
                self._key_check.cancel()


def _due(last: datetime | None, now: datetime, seconds: float) -> bool:
    """Whether a check made at `last` is to be made again (a clock that went back: yes)."""
    return last is None or not last <= now < last + timedelta(seconds=seconds)


async def _revoked(keys: RemoteApiKeys, key_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these API keys are revoked; one that cannot be checked now is left be (its
    stream goes on, and is asked about again)."""

    async def revoked(key_id: uuid.UUID) -> bool:
        try:
            return await keys.active(key_id) is None
        except Unavailable:
            return False

    answers = await asyncio.gather(*(revoked(key_id) for key_id in key_ids))
    return {key_id for key_id, gone in zip(key_ids, answers, strict=True) if gone}


@dataclass(frozen=True, slots=True)
class Replay:
    """How much a returning client is sent of what it missed: events no older than
    `window` (how long the outbox keeps them), at most `max_events` of them — the newest —
    and no more than `max_scanned` rows read to find them."""

    max_events: int = 1000
    window: timedelta = timedelta(days=7)

    @property
    def max_scanned(self) -> int:
        return SCAN_FACTOR * self.max_events


@dataclass(slots=True)
class Opened:
    client: StreamClient
    frames: AsyncIterator[bytes]


async def open_stream(
    database: Database,
    hub: StreamHub,
    viewer: Viewer,
    event_filter: EventFilter,
    last_event_id: uuid.UUID | None,
    heartbeat_seconds: float,
    *,
    replay: Replay | None = None,
    expires_at: datetime | None = None,
    session_id: str | None = None,
    api_key_id: uuid.UUID | None = None,
) -> Opened:
    """A client and the frames to send it: what it missed since `last_event_id` (from the
    database, within `replay`'s bounds), then live events, with heartbeat comments, until
    `expires_at`, until the sign-in `session_id` is signed out, or until the API key
    `api_key_id` is revoked."""
    await hub.start(database)
    last_seen = None
    if last_event_id is not None:
        async with database.sessions() as session:
            last_seen = await repository.find(session, last_event_id)
    client = StreamClient(
        viewer, event_filter, hub.queue_size, last_seen, expires_at, session_id, api_key_id
    )
    frames = _frames(
        database, hub, client, last_event_id, last_seen, heartbeat_seconds, replay or Replay()
    )
    return Opened(client, frames)


async def _frames(
    database: Database,
    hub: StreamHub,
    client: StreamClient,
    last_event_id: uuid.UUID | None,
    last_seen: OutboxEvent | None,
    heartbeat_seconds: float,
    replay: Replay,
) -> AsyncIterator[bytes]:
    # Attached only once the response runs, so a client gone before that leaves nothing.
    bound = hub.attach(client)
    metrics.streams_open.inc()
    try:
        yield f"retry: {RETRY_MILLISECONDS}\n: connected\n\n".encode()
        if last_event_id is not None:
            async for frame in _replayed(database, hub, client, bound, last_seen, replay):
                yield frame
        while True:
            try:
                event = await within(client.queue.get(), heartbeat_seconds)
            except TimeoutError:
                yield b": heartbeat\n\n"
                continue
            # What queued up meanwhile goes out with it, in one write: a client that fell
            # behind catches up with one write instead of one per event.
            events = [event]
            while not client.queue.empty():
                events.append(client.queue.get_nowait())
            yield _sent(events)
    finally:
        hub.unregister(client)
        metrics.streams_open.dec()


async def _replayed(
    database: Database,
    hub: StreamHub,
    client: StreamClient,
    bound: ReadPoint,
    last_seen: OutboxEvent | None,
    replay: Replay,
) -> AsyncIterator[bytes]:
    """What a returning client missed, oldest first, with a comment where the replay
    leaves something out. The newest events are chosen, read backwards from where the live
    part begins (`bound`)."""
    since = hub.clock() - replay.window
    if last_seen is None:
        yield b": Last-Event-ID is unknown or no longer kept; the kept events follow\n\n"
    elif last_seen.occurred_at < since:
        yield b": Last-Event-ID is older than what is kept; the kept events follow\n\n"
    chosen: list[StreamEvent] = []
    scanned, before, complete = 0, None, True
    while True:
        async with database.sessions() as session:
            rows = await repository.missed(
                session,
                last_seen=last_seen,
                since=since,
                visible=repository.visible_to(client.viewer),
                horizon=bound.horizon,
                window_end=bound.window_end,
                last_position=bound.last_position,
                event_types=client.filter.event_types,
                before_position=before,
                limit=PAGE,
            )
        scanned += len(rows)
        chosen.extend(event for event in map(StreamEvent.of, rows) if client.wants(event))
        if len(chosen) >= replay.max_events or scanned >= replay.max_scanned:
            complete = len(rows) < PAGE and len(chosen) <= replay.max_events
            break
        if len(rows) < PAGE:
            break
        before = rows[-1].position
    if not complete:
        yield (
            f": the replay is limited to the newest {replay.max_events} events;"
            " older ones are left out\n\n"
        ).encode()
    for event in reversed(chosen[: replay.max_events]):
        yield _sent([event])


_DELIVERED = metrics.notifications.labels("stream", "delivered")
_LATENCY = metrics.notification_latency.labels("stream")


def _sent(events: list[StreamEvent]) -> bytes:
    """The frames of `events`, counted as delivered."""
    now = datetime.now(UTC)
    _DELIVERED.inc(len(events))
    for event in events:
        _LATENCY.observe(max((now - event.occurred_at).total_seconds(), 0.0))
    return b"".join(event.frame for event in events)
