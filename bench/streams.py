"""`python -m bench.streams BASE COUNT`: the event scenario's SSE clients, in a process of
their own, so that reading a thousand sockets does not hold up the process that sends the
reports and receives the webhooks (and takes their times).

Opens COUNT streams, at most `OPENING` at a time (a thousand clients that arrive in the
same millisecond is a reconnection storm, another scenario), and prints one JSON line:
how many opened and how many were refused. Then reads a JSON list of facility ids from
stdin, waits until every open stream had all of them (at most `WAIT_SECONDS`), and prints
when each stream read each (`time.perf_counter`, the machine's monotonic clock, the same
in every process), and how many streams the server ended."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid

from bench.scenarios import _stream, _wait_for
from bench.stack import token

OPENING = 50
WAIT_SECONDS = 60.0


async def main(base: str, count: int) -> None:
    listeners: list[dict[bytes, float]] = [{} for _ in range(count)]
    gate = asyncio.Semaphore(OPENING)
    opened = [asyncio.Event() for _ in range(count)]
    refused = 0

    async def one(n: int) -> None:
        nonlocal refused
        headers = token(f"gp-stream-{n}", ["referrer"], org=str(uuid.uuid4()))
        async with gate:
            task = asyncio.create_task(_stream(base, headers, listeners[n], opened[n]))
            done = asyncio.create_task(opened[n].wait())
            await asyncio.wait({task, done}, return_when=asyncio.FIRST_COMPLETED)
            done.cancel()
        if not opened[n].is_set():
            refused += 1
        await task

    tasks = [asyncio.create_task(one(n)) for n in range(count)]
    await _wait_for(lambda: sum(e.is_set() for e in opened) + refused == count, WAIT_SECONDS)
    print(json.dumps({"opened": sum(e.is_set() for e in opened), "refused": refused}), flush=True)
    line = await asyncio.to_thread(sys.stdin.readline)
    keys = [key.encode() for key in json.loads(line)]
    listening = [seen for seen, e in zip(listeners, opened, strict=True) if e.is_set()]
    await _wait_for(lambda: all(k in seen for seen in listening for k in keys), WAIT_SECONDS)
    ended = sum(1 for task, e in zip(tasks, opened, strict=True) if task.done() and e.is_set())
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    at = [{k.decode(): v for k, v in seen.items()} for seen in listening]
    print(json.dumps({"at": at, "ended": ended}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
