"""The seams between services are typed: each wire model is defined once, in
`shared.contracts`, and both sides use it — so a renamed or retyped field is a type error
on the producing and on the consuming side, found by `make lint` before anything runs.

`test_a_renamed_field_is_a_type_error_on_both_sides` shows it with mypy itself: a small
module written like capacity's availability search (the producer, which builds the models
by keyword) and like triage's client code (the consumer, which reads attributes) is clean
as it is, and every line that uses a field name the contract does not have is an error.
It shares mypy's cache with `make lint`, so it takes about a second once lint has run
(the very first run on a fresh clone fills the cache: some seconds more)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from pydantic import BaseModel

from services.capacity.availability import schemas as availability
from services.capacity.facilities.schemas import FacilityOut
from services.capacity.holds import schemas as holds
from services.capacity.organisations.schemas import OrganisationOut
from services.triage.matching import schemas as matching
from shared.contracts import capacity
from shared.contracts import matching as match_contract

ROOT = Path(__file__).resolve().parents[2]

SNIPPET = """
import uuid
from datetime import datetime

from shared.contracts.capacity import AvailabilityItem, FacilitySummary, HoldOut


def produce(now: datetime) -> AvailabilityItem:
    return AvailabilityItem(
        facility=FacilitySummary(
            id=uuid.uuid4(), name="Huize Zon", organisation_id=uuid.uuid4(),
            organisation_name="Zorggroep Zon", city="Haarlem", region_code="ZK-KENNEMERLAND",
            lat=52.38, lon=4.64, admission_hours="24/7", features=["dementia"],
        ),
        place_type="GRZ", free=1, available=1, held=0, staffed=4,
        expected_available_24h=None, observed_at=now, stale=False, distance_km=None,
    )


def consume(item: AvailabilityItem, hold: HoldOut) -> tuple[uuid.UUID, str, datetime]:
    return item.facility.organisation_id, item.facility.region_code, hold.expires_at


def produce_renamed() -> FacilitySummary:
    return FacilitySummary(  # ERROR: the producer still says organisation_title
        id=uuid.uuid4(), name="Huize Zon", organisation_id=uuid.uuid4(),
        organisation_title="Zorggroep Zon", city="Haarlem", region_code="ZK-KENNEMERLAND",
        lat=52.38, lon=4.64, admission_hours="24/7", features=[],
    )


def consume_renamed(item: AvailabilityItem) -> uuid.UUID:
    return item.facility.organisation  # ERROR: the consumer still reads organisation


def consume_retyped(hold: HoldOut) -> str:
    return hold.expires_at  # ERROR: a datetime is not a str
"""


def test_a_renamed_field_is_a_type_error_on_both_sides(tmp_path: Path) -> None:
    module = tmp_path / "seam_example.py"
    module.write_text(SNIPPET)
    expected = {number for number, line in enumerate(SNIPPET.splitlines(), 1) if "# ERROR" in line}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            str(module),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    errors = re.findall(rf"{re.escape(module.name)}:(\d+): error: (.*)", run.stdout)
    assert {int(line) for line, _ in errors} == expected, run.stdout
    messages = " ".join(message for _, message in errors)
    assert 'Missing named argument "organisation_name"' in messages
    assert 'has no attribute "organisation"' in messages


def test_each_wire_model_is_defined_once() -> None:
    """Capacity answers with the contract's classes and triage parses into them; no side
    keeps a copy of its own."""
    assert availability.FacilitySummary is capacity.FacilitySummary
    assert availability.AvailabilityItem is capacity.AvailabilityItem
    assert holds.HoldIn is capacity.HoldIn
    assert holds.HoldOut is capacity.HoldOut
    assert matching.MatchItem is match_contract.MatchItem
    assert match_contract.MatchItem.model_fields["facility"].annotation is capacity.FacilitySummary
    assert not hasattr(matching, "FacilitySummary")


def _fields(model: type[BaseModel]) -> dict[str, object]:
    return {name: field.annotation for name, field in model.model_fields.items()}


def test_what_triage_reads_of_a_facility_and_an_organisation_is_in_the_answer() -> None:
    """`FacilityRecord` and `OrganisationRecord` are the part of capacity's answers that
    other services read: every field, with its type, is in the answer."""
    for part, whole in (
        (capacity.FacilityRecord, FacilityOut),
        (capacity.OrganisationRecord, OrganisationOut),
    ):
        fields = _fields(whole)
        assert {name: fields.get(name) for name in _fields(part)} == _fields(part), part
