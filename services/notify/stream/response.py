"""A Server-Sent Events response that ends when the client leaves, is dropped as too slow
or its credential expires — even while a write to that client is stuck."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from services.notify.stream.service import StreamClient
from services.notify.waiting import within

log = logging.getLogger("zorgplek.notify.stream")

FINAL_WRITE_SECONDS = 1.0


class EventStreamResponse(StreamingResponse):
    media_type = "text/event-stream"

    def __init__(
        self, frames: AsyncIterator[bytes], client: StreamClient, status_code: int = 200
    ) -> None:
        # `status_code` keeps Starlette's signature: OpenAPI reads a route's default status
        # from its response class's constructor.
        super().__init__(
            frames,
            status_code=status_code,
            headers={
                "cache-control": "no-cache",
                # A stream's connection is never reused: once the stream ends — the client
                # dropped as too slow, its credential expired — the server closes it, rather
                # than keeping it open for a next request that will not come.
                "connection": "close",
                # Proxies such as nginx must pass each event on as it is written.
                "x-accel-buffering": "no",
            },
        )
        self.frames = frames
        self.client = client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        writer = asyncio.create_task(self._write(send))
        left = asyncio.create_task(self._until_disconnect(receive))
        dropped = asyncio.create_task(self.client.dropped.wait())
        tasks = (writer, left, dropped)
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await _close(self.frames)
        if writer in done and not writer.cancelled() and writer.exception() is not None:
            log.warning("stream ended by an error; the client resumes", exc_info=writer.exception())
        if left in done:
            return
        # Ended by us (dropped, expired, or the frames stopped): finish the response, with
        # a last word where there is one, if the client still takes data; if it does not,
        # returning closes the connection.
        try:
            last = {"type": "http.response.body", "body": self.client.farewell, "more_body": False}
            await within(
                send(last),
                FINAL_WRITE_SECONDS,
            )
        except TimeoutError:
            pass

    async def _write(self, send: Send) -> None:
        async for frame in self.frames:
            await send({"type": "http.response.body", "body": frame, "more_body": True})

    @staticmethod
    async def _until_disconnect(receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass


async def _close(frames: AsyncIterator[bytes]) -> None:
    close = getattr(frames, "aclose", None)
    if close is not None:
        await close()
