"""Field types every service validates the same way."""

import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Request
from pydantic import AfterValidator, AwareDatetime, Field

from shared import reference
from shared.errors import Invalid

# Text that PostgreSQL cannot store (NUL), that is not Unicode (unpaired surrogates), or
# that forges lines and terminal output (control characters, C0 and C1, and the Unicode line
# and paragraph separators). Multi-line text keeps tab and newline.
_NOT_IN_A_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NOT_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
INVALID_TEXT = (
    "contains a character that is not allowed (NUL, a control character or invalid Unicode)"
)


def check_line(value: str) -> str:
    """Single-line text: no control character at all, no line break, no tab."""
    if _NOT_IN_A_LINE.search(value):
        raise ValueError(INVALID_TEXT)
    return value


def check_text(value: str) -> str:
    """Multi-line text: tab and newline allowed (CR LF and CR become LF), nothing else."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if _NOT_IN_TEXT.search(value):
        raise ValueError(INVALID_TEXT)
    return value


def blank_is_none(value: object) -> object:
    """For optional text: an empty or blank string means "none" (a cleared form field)."""
    return None if isinstance(value, str) and not value.strip() else value


Line = Annotated[str, AfterValidator(check_line)]
"""Every single-line text of an input: names, labels, addresses, references, targets."""

Text = Annotated[str, AfterValidator(check_text)]
"""Every multi-line text of an input: notes, advice, reasons."""


async def refuse_invalid_parameters(request: Request) -> None:
    """Every route's query and path parameters, checked as single-line text before anything
    reaches the database: a 422 naming the parameter, never a 500."""
    for name, value in request.query_params.multi_items():
        if _NOT_IN_A_LINE.search(name) or _NOT_IN_A_LINE.search(value):
            raise Invalid(f"The query parameter {INVALID_TEXT}.", loc=["query", _safe(name)])
    for name, value in request.path_params.items():
        if isinstance(value, str) and _NOT_IN_A_LINE.search(value):
            raise Invalid(f"The path {INVALID_TEXT}.", loc=["path", name])


def _safe(name: str) -> str:
    """A parameter name fit to repeat in an answer."""
    return name if not _NOT_IN_A_LINE.search(name) and len(name) <= 64 else "?"


# The Netherlands and a margin around it: catches swapped or mistyped coordinates.
Latitude = Annotated[float, Field(ge=50.5, le=53.8, description="WGS84 latitude (NL).")]
Longitude = Annotated[float, Field(ge=3.2, le=7.4, description="WGS84 longitude (NL).")]

_POSTCODE = re.compile(r"^([1-9]\d{3})\s?([A-Z]{2})?$")


def normalise_postcode(value: str) -> str:
    """'2011ab' → '2011 AB'; '2011' stays '2011'."""
    match = _POSTCODE.match(value.strip().upper())
    if match is None:
        raise ValueError("a Dutch postcode is 'NNNN' or 'NNNN AA', e.g. 2011 AB")
    digits, letters = match.groups()
    return f"{digits} {letters}" if letters else digits


Postcode = Annotated[str, AfterValidator(normalise_postcode)]


def check_place_type(code: str) -> str:
    """A place type of the reference list."""
    if code not in reference.place_types():
        known = ", ".join(reference.place_types())
        raise ValueError(f"unknown place type {code!r}; known: {known}")
    return code


def check_feature(code: str) -> str:
    """A place feature of the reference list."""
    if code not in reference.features():
        raise ValueError(f"unknown feature {code!r}; known: {', '.join(reference.features())}")
    return code


def check_region(code: str) -> str:
    """A region of the reference list."""
    if code not in reference.regions():
        raise ValueError(f"unknown region code {code!r}; see GET /api/v1/regions")
    return code


PlaceTypeCode = Annotated[str, AfterValidator(check_place_type)]
FeatureCode = Annotated[str, AfterValidator(check_feature)]
RegionCode = Annotated[str, AfterValidator(check_region)]


# Moments Zorgplek can mean: nothing it records happened before 2000 or is planned past 2100.
# Outside that window a date is a mistake (or an attack on date arithmetic), never a 500.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def check_moment(value: datetime) -> datetime:
    """An aware moment from 2000 up to 2100, in UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a moment needs a time zone, e.g. 2026-11-22T10:00:00Z")
    try:
        moment = value.astimezone(UTC)
    except OverflowError:
        moment = EARLIEST - (LATEST - EARLIEST) if value.year < 2000 else LATEST
    if not EARLIEST <= moment < LATEST:
        raise ValueError("a moment must lie between 2000-01-01 and 2100-01-01")
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(check_moment)]
"""Every date and time an input carries (bodies and query parameters): RFC 3339 with a time
zone, range-checked, answered in UTC."""
