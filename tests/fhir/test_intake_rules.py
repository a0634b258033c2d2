"""The reading rules of FHIR intake, directly: where the bed figures are found, which code
wins, what is unknown, which moment and which subject a report names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fhir.resources.R4B.measurereport import MeasureReport

from services.capacity.fhir import intake
from shared.fhir import Issue
from tests.fhir import saner

SUBJECT = {"reference": "Location/loc-1"}


def read(groups: list[dict[str, Any]], **fields: Any) -> intake.Reading:
    body = saner.report(fields.pop("subject", SUBJECT), groups, **fields)
    return intake.read(MeasureReport.model_validate(body), "MeasureReport")


def counts(reading: intake.Reading) -> dict[str, int | None]:
    [draft] = reading.drafts
    return {name: figure.count for name, figure in draft.figures.items()}


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        (
            saner.per_figure_groups(20, 14, 5),
            {"staffed": 20, "occupied": 14, "available": 5},
        ),
        (
            saner.per_figure_groups(20, 14, 5, early=True),
            {"staffed": 20, "occupied": 14, "available": 5},
        ),
        ([saner.beds_group(30, 25, 4)], {"staffed": 30, "occupied": 25, "available": 4}),
        (
            [saner.beds_group(30, 25, 4, early=True)],
            {"staffed": 30, "occupied": 25, "available": 4},
        ),
        (
            # numTotBeds only when numbeds is not given
            [
                saner.figure_group(saner.MEASURED_VALUES, "numTotBeds", 50),
                saner.figure_group(saner.MEASURED_VALUES, "numBedsOcc", 10),
            ],
            {"staffed": 50, "occupied": 10},
        ),
        (
            # our own code beats SANER's for the same figure
            [
                saner.figure_group(saner.MEASURED_VALUES, "numbeds", 50),
                saner.figure_group(saner.CAPACITY, "staffed", 12),
                saner.figure_group(saner.CAPACITY, "expected-available-24h", 2),
            ],
            {"staffed": 12, "expected_available_24h": 2},
        ),
        (
            # a figure group without population: its measureScore
            [
                {
                    "code": {"coding": [{"system": saner.MEASURED_VALUES, "code": "numBedsAvail"}]},
                    "measureScore": {"value": 7},
                }
            ],
            {"available": 7},
        ),
        ([saner.beds_group(None, 3, 1)], {"staffed": None, "occupied": 3, "available": 1}),
    ],
    ids=[
        "group-per-figure",
        "group-per-figure-earlier-builds",
        "beds-group",
        "beds-group-earlier-builds",
        "numTotBeds-fallback",
        "own-code-wins",
        "measure-score",
        "absent-count-is-unknown",
    ],
)
def test_where_the_figures_are_found(
    groups: list[dict[str, Any]], expected: dict[str, Any]
) -> None:
    reading = read(groups, date="2026-12-01T10:00:00+01:00")
    assert reading.refusal is None
    assert counts(reading) == expected


def test_groups_that_are_not_beds_are_listed_once() -> None:
    reading = read([saner.beds_group(3, 1, 2), saner.ventilators_group()], date="2026-12-01")
    assert [(n.severity, n.expression) for n in reading.notes] == [
        ("information", ("MeasureReport.group[1]",))
    ]


def test_each_place_type_group_is_its_own_report() -> None:
    reading = read(
        [
            saner.beds_group(3, 1, 2, place_type="GRZ"),
            saner.beds_group(5, 5, 0, place_type="HOTEL"),
        ],
        date="2026-12-01",
    )
    assert [(d.place_type, d.refusal is None) for d in reading.drafts] == [
        ("GRZ", True),
        ("HOTEL", False),
    ]


@pytest.mark.parametrize(
    ("fields", "moment"),
    [
        ({"date": "2026-12-01T10:00:00+01:00"}, datetime(2026, 12, 1, 9, 0, tzinfo=UTC)),
        (
            {"period": {"start": "2026-07-01", "end": "2026-07-02"}},
            datetime(2026, 7, 1, 22, tzinfo=UTC),
        ),
        (
            {"period": {"start": "2026-12-01", "end": "2026-12-02"}},
            datetime(2026, 12, 1, 23, tzinfo=UTC),
        ),
    ],
    ids=["date", "summer-bare-date", "winter-bare-date"],
)
def test_when_a_report_was_true(fields: dict[str, Any], moment: datetime) -> None:
    reading = read([saner.beds_group(3, 1, 2)], **fields)
    assert reading.observed_at == moment


def test_a_partial_date_says_too_little() -> None:
    reading = read([saner.beds_group(3, 1, 2)], period={"start": "2026-11", "end": "2026-12"})
    assert reading.refusal is not None
    assert reading.refusal.expression == ("MeasureReport.period.end",)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ({"reference": "Location/loc-1"}, (None, "loc-1")),
        ({"reference": "https://ziekenhuis.example/fhir/Location/ab-12"}, (None, "ab-12")),
        (
            {"identifier": {"system": "urn:oid:2.16.528.1.1007.3.3", "value": "01"}},
            ("urn:oid:2.16.528.1.1007.3.3", "01"),
        ),
        ({"reference": "Organization/1"}, None),
        ({"display": "Ziekenhuis"}, None),
    ],
)
def test_which_location_a_report_names(
    subject: dict[str, Any], expected: tuple[str | None, str] | None
) -> None:
    reading = read([saner.beds_group(3, 1, 2)], subject=subject, date="2026-12-01")
    if expected is None:
        assert reading.subject is None
        assert reading.refusal is not None
    else:
        assert reading.subject is not None
        assert (reading.subject.system, reading.subject.value) == expected


def test_numbers_derive_available_and_refuse_the_unknown() -> None:
    [derived] = read([saner.beds_group(10, 7, None)], date="2026-12-01").drafts
    numbers = intake.numbers(derived, datetime(2026, 12, 1, tzinfo=UTC), "MeasureReport.date")
    assert isinstance(numbers, intake.Numbers)
    assert numbers.report.available == 3
    fraction = read(
        [
            saner.figure_group(saner.MEASURED_VALUES, "numbeds", 10),
            saner.figure_group(saner.MEASURED_VALUES, "numBedsOcc", 5),
            {
                "code": {"coding": [{"system": saner.MEASURED_VALUES, "code": "numBedsAvail"}]},
                "measureScore": {"value": 2.5},
            },
        ],
        date="2026-12-01",
    ).drafts[0]
    refused = intake.numbers(fraction, datetime(2026, 12, 1, tzinfo=UTC), "MeasureReport.date")
    assert isinstance(refused, Issue)
    assert refused.expression == ("MeasureReport.group[2].measureScore",)
