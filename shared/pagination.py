"""Paged lists: `limit` (default 50, max 500) and an opaque `cursor`."""

from __future__ import annotations

import base64
import json
import math
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Query, Response
from pydantic import BaseModel

from shared.errors import Invalid
from shared.schemas import check_line, check_moment

T = TypeVar("T")
U = TypeVar("U")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_CURSOR_LENGTH = 2048
# What a BIGINT (and so an OFFSET or an id) can hold.
MAX_INTEGER = 2**63 - 1

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None

    def map(self, convert: Callable[[T], U]) -> Page[U]:
        """The same page with each item converted, e.g. rows into their answers."""
        return Page(items=[convert(item) for item in self.items], next_cursor=self.next_cursor)


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([str(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _in_range(value: Any) -> Any:
    """A cursor is sent back by the client, so each part is checked as any input is: whole
    numbers fit a BIGINT, moments lie in Zorgplek's window, text is valid single-line text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and not -MAX_INTEGER - 1 <= value <= MAX_INTEGER:
        raise ValueError("number out of range")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("number out of range")
    if isinstance(value, datetime):
        return check_moment(value)
    if isinstance(value, str):
        return check_line(value)
    return value


def decode_cursor(cursor: str | None, *types: Callable[[str], Any]) -> tuple[Any, ...] | None:
    """The position a cursor points at, each part converted by `types` and range-checked;
    422 naming `cursor` when it is not one of ours."""
    if cursor is None:
        return None
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError("wrong shape")
        if not all(isinstance(value, str) for value in values):
            raise ValueError("wrong shape")
        return tuple(
            _in_range(convert(value)) for convert, value in zip(types, values, strict=True)
        )
    except (ValueError, TypeError, OverflowError) as exc:
        raise Invalid("The cursor is not valid.", loc=["query", "cursor"]) from exc


def page(rows: Sequence[T], limit: int, position: Callable[[T], Sequence[Any]]) -> Page[T]:
    """A page from `limit + 1` rows: the extra row only tells that there is more, and
    `position` of the page's last row is where the next page starts (`next_cursor`). Every
    paged list is made here; `Page.map` turns the rows into their answers."""
    items = list(rows[:limit])
    more = len(rows) > limit and items
    return Page(items=items, next_cursor=encode_cursor(position(items[-1])) if more else None)


def json_page(
    items: Sequence[dict[str, Any]], limit: int, position: Callable[[dict[str, Any]], Sequence[Any]]
) -> Response:
    """`page` for a hot list whose items are already their answers' JSON objects (each
    key in its model's field order), written in one go: the same bytes as the `Page` of
    those models, without building and validating a model per item."""
    shown = items[:limit]
    more = len(items) > limit and shown
    return json_answer(
        {"items": shown, "next_cursor": encode_cursor(position(shown[-1])) if more else None}
    )


def json_answer(body: dict[str, Any]) -> Response:
    """A hot answer that is already its model's JSON object (each key, nested ones too, in
    its model's field order), written in one go: the same bytes as that model writes."""
    content = orjson.dumps(body, default=_uuid, option=orjson.OPT_UTC_Z)
    return Response(content, media_type="application/json")


def _uuid(value: object) -> str:
    """The driver's own UUIDs (a subclass orjson does not take): as pydantic writes them."""
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not written as JSON here")
