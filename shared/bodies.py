"""Request bodies read with a bound: the size is checked as the bytes arrive, so a client
cannot make a process hold more than the bound in memory."""

from __future__ import annotations

from fastapi import Request

from shared.errors import PayloadTooLarge


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The body may be at most {limit} bytes; split it.",
        errors=[{"loc": ["body"], "msg": f"longer than {limit} bytes"}],
        extra={"max_bytes": limit},
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it announces or passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)
