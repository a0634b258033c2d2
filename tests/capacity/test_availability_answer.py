"""The availability search and matching's candidates write their answers straight from their
rows: byte for byte what the contract's `Page[AvailabilityItem]` and `Candidates` write for
the same items, which the OpenAPI document describes and every reader parses."""

from __future__ import annotations

import uuid
from collections import namedtuple
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.capacity.availability.repository import (
    SearchFilter,
    SearchShape,
    candidates_statement,
)
from services.capacity.availability.service import available_place, candidate_places
from services.capacity.capacity.staleness import free_expression, stale_expression_of
from shared.care_rules import AMSTERDAM, Finding, Verdict
from shared.contracts.capacity import AvailabilityItem, Candidates
from shared.pagination import Page, json_answer, json_page
from tests.capacity.test_availability import HAARLEM, HEEMSTEDE, place
from tests.capacity.test_availability_care_rules import SATURDAY_NIGHT, office_place
from tests.conftest import Clock, TokenFactory


@dataclass(frozen=True, slots=True)
class Row:
    """A search row as the repository answers it (its columns by name)."""

    id: uuid.UUID = field(default_factory=uuid.uuid4)
    name: str = 'Huize Één "Zon" <b>\u2028'
    organisation_id: uuid.UUID = field(default_factory=uuid.uuid4)
    organisation_name: str = "Zorg & Co"
    city: str = "Haarlem"
    region_code: str = "ZK-KENNEMERLAND"
    lat: float = 52.387412345678901
    lon: float = 4.6462
    admission_hours: str = "24/7"
    features: list[str] = field(default_factory=lambda: ["dementia", "male_only"])
    postcode: str | None = "2011 AB"
    street: str | None = "Grote Markt"
    house_number: str | None = "1a"
    phone: str | None = "+31235551234"
    contact_note: str | None = "Na 17:00 via de dienstdoende\tverpleegkundige\nbellen."
    place_type: str = "ELV_HOOG"
    free: int = 3
    available: int = 5
    held: int = 2
    staffed: int = 9
    expected_available_24h: int | None = 4
    observed_at: datetime = datetime(2026, 12, 2, 8, 44, 29, 123456, tzinfo=UTC)
    stale: bool = False
    source: str | None = "api"
    distance_km: float | None = 4.123456


ROWS: dict[str, Row] = {
    "every field": Row(),
    "nothing optional": Row(
        features=[],
        postcode=None,
        street=None,
        house_number=None,
        phone=None,
        contact_note=None,
        expected_available_24h=None,
        source=None,
        distance_km=None,
    ),
    "whole numbers and a whole second": Row(
        lat=52.0,
        lon=5.0,
        distance_km=0.0,
        observed_at=datetime(2026, 12, 2, 8, 0, tzinfo=UTC),
    ),
    "far and small": Row(distance_km=499.995, lat=-89.99999, lon=-179.000001, free=0),
    "stale": Row(stale=True, observed_at=datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC)),
}

REFUSED = Finding("single_sex", "Deze locatie neemt alleen mannen (mannenkamer) op.")
WARNED = Finding("single_sex", "alleen vrouwen (vrouwenkamer): overleg eerst met de locatie")
VERDICTS: dict[str, Verdict] = {
    "eligible": Verdict(),
    "refused": Verdict(refusals=(REFUSED,)),
    "warned, admits later": Verdict(
        warnings=(WARNED,), admits_from=datetime(2026, 12, 7, 8, 0, tzinfo=AMSTERDAM)
    ),
    "summer time": Verdict(admits_from=datetime(2026, 7, 6, 8, 0, tzinfo=AMSTERDAM)),
}


def contract_bytes(items: list[dict[str, Any]], next_cursor: str | None) -> bytes:
    """What the contract's own models write for these items."""
    page = Page[AvailabilityItem](
        items=[AvailabilityItem.model_validate(item) for item in items], next_cursor=next_cursor
    )
    return page.model_dump_json().encode()


@pytest.mark.parametrize("verdict", sorted(VERDICTS))
@pytest.mark.parametrize("row", sorted(ROWS))
def test_an_item_is_written_as_the_contract_writes_it(row: str, verdict: str) -> None:
    item = available_place(ROWS[row], VERDICTS[verdict])
    answer = json_page([item], 1, lambda _: (1,))
    assert answer.media_type == "application/json"
    assert answer.body == contract_bytes([item], None)


def test_a_full_page_carries_the_cursor_of_the_next() -> None:
    rows = [replace(Row(), free=n) for n in range(4)]
    items = [available_place(row, Verdict()) for row in rows]
    answer = json_page(items, 3, lambda _: (30,))
    parsed = Page[AvailabilityItem].model_validate_json(bytes(answer.body))
    assert [item.free for item in parsed.items] == [0, 1, 2]
    assert answer.body == contract_bytes(items[:3], parsed.next_cursor)
    assert parsed.next_cursor is not None


def test_nothing_else_is_written_as_json() -> None:
    item = {**available_place(Row(), Verdict()), "free": object()}
    with pytest.raises(TypeError):
        json_page([item], 1, lambda _: (1,))


async def test_the_answer_over_http_is_the_contracts(
    client: httpx.AsyncClient, auth: TokenFactory, clock: Clock
) -> None:
    """Real rows, with the care rules' refusals, warnings and admission moments."""
    clock(SATURDAY_NIGHT.astimezone(UTC))
    await place(client, auth, "Mannen", HAARLEM, 1, features=["male_only"])
    await place(client, auth, "Vrouwen", HEEMSTEDE, 2, features=["female_only", "dementia"])
    await place(client, auth, "Oud", HAARLEM, 2, age=timedelta(hours=13))
    await office_place(client, auth, "Kantoor")
    response = await client.get(
        "/api/v1/availability",
        params={
            "place_type": "ELV_HOOG",
            "near": f"{HAARLEM[0]},{HAARLEM[1]}",
            "sex": "female",
            "due_at": "2026-12-05T12:00:00+01:00",
            "include_ineligible": "true",
            "include_stale": "true",
            "limit": 3,
        },
        headers=auth("referrer"),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    page = Page[AvailabilityItem].model_validate_json(response.content)
    assert len(page.items) == 3
    assert page.next_cursor is not None
    assert {item.eligible for item in page.items} == {True, False}
    assert response.content == page.model_dump_json().encode()


def candidate_rows(rows: list[Row]) -> list[Any]:
    """Search rows as the candidates' statement answers them: its columns, in its order."""
    shape = SearchShape.of(SearchFilter(["GRZ"], None, None, None, [], 1, True))
    statement = candidates_statement(shape, stale_expression_of({}), free_expression())
    names = [column.name for column in statement.selected_columns]
    CandidateRow = namedtuple("CandidateRow", names)  # type: ignore[misc]
    return [CandidateRow(**{name: getattr(row, name) for name in names}) for row in rows]


def test_candidates_are_written_as_the_contract_writes_them() -> None:
    rows = candidate_rows([ROWS[name] for name in sorted(ROWS)])
    answer = json_answer({"items": candidate_places(rows)})
    written = Candidates.model_validate_json(bytes(answer.body))
    assert [item.facility.name for item in written.items] == [row.name for row in rows]
    assert answer.body == written.model_dump_json().encode()
    assert json_answer({"items": candidate_places([])}).body == b'{"items":[]}'
