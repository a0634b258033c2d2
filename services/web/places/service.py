"""Vrije plekken: the availability search with the filters of the page, in Dutch."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.web.core.api import Api, Query
from services.web.core.values import whole_number
from shared import reference
from shared.contracts.capacity import AvailabilityItem

RADII_KM = (5, 10, 25, 50, 100)


@dataclass(slots=True)
class Filters:
    """The board's filters as chosen, and a Dutch message beside each one that was wrong."""

    place_type: str = ""
    region: str = ""
    radius_km: int | None = None
    features: list[str] = field(default_factory=list)
    show_stale: bool = True
    errors: dict[str, str] = field(default_factory=dict)

    def query(self, practice: tuple[float, float] | None) -> Query:
        """The availability search's parameters for these filters."""
        params: Query = {
            "place_type": [self.place_type] if self.place_type else list(reference.place_types()),
            "include_stale": "true" if self.show_stale else "false",
            "limit": 200,
        }
        if self.region:
            params["region"] = self.region
        if practice is not None:
            params["near"] = f"{practice[0]},{practice[1]}"
            if self.radius_km is not None:
                params["radius_km"] = self.radius_km
        if self.features:
            params["features"] = ",".join(self.features)
        return params


def parse_filters(values: dict[str, list[str]], has_practice: bool) -> Filters:
    """Read the query string; wrong values are dropped with a Dutch message, never a 500."""
    filters = Filters()
    place_type = (values.get("soort") or [""])[0]
    if place_type and place_type not in reference.place_types():
        filters.errors["soort"] = "Kies een soort plek uit de lijst."
    else:
        filters.place_type = place_type
    region = (values.get("regio") or [""])[0]
    if region and region not in reference.regions():
        filters.errors["regio"] = "Kies een regio uit de lijst."
    else:
        filters.region = region
    radius = (values.get("afstand") or [""])[0]
    if radius:
        radius_km = whole_number(radius)
        if radius_km is None or radius_km not in RADII_KM:
            filters.errors["afstand"] = "Kies een afstand uit de lijst."
        elif not has_practice:
            filters.errors["afstand"] = "De locatie van uw praktijk is niet bekend."
        else:
            filters.radius_km = radius_km
    for feature in values.get("kenmerk") or []:
        if feature in reference.features():
            filters.features.append(feature)
        else:
            filters.errors["kenmerk"] = "Kies kenmerken uit de lijst."
    filters.show_stale = (values.get("verouderd") or ["tonen"])[0] != "verbergen"
    return filters


@dataclass(frozen=True, slots=True)
class Row:
    item: AvailabilityItem
    bookable: bool


async def search(
    api: Api, filters: Filters, practice: tuple[float, float] | None, may_book: bool
) -> list[Row]:
    """The free places for these filters, each marked whether the viewer may book it
    directly (ELV for a referrer, when fresh and free)."""
    page = await api.availability(filters.query(practice))
    rows = []
    for item in page.items:
        place_type = reference.place_types().get(item.place_type)
        bookable = bool(
            may_book
            and place_type is not None
            and place_type.direct_booking
            and item.free > 0
            and not item.stale
        )
        rows.append(Row(item, bookable))
    return rows
