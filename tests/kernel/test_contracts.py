"""The seams between services are typed: each wire model is defined once, in
`shared.contracts`, and both sides use it — so a renamed or retyped field is a type error
on the producing and on the consuming side, found by `make lint` before anything runs.

`test_a_renamed_field_is_a_type_error_on_both_sides` shows it with mypy itself: a small
module written like capacity's availability search (the producer, which builds the models
by keyword) and like triage's client code (the consumer, which reads attributes) is clean
as it is, and every line that uses a field name the contract does not have is an error.
`test_an_events_renamed_field_is_a_type_error_on_both_sides` does the same for an event's
data and audience (`shared.contracts.events`), which the producers publish and notify reads.
Both share mypy's cache with `make lint`, so it takes about a second once lint has run
(the very first run on a fresh clone fills the cache: some seconds more)."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import get_type_hints

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from pydantic import ValidationError

from services.capacity.availability import schemas as availability
from services.capacity.facilities.router import router as facilities_router
from services.capacity.facilities.schemas import FacilityOut
from services.capacity.holds import schemas as holds
from services.capacity.organisations.router import router as organisations_router
from services.capacity.organisations.schemas import OrganisationOut
from services.triage.capacity_client import CapacityClient
from services.triage.matching import schemas as matching
from shared import outbox
from shared.contracts import capacity, events
from shared.contracts import matching as match_contract
from shared.contracts.referrals import Person, TimelineDetail

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


def mypy_errors(tmp_path: Path, snippet: str) -> list[tuple[int, str]]:
    """mypy's errors in `snippet`, written as a module: (line, message) each."""
    module = tmp_path / "seam_example.py"
    module.write_text(snippet)
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
    found = re.findall(rf"{re.escape(module.name)}:(\d+): error: (.*)", run.stdout)
    assert found or run.returncode == 0, run.stdout + run.stderr
    return [(int(line), message) for line, message in found]


def marked(snippet: str) -> set[int]:
    return {number for number, line in enumerate(snippet.splitlines(), 1) if "# ERROR" in line}


def test_a_renamed_field_is_a_type_error_on_both_sides(tmp_path: Path) -> None:
    errors = mypy_errors(tmp_path, SNIPPET)
    assert {line for line, _ in errors} == marked(SNIPPET), errors
    messages = " ".join(message for _, message in errors)
    assert 'Missing named argument "organisation_name"' in messages
    assert 'has no attribute "organisation"' in messages


# An event written like capacity's and triage's `events` modules (the producers, which
# build the data and audience by keyword and publish them as the registered type) and read
# like notify's `audience` module (the consumer, which reads attributes).
EVENT_SNIPPET = """
import uuid
from datetime import datetime

from shared.contracts.events import (
    CAPACITY_UPDATED, EVERY_PROFESSIONAL, RESERVATION_HELD, CapacityData, MembersAudience,
    ReferralData, Where,
)
from shared.outbox import Event


def capacity_data(now: datetime) -> CapacityData:
    return CapacityData(
        facility_id=uuid.uuid4(), organisation_id=uuid.uuid4(), place_type="GRZ",
        region_code="ZK-KENNEMERLAND", lat=52.38, lon=4.64, free=1, available=1, held=0,
        staffed=4, observed_at=now,
    )


def produce(now: datetime) -> Event:
    return CAPACITY_UPDATED.event("capacity", capacity_data(now), EVERY_PROFESSIONAL)


def consume(audience: MembersAudience, data: ReferralData) -> tuple[list[uuid.UUID], Where]:
    return audience.organisation_ids, Where(data.place_type, data.region_code)


def produce_renamed() -> MembersAudience:
    return MembersAudience(  # ERROR: the producer still says organisations
        organisations=[uuid.uuid4()], regions=["ZK-KENNEMERLAND"]
    )


def consume_renamed(audience: MembersAudience, data: ReferralData) -> list[str]:
    return audience.regions + [data.region]  # ERROR: the consumer still reads region


def produce_wrong_type(now: datetime) -> Event:
    audience = MembersAudience(organisation_ids=[], regions=[])
    return RESERVATION_HELD.event("triage", capacity_data(now), audience)  # ERROR: not its data
"""


def test_an_events_renamed_field_is_a_type_error_on_both_sides(tmp_path: Path) -> None:
    """Each event type's data and audience are models too: the producers build them, the
    registered type takes only its own models, and notify reads their attributes."""
    errors = mypy_errors(tmp_path, EVENT_SNIPPET)
    assert {line for line, _ in errors} == marked(EVENT_SNIPPET), errors
    messages = " ".join(message for _, message in errors)
    assert 'Missing named argument "organisation_ids"' in messages
    assert 'has no attribute "region"' in messages
    assert '"CapacityData"; expected "ReservationData"' in messages


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


def _answer_of(router: APIRouter, path: str) -> object:
    routes = [r for r in router.routes if isinstance(r, APIRoute) and r.path == path]
    [route] = [r for r in routes if "GET" in (r.methods or set())]
    return route.response_model


def test_what_triage_reads_of_a_facility_and_an_organisation_is_the_answer_itself() -> None:
    """Capacity answers a facility and an organisation with the contract's models and triage
    parses them into the same ones: no partial copy whose fields could drift apart."""
    assert FacilityOut is capacity.FacilityOut
    assert OrganisationOut is capacity.OrganisationOut
    assert _answer_of(facilities_router, "/api/v1/facilities/{facility_id}") is FacilityOut
    assert (
        _answer_of(organisations_router, "/api/v1/organisations/{organisation_id}")
        is OrganisationOut
    )
    reads = get_type_hints(CapacityClient.facility)["return"]
    assert reads == FacilityOut | None
    assert get_type_hints(CapacityClient.organisation)["return"] == OrganisationOut | None
    assert not hasattr(capacity, "FacilityRecord")
    assert not hasattr(capacity, "OrganisationRecord")


