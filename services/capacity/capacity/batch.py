"""Batches of capacity reports, as JSON or CSV: bounded in rows (and, by the router, in
bytes), each row applied on its own, committed a chunk at a time.

Rows are applied in the one order every transaction locks places in (facility, place type),
so concurrent batches, holds and sweepers cannot deadlock; a place reported twice keeps its
rows' order. Each chunk is its own short transaction: the event relay, which waits for the
oldest open transaction, is never held up for longer than one chunk takes. A chunk is
applied as a whole (`service.report_many`): its places locked in one statement, each row
checked on its own, and the numbers, history and events of its good rows written in one
statement, so a refused row leaves nothing behind and good rows apply even when others are
refused."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.capacity import metrics
from services.capacity.capacity.repository import PlaceReport
from services.capacity.capacity.schemas import BatchReport, CapacityStateOut, RowError
from services.capacity.capacity.service import PlacesOutOfOrder, report, report_many
from shared.auth import Principal
from shared.contracts.capacity import ReportSource
from shared.errors import (
    DATA_EXCEPTION_CLASS,
    DomainError,
    Invalid,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from shared.settings import Settings

CSV_COLUMNS = (
    "facility_id",
    "place_type",
    "staffed",
    "occupied",
    "available",
    "expected_available_24h",
    "observed_at",
)
Result = CapacityStateOut | RowError


def _too_many(max_rows: int, loc: list[str]) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"A batch may hold at most {max_rows} reports; split it.",
        errors=[{"loc": loc, "msg": f"more than {max_rows} reports"}],
        extra={"max_rows": max_rows},
    )


def parse_batch(body: bytes, content_type: str, max_rows: int) -> list[Any]:
    """The rows of a batch: CSV with a header row (`text/csv`), else JSON
    `{"reports": [...]}`; 413 beyond `max_rows`, 415 for another media type."""
    if content_type == "text/csv":
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise Invalid("The CSV must be UTF-8.", loc=["body"]) from exc
        return parse_csv(text, max_rows)
    if content_type in ("application/json", ""):
        return parse_json(body, max_rows)
    raise UnsupportedMediaType("Send application/json or text/csv.")


def parse_json(body: bytes, max_rows: int) -> list[Any]:
    """The reports of a JSON batch `{"reports": [...]}`."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise Invalid('Send JSON {"reports": [...]}.', loc=["body", "reports"]) from exc
    reports = document.get("reports") if isinstance(document, dict) else None
    if not isinstance(reports, list):
        raise Invalid('Send JSON {"reports": [...]}.', loc=["body", "reports"])
    if len(reports) > max_rows:
        raise _too_many(max_rows, ["body", "reports"])
    return reports


def parse_csv(text: str, max_rows: int) -> list[dict[str, Any]]:
    """Rows of a CSV batch (header row first); empty cells are absent values. A record the
    CSV reader cannot read (a field beyond its limit, say) is a malformed body: 422 naming
    the row."""
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise Invalid("The CSV header cannot be read.", loc=["body", "header"]) from exc
    missing = [c for c in CSV_COLUMNS if c != "expected_available_24h" and c not in header]
    if missing:
        raise Invalid(
            f"The CSV header lacks the columns: {', '.join(missing)}.", loc=["body", "header"]
        )
    rows: list[dict[str, Any]] = []
    while True:
        number = len(rows) + 1
        try:
            row = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            raise Invalid(
                f"Row {number} of the CSV cannot be read ({exc}).", loc=["body", "row", str(number)]
            ) from exc
        if number > max_rows:
            raise _too_many(max_rows, ["body"])
        rows.append(
            {
                key: value
                for key, value in row.items()
                if key is not None and value not in ("", None)
            }
        )


def _errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in exc.errors()]


def _validated(rows: Sequence[Any]) -> tuple[list[tuple[int, BatchReport]], dict[int, Result]]:
    """Each row checked on its own: the valid ones by number, and an error for the others."""
    valid: list[tuple[int, BatchReport]] = []
    refused: dict[int, Result] = {}
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            refused[number] = RowError(
                row=number, errors=[{"loc": [], "msg": "A report must be an object."}]
            )
            continue
        try:
            valid.append((number, BatchReport.model_validate(row)))
        except ValidationError as exc:
            refused[number] = RowError(row=number, errors=_errors(exc))
    return valid, refused


def _row_error(number: int, exc: DomainError) -> RowError:
    return RowError(row=number, errors=exc.errors or [{"loc": ["facility_id"], "msg": exc.detail}])


def _is_data_exception(exc: DBAPIError) -> bool:
    state = getattr(exc.orig, "sqlstate", None)
    return state is not None and state.startswith(DATA_EXCEPTION_CLASS)


async def _apply(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    number: int,
    row: BatchReport,
    source: ReportSource,
) -> Result:
    """One row in a savepoint: its result, or its errors with nothing left behind."""
    try:
        async with session.begin_nested():
            return await report(
                session,
                principal,
                settings,
                row.facility_id,
                row.place_type,
                row,
                source=source,
                place_type_loc=["place_type"],
            )
    except DomainError as exc:
        return _row_error(number, exc)
    except DBAPIError as exc:
        if not _is_data_exception(exc):
            raise
        return RowError(row=number, errors=[{"loc": [], "msg": "a value cannot be stored"}])


async def _apply_chunk(
    sessions: async_sessionmaker[AsyncSession],
    principal: Principal,
    settings: Settings,
    chunk: list[tuple[int, BatchReport]],
    source: ReportSource,
) -> dict[int, Result]:
    """A chunk in one transaction: locked, checked and written all at once. Should the
    database refuse a value (every row is written in the one statement), or places never
    reported come between others, the chunk is applied again row by row, each row on its
    own as above."""
    reports = [PlaceReport(row.facility_id, row.place_type, row) for _, row in chunk]
    try:
        async with sessions.begin() as session:
            answers = await report_many(
                session, principal, settings, reports, source=source, place_type_loc=["place_type"]
            )
    except DBAPIError as exc:
        if not _is_data_exception(exc):
            raise
    except PlacesOutOfOrder:
        pass
    else:
        return {
            number: _row_error(number, answer) if isinstance(answer, DomainError) else answer
            for (number, _), answer in zip(chunk, answers, strict=True)
        }
    async with sessions.begin() as session:
        return {
            number: await _apply(session, principal, settings, number, row, source)
            for number, row in chunk
        }


async def report_batch(
    sessions: async_sessionmaker[AsyncSession],
    principal: Principal,
    settings: Settings,
    rows: Sequence[Any],
    *,
    source: ReportSource,
) -> list[Result]:
    """Apply each row on its own, `batch_chunk_rows` rows per transaction; one result per
    row, in the order sent. Each report is kept with `source` (`csv` or `api`)."""
    valid, results = _validated(rows)
    valid.sort(key=lambda item: (item[1].facility_id, item[1].place_type))
    size = settings.batch_chunk_rows
    for start in range(0, len(valid), size):
        chunk = valid[start : start + size]
        results |= await _apply_chunk(sessions, principal, settings, chunk, source)
    rejected = sum(isinstance(result, RowError) for result in results.values())
    metrics.capacity_reports.labels("rejected").inc(rejected)
    return [results[number] for number in sorted(results)]
