"""Field types every service validates the same way."""

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from shared import reference

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