def test_event_data_and_audience_keep_their_wire_form() -> None:
    """What subscribers receive is what they always did: ids as strings, times as Python
    writes them, a referral's event without a reservation's keys."""
    facility, organisation, referral = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    observed = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    capacity_event = events.CAPACITY_UPDATED.event(
        "capacity",
        events.CapacityData(
            facility_id=facility,
            organisation_id=organisation,
            place_type="GRZ",
            region_code="ZK-KENNEMERLAND",
            lat=52.38,
            lon=4.64,
            free=1,
            available=2,
            held=1,
            staffed=4,
            observed_at=observed,
        ),
        events.EVERY_PROFESSIONAL,
    )
    assert capacity_event.data == {
        "facility_id": str(facility),
        "organisation_id": str(organisation),
        "place_type": "GRZ",
        "region_code": "ZK-KENNEMERLAND",
        "lat": 52.38,
        "lon": 4.64,
        "free": 1,
        "available": 2,
        "held": 1,
        "staffed": 4,
        "observed_at": "2026-03-01T09:30:00+00:00",
    }
    assert capacity_event.audience == {"public": True}
    referral_event = events.REFERRAL_CREATED.event(
        "triage",
        events.ReferralData(
            referral_id=referral,
            status="submitted",
            from_status=None,
            place_type="ELV_HOOG",
            urgency="urgent",
            region_code="ZK-KENNEMERLAND",
        ),
        events.MembersAudience(organisation_ids=[organisation], regions=["ZK-KENNEMERLAND"]),
    )
    assert list(referral_event.data) == [
        "referral_id",
        "status",
        "from_status",
        "place_type",
        "urgency",
        "region_code",
    ]
    assert referral_event.audience == {
        "organisation_ids": [str(organisation)],
        "regions": ["ZK-KENNEMERLAND"],
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"public": True}, events.EVERY_PROFESSIONAL),
        ({"public": False}, events.NOBODY),
        ({}, events.NOBODY),
        ({"organisation_ids": ["not an id"], "regions": []}, events.NOBODY),
        (
            {"organisation_ids": [str(uuid.UUID(int=1))], "regions": ["ROAZ-NHF"]},
            events.MembersAudience(organisation_ids=[uuid.UUID(int=1)], regions=["ROAZ-NHF"]),
        ),
    ],
    ids=["public", "public false", "empty", "not an id", "members"],
)
def test_an_audience_that_reads_as_neither_shape_is_seen_by_no_one(
    raw: dict[str, object], expected: events.Audience
) -> None:
    assert events.read_audience(raw) == expected


def test_data_that_does_not_read_as_its_model_carries_nothing_to_filter_on() -> None:
    assert events.read_data("capacity.updated", {"free": 1}) is None
    assert events.read_data("capacity.exploded", {}) is None
    read = events.read_data("referral.created", _referral_wire())
    assert isinstance(read, events.ReferralData)
    assert read.where() == events.Where("ELV_HOOG", "ZK-KENNEMERLAND")
    with_reservation = {
        **_referral_wire(),
        "reservation_id": str(uuid.uuid4()),
        "reservation_status": "held",
        "facility_id": str(uuid.uuid4()),
        "facility_name": "Huize Zon",
        "expires_at": "2026-03-01T10:00:00+00:00",
        "reason_code": None,
    }
    changed = events.read_data("referral.status_changed", with_reservation)
    assert isinstance(changed, events.ReservationData)
    assert changed.facility_name == "Huize Zon"
    plain = events.read_data("referral.status_changed", _referral_wire())
    assert type(plain) is events.ReferralData


def _referral_wire() -> dict[str, object]:
    return {
        "referral_id": str(uuid.uuid4()),
        "status": "submitted",
        "from_status": None,
        "place_type": "ELV_HOOG",
        "urgency": "urgent",
        "region_code": "ZK-KENNEMERLAND",
    }


def test_an_event_type_is_registered_once_with_its_models() -> None:
    assert outbox.registered("capacity.updated") is events.CAPACITY_UPDATED
    assert outbox.register("capacity.updated", events.CapacityData, events.PublicAudience) == (
        events.CAPACITY_UPDATED
    )
    with pytest.raises(ValueError, match="already registered"):
        outbox.register("capacity.updated", events.ReferralData, events.PublicAudience)
    assert events.EVENT_TYPES == {
        "capacity.updated",
        "capacity.available",
        "capacity.stale",
        "capacity.due",
        "referral.created",
        "referral.status_changed",
        "reservation.held",
        "reservation.accepted",
        "reservation.declined",
        "reservation.expired",
        "reservation.released",
    }


def test_a_timeline_step_answers_what_it_said_and_nothing_else() -> None:
    unassigned = TimelineDetail(assignee=None, previous=Person(id="t-1", name="T. Bakker"))
    assert unassigned.model_dump(mode="json") == {
        "assignee": None,
        "previous": {"id": "t-1", "name": "T. Bakker"},
    }
    held = TimelineDetail(
        reservation_id=uuid.UUID(int=1),
        expires_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    )
    assert held.model_dump_json() == (
        '{"reservation_id":"00000000-0000-0000-0000-000000000001",'
        '"expires_at":"2026-03-01T09:30:00+00:00"}'
    )
    # A step stored as it said it reads back the same; a word no step says is refused.
    assert TimelineDetail.model_validate(held.model_dump(mode="json")) == held
    with pytest.raises(ValidationError, match="facility_nmae"):
        TimelineDetail.model_validate({"facility_nmae": "De Linde"})
