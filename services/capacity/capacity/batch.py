"""Batches of capacity reports, as JSON or CSV: bounded in rows (and, by the router, in
bytes), each row applied on its own, committed a chunk at a time.

Rows are applied in the one order every transaction locks places in (facility, place type),
so concurrent batches, holds and sweepers cannot deadlock; a place reported twice keeps its
rows' order. Each chunk is its own short transaction: the event relay, which waits for the
oldest open transaction, is never held up for longer than one chunk takes. Within a chunk
each row runs in a savepoint, so a refused row leaves nothing behind and good rows apply
even when others are refused."""

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
from services.capacity.capacity.schemas import (
    BatchReport,
    CapacityReportIn,
    CapacityStateOut,
    RowError,
)
from services.capacity.capacity.service import report
from services.capacity.facilities import repository as facilities
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


async def _apply(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    number: int,
    row: BatchReport,
    source: ReportSource,
) -> Result:
    """One row in a savepoint: its result, or its errors with nothing left behind."""
    data = CapacityReportIn.model_validate(row.model_dump(exclude={"facility_id", "place_type"}))
    try:
        async with session.begin_nested():
            return await report(
                session,
                principal,
                settings,
                row.facility_id,
                row.place_type,
                data,
                source=source,
                place_type_loc=["place_type"],
            )
    except DomainError as exc:
        errors = exc.errors or [{"loc": ["facility_id"], "msg": exc.detail}]
        return RowError(row=number, errors=errors)
    except DBAPIError as exc:
        state = getattr(exc.orig, "sqlstate", None)
        if state is None or not state.startswith(DATA_EXCEPTION_CLASS):
            raise
        return RowError(row=number, errors=[{"loc": [], "msg": "a value cannot be stored"}])


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
        async with sessions.begin() as session:
            # Read in one query and held for the chunk, so each row finds its facility in
            # the session instead of asking the database again.
            known = await facilities.get_many(session, {row.facility_id for _, row in chunk})
            for number, row in chunk:
                results[number] = await _apply(session, principal, settings, number, row, source)
            del known
    rejected = sum(isinstance(result, RowError) for result in results.values())
    metrics.capacity_reports.labels("rejected").inc(rejected)
    return [results[number] for number in sorted(results)]
