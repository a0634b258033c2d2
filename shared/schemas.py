"""Field types every service validates the same way."""

from typing import Annotated

from pydantic import Field, StringConstraints

# The Netherlands and a margin around it: catches swapped or mistyped coordinates.
Latitude = Annotated[float, Field(ge=50.5, le=53.8, description="WGS84 latitude (NL).")]
Longitude = Annotated[float, Field(ge=3.2, le=7.4, description="WGS84 longitude (NL).")]
Postcode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[1-9]\d{3}( ?[A-Z]{2})?$"),
]
