"""FHIR capacity intake: SANER MeasureReports in both shapes and both generations of
code systems, alone or in Bundles, through the same rules as `PUT /capacity`; every answer
an OperationOutcome that `fhir.resources` parses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome

from tests.capacity.test_reports import outbox
from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation
from tests.fhir import saner

FHIR = {"Content-Type": "application/fhir+json"}
OWN_SYSTEM = "https://ecd.example.nl/locaties"


def now(minutes_ago: int = 1) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, Any]:
    mine = await create_organisation(client, auth, name="Spaarne Gasthuis")
    other = await create_organisation(client, auth, name="Andere Zorggroep")
    facility = await create_facility(
        client,
        auth,
        mine["id"],
        place_types=["GRZ"],
        identifiers=[{"system": OWN_SYSTEM, "value": "SG-HOOFDDORP"}],
    )
    two_types = await create_facility(client, auth, mine["id"], place_types=["ELV_HOOG", "GRZ"])
    foreign = await create_facility(
        client,
        auth,
        other["id"],
        place_types=["GRZ"],
        identifiers=[{"system": OWN_SYSTEM, "value": "ANDER-1"}],
    )
    return {
        "mine": mine,
        "facility": facility,
        "two_types": two_types,
        "foreign": foreign,
        "provider": auth("provider", org=mine["id"]),
    }


async def post(
    client: httpx.AsyncClient, path: str, body: Any, headers: dict[str, str], **params: str
) -> tuple[httpx.Response, OperationOutcome]:
    response = await client.post(
        path, content=json.dumps(body), headers={**headers, **FHIR}, params=params
    )
    assert response.headers["content-type"] == "application/fhir+json", response.text
    return response, OperationOutcome.model_validate_json(response.content)


async def state(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any], place_type: str
) -> dict[str, Any]:
    response = await client.get(
        f"/api/v1/facilities/{facility['id']}/capacity", headers=auth("admin")
    )
    found: dict[str, Any] = next(
        s for s in response.json()["items"] if s["place_type"] == place_type
    )
    return found


def issues(outcome: OperationOutcome) -> list[tuple[str, str, list[str]]]:
    return [
        (str(i.severity), str(i.diagnostics), [str(e) for e in i.expression or []])
        for i in outcome.issue
    ]


def by_reference(facility: dict[str, Any]) -> dict[str, Any]:
    return {"reference": f"Location/{facility['id']}"}


@pytest.mark.parametrize("early", [False, True], ids=["published", "earlier-builds"])
async def test_one_group_per_figure(
    client: httpx.AsyncClient, auth: TokenFactory, world: dict[str, Any], early: bool
) -> None:
    body = saner.report(
        {"identifier": {"system": OWN_SYSTEM, "value": "SG-HOOFDDORP"}},
        saner.per_figure_groups(20, 14, 5, early=early),
        date=now(),
    )
    response, outcome = await post(client, "/fhir/MeasureReport", body, world["provider"])
    assert response.status_code == 200, response.text
    current = await state(client, auth, world["facility"], "GRZ")
    assert (current["staffed"], current["occupied"], current["available"]) == (20, 14, 5)
    assert ("information", "Ignored: not bed capacity.", ["MeasureReport.group[4]"]) in issues(
        outcome
    )
    applied = [i for i in issues(outcome) if i[1].startswith("Applied")]
    assert applied == [
        (
            "information",
            f"Applied: GRZ at {world['facility']['name']}: staffed 20, occupied 14, "
            "available 5, free 5.",
            ["MeasureReport"],
        )
    ]


@pytest.mark.parametrize("early", [False, True], ids=["published", "earlier-builds"])
async def test_one_beds_group_with_populations(
    client: httpx.AsyncClient, auth: TokenFactory, world: dict[str, Any], early: bool
) -> None:
    body = saner.report(
        by_reference(world["facility"]),
        [saner.beds_group(30, 25, 4, early=early), saner.ventilators_group()],
        date=now(),
    )
    response, outcome = await post(client, "/fhir/MeasureReport", body, world["provider"])
    assert response.status_code == 200, response.text
    current = await state(client, auth, world["facility"], "GRZ")
    assert (current["staffed"], current["occupied"], current["available"]) == (30, 25, 4)
    ignored = [i[2] for i in issues(outcome) if i[1] == "Ignored: not bed capacity."]
    assert ignored == [["MeasureReport.group[1]"]]


async def test_round_trip(
    client: httpx.AsyncClient, auth: TokenFactory, world: dict[str, Any]
) -> None:
    facility = world["two_types"]
    for place_type, numbers in (("ELV_HOOG", (12, 9, 3, 1)), ("GRZ", (8, 8, 0, None))):
        body = {
            "staffed": numbers[0],
            "occupied": numbers[1],
            "available": numbers[2],
            "expected_available_24h": numbers[3],
            "observed_at": now(5),
        }
        put = await client.put(
            f"/api/v1/facilities/{facility['id']}/capacity/{place_type}",
            json=body,
            headers=world["provider"],
        )
        assert put.status_code == 200
    before = [await state(client, auth, facility, pt) for pt in ("ELV_HOOG", "GRZ")]
    found = await client.get(
        "/fhir/MeasureReport",
        params={"subject": f"Location/{facility['id']}"},
        headers={**world["provider"], "Accept": "application/fhir+json"},
    )
    assert found.status_code == 200
    bundle = found.json()
    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "searchset")
    reports = [entry["resource"] for entry in bundle["entry"]]
    assert len(reports) == 2
    for report in reports:
        response, outcome = await post(client, "/fhir/MeasureReport", report, world["provider"])
        assert response.status_code == 200, response.text
        assert [i.severity for i in outcome.issue] == ["information"]
    after = [await state(client, auth, facility, pt) for pt in ("ELV_HOOG", "GRZ")]
    for old, new in zip(before, after, strict=True):
        # The same numbers, now as sent through FHIR.
        assert (old["source"], new["source"]) == ("api", "fhir")
        assert {k: v for k, v in new.items() if k not in ("received_at", "source")} == {
            k: v for k, v in old.items() if k not in ("received_at", "source")
        }
    history = await client.get(
        f"/api/v1/facilities/{facility['id']}/capacity/ELV_HOOG/history",
        headers=world["provider"],
    )
    assert [h["applied"] for h in history.json()["items"]] == [True, True]


async def test_bundle_mixing_capacity_and_another_measure(
    client: httpx.AsyncClient, auth: TokenFactory, world: dict[str, Any], database_url: str
) -> None:
    capacity_report = saner.report(
        by_reference(world["facility"]), [saner.beds_group(10, 6, 4)], date=now()
    )
    lab_report = saner.report(
        by_reference(world["facility"]),
        [
            {
                "code": {
                    "coding": [{"system": saner.UV_GROUPS, "code": "positiveIncreasePercent"}]
                },
                "population": [
                    saner.figure_population(saner.MEASURED_VALUES, "positiveIncrease", 3)
                ],
            }
        ],
        date=now(),
    )
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {"resource": lab_report, "request": {"method": "POST", "url": "MeasureReport"}},
            {"resource": capacity_report, "request": {"method": "POST", "url": "MeasureReport"}},
            {"resource": {"resourceType": "Location", "name": "X"}},
        ],
    }
    response, outcome = await post(client, "/fhir", bundle, world["provider"])
    assert response.status_code == 200, response.text
    found = issues(outcome)
    assert (
        "information",
        "Ignored: not bed capacity.",
        ["Bundle.entry[0].resource.group[0]"],
    ) in found
    assert (
        "error",
        "No bed capacity in this report (staffed, occupied or available).",
        ["Bundle.entry[0].resource"],
    ) in found
    assert any(
        i[0] == "information"
        and i[1].startswith("Applied")
        and i[2] == ["Bundle.entry[1].resource"]
        for i in found
    )
    assert (
        "information",
        "Ignored: a Location, not a MeasureReport.",
        ["Bundle.entry[2].resource"],
    ) in found
    current = await state(client, auth, world["facility"], "GRZ")
    assert (current["staffed"], current["occupied"], current["available"]) == (10, 6, 4)
    events = await outbox(database_url)
    assert [e["type"] for e in events] == ["capacity.updated", "capacity.available"]


async def test_absent_available_is_derived_when_staffed_and_occupied_are_known(
    client: httpx.AsyncClient, auth: TokenFactory, world: dict[str, Any]
) -> None:
    group = saner.beds_group(10, 7, None)
    group["population"].append(saner.figure_population(saner.MEASURED_VALUES, "numBedsAvail", None))
    body = saner.report(by_reference(world["facility"]), [group], date=now())
    response, outcome = await post(client, "/fhir/MeasureReport", body, world["provider"])
    assert response.status_code == 200, response.text
    assert (
        "information",
        "available taken as staffed − occupied (numBedsAvail has no count).",
        ["MeasureReport.group[0].population[2]"],
    ) in issues(outcome)
    assert (await state(client, auth, world["facility"], "GRZ"))["available"] == 3


@pytest.mark.parametrize(
    ("group", "expression", "said"),
    [
        (
            saner.beds_group(None, 7, 2),
            ["MeasureReport.group[0].population[0]"],
            "staffed (numbeds, else numTotBeds) is unknown (unknown)",
        ),
        (
            saner.beds_group(10, None, None),
            ["MeasureReport.group[0].population[1]", "MeasureReport"],
            "occupied (numBedsOcc) is unknown (unknown); available (numBedsAvail) is missing",
        ),
        (
            saner.figure_group(saner.MEASURED_VALUES, "numbeds", None),
            ["MeasureReport.group[0]", "MeasureReport"],
            "staffed (numbeds, else numTotBeds) is unknown (unknown); occupied (numBedsOcc) is "
            "missing; available (numBedsAvail) is missing",
        ),
    ],
    ids=["staffed-absent", "occupied-and-available-absent", "figure-group-without-count"],
)
async def test_unknown_figures_are_never_zero(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    world: dict[str, Any],
    group: dict[str, Any],
    expression: list[str],
    said: str,
) -> None:
    body = saner.report(by_reference(world["facility"]), [group], date=now())
    response, outcome = await post(client, "/fhir/MeasureReport", body, world["provider"])
    assert response.status_code == 422, response.text
    assert issues(outcome) == [("error", f"Refused: {said}. Unknown is not zero.", expression)]
    listed = await client.get(
        f"/api/v1/facilities/{world['facility']['id']}/capacity", headers=auth("admin")
    )
    assert listed.json()["items"] == []


UNKNOWN = "Unknown Location: none of your organisation's locations has this id or identifier."


@pytest.mark.parametrize(
    ("subject", "status", "diagnostics"),
    [
        ({"reference": "Location/0b8f9d4e-7a43-4f4e-9a5c-2d2b8c3f6e11"}, 422, UNKNOWN),
        ({"identifier": {"system": OWN_SYSTEM, "value": "NIEMAND"}}, 422, UNKNOWN),
        ("foreign-id", 422, UNKNOWN),
        ({"identifier": {"system": OWN_SYSTEM, "value": "ANDER-1"}}, 422, UNKNOWN),
        ({"reference": "Location/ANDER-1"}, 422, UNKNOWN),
        (
            {"reference": "Organization/1"},
            422,
            "The subject must be a Location: Location/{id}, or an identifier.",
        ),
    ],
    ids=[
        "unknown-id",
        "unknown-identifier",
        "foreign-id",
        "foreign-identifier",
        "foreign-value",
        "not-a-location",
    ],
)
async def test_unknown_and_foreign_locations_are_refused_alike(
    client: httpx.AsyncClient,
    world: dict[str, Any],
    subject: Any,
    status: int,
    diagnostics: str,
) -> None:
    if subject == "foreign-id":
        subject = by_reference(world["foreign"])
    body = saner.report(subject, [saner.beds_group(10, 6, 4)], date=now())
    response, outcome = await post(client, "/fhir/MeasureReport", body, world["provider"])
    assert response.status_code == status
    assert [(i[0], i[1]) for i in issues(outcome)] == [("error", diagnostics)]
    assert issues(outcome)[0][2][0].startswith("MeasureReport.subject")


async def test_an_ambiguous_identifier_value_is_refused(
    client: httpx.AsyncClient, auth: TokenFactory, world: dict[str, Any]
) -> None:
    await client.patch(
        f"/api/v1/facilities/{world['two_types']['id']}",
        json={"identifiers": [{"system": "https://ander.example/ids", "value": "SG-HOOFDDORP"}]},
        headers=world["provider"],
    )
    body = saner.report(
        {"reference": "Location/SG-HOOFDDORP"}, [saner.beds_group(10, 6, 4)], date=now()
    )
    response, outcome = await post(client, "/fhir/MeasureReport", body, world["provider"])
    assert response.status_code == 422
    [(severity, diagnostics, expression)] = issues(outcome)
    assert diagnostics.startswith("Ambiguous: 2 of your locations")
    assert expression == ["MeasureReport.subject.reference"]
    # with the system it is one
    body["subject"] = {"identifier": {"system": OWN_SYSTEM, "value": "SG-HOOFDDORP"}}
    response, _ = await post(client, "/fhir/MeasureReport", body, world["provider"])
    assert response.status_code == 200


async def test_place_type_from_group_parameter_or_the_only_one(
    client: httpx.AsyncClient, auth: TokenFactory, world: dict[str, Any]
) -> None:
    facility = world["two_types"]
    unsaid = saner.report(by_reference(facility), [saner.beds_group(10, 6, 4)], date=now())
    response, outcome = await post(client, "/fhir/MeasureReport", unsaid, world["provider"])
    assert response.status_code == 422
    assert issues(outcome)[0][1].startswith("This location offers ELV_HOOG and GRZ: say which")
    response, _ = await post(
        client, "/fhir/MeasureReport", unsaid, world["provider"], place_type="ELV_HOOG"
    )
    assert response.status_code == 200
    assert (await state(client, auth, facility, "ELV_HOOG"))["staffed"] == 10
    coded = saner.report(
        by_reference(facility),
        [
            saner.beds_group(9, 9, 0, place_type="GRZ"),
            saner.beds_group(5, 1, 4, place_type="ELV_HOOG"),
        ],
        date=now(),
    )
    response, outcome = await post(client, "/fhir/MeasureReport", coded, world["provider"])
    assert response.status_code == 200, response.text
    assert (await state(client, auth, facility, "GRZ"))["occupied"] == 9
    assert (await state(client, auth, facility, "ELV_HOOG"))["available"] == 4


@pytest.mark.parametrize(
    ("place_type", "diagnostics", "expression"),
    [
        ("HOTEL", "Unknown place type 'HOTEL'", "MeasureReport.group[0].code"),
        ("GGZ_CRISIS", "This facility does not offer GGZ_CRISIS", "MeasureReport.group[0].code"),
    ],
)
async def test_unknown_or_unoffered_place_type_is_refused(
    client: httpx.AsyncClient,
    world: dict[str, Any],
    place_type: str,
    diagnostics: str,
    expression: str,
) -> None:
    body = saner.report(
        by_reference(world["facility"]),
        [saner.beds_group(10, 6, 4, place_type=place_type)],
        date=now(),
    )
    response, outcome = await post(client, "/fhir/MeasureReport", body, world["provider"])
    assert response.status_code == 422
    [(severity, said, where)] = issues(outcome)
    assert said.startswith(diagnostics)
    assert where == [expression]
    bad_parameter = await client.post(
        "/fhir/MeasureReport",
        content=json.dumps(body),
        headers={**world["provider"], **FHIR},
        params={"place_type": "HOTEL"},
    )
    assert bad_parameter.status_code == 400
    assert OperationOutcome.model_validate_json(bad_parameter.content).issue[0].expression == [
        "place_type"
    ]


@pytest.mark.parametrize(
    ("groups", "date", "said", "where"),
    [
        (
            [saner.beds_group(10, 8, 4)],
            None,
            "Refused: occupied + available (8 + 4) must not exceed staffed (10).",
            ["MeasureReport.group[0].population[2]"],
        ),
        (
            [saner.beds_group(10, 6, 4)],
            (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
            "Refused: observed_at lies more than 2 minutes in the future.",
            ["MeasureReport.date"],
        ),
        (
            [saner.beds_group(10, -1, 4)],
            None,
            "Refused: Input should be greater than or equal to 0.",
            ["MeasureReport.group[0].population[1]"],
        ),
    ],
    ids=["over-staffed", "future", "negative"],
)
async def test_broken_rules_are_refused_naming_the_element(
    client: httpx.AsyncClient,
    world: dict[str, Any],
    groups: list[dict[str, Any]],
    date: str | None,
    said: str,
    where: list[str],
) -> None:
    body = saner.report(by_reference(world["facility"]), groups, date=date or now())
    response, outcome = await post(client, "/fhir/MeasureReport", body, world["provider"])
    assert response.status_code == 422
    assert issues(outcome) == [("error", said, where)]


async def test_observed_at_from_period_end_a_bare_date_is_midnight_in_amsterdam(
    client: httpx.AsyncClient, auth: TokenFactory, world: dict[str, Any]
) -> None:
    body = saner.report(by_reference(world["facility"]), [saner.beds_group(10, 6, 4)])
    body["period"] = {"start": "2026-11-30", "end": "2026-12-01"}
    response, _ = await post(client, "/fhir/MeasureReport", body, world["provider"])
    assert response.status_code == 200, response.text
    current = await state(client, auth, world["facility"], "GRZ")
    assert current["observed_at"] == "2026-11-30T23:00:00Z"


async def test_an_older_report_is_a_warning_and_kept_in_history(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    newer = saner.report(by_reference(world["facility"]), [saner.beds_group(10, 6, 4)], date=now(1))
    older = saner.report(
        by_reference(world["facility"]), [saner.beds_group(10, 2, 8)], date=now(30)
    )
    assert (await post(client, "/fhir/MeasureReport", newer, world["provider"]))[
        0
    ].status_code == 200
    response, outcome = await post(client, "/fhir/MeasureReport", older, world["provider"])
    assert response.status_code == 200
    [(severity, said, _)] = issues(outcome)
    assert severity == "warning"
    assert said.startswith("Not applied:")
    history = await client.get(
        f"/api/v1/facilities/{world['facility']['id']}/capacity/GRZ/history",
        headers=world["provider"],
    )
    assert [(h["available"], h["applied"]) for h in history.json()["items"]] == [
        (4, True),
        (8, False),
    ]


async def test_a_transaction_applies_all_or_nothing(
    client: httpx.AsyncClient, auth: TokenFactory, world: dict[str, Any]
) -> None:
    good = saner.report(by_reference(world["facility"]), [saner.beds_group(10, 6, 4)], date=now())
    bad = saner.report({"reference": "Location/NIEMAND"}, [saner.beds_group(10, 6, 4)], date=now())
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"resource": good}, {"resource": bad}],
    }
    response, outcome = await post(client, "/fhir", bundle, world["provider"])
    assert response.status_code == 422
    assert issues(outcome)[0] == (
        "error",
        "The transaction was refused as a whole: nothing was applied.",
        ["Bundle"],
    )
    listed = await client.get(
        f"/api/v1/facilities/{world['facility']['id']}/capacity", headers=auth("admin")
    )
    assert listed.json()["items"] == []
    bundle["type"] = "batch"
    response, _ = await post(client, "/fhir", bundle, world["provider"])
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "content", "expression"),
    [
        ("/fhir/MeasureReport", "{not json", None),
        ("/fhir/MeasureReport", '["MeasureReport"]', None),
        (
            "/fhir/MeasureReport",
            '{"resourceType": "Bundle", "type": "batch"}',
            "MeasureReport.resourceType",
        ),
        (
            "/fhir/MeasureReport",
            '{"resourceType": "MeasureReport", "status": "complete"}',
            "MeasureReport.period",
        ),
        (
            "/fhir/MeasureReport",
            '{"resourceType": "MeasureReport", "status": "complete", "type": "summary", '
            '"measure": "x", "period": {"end": "2026-13-45"}}',
            "MeasureReport.period.end",
        ),
        (
            "/fhir",
            '{"resourceType": "Bundle", "type": "batch", '
            '"entry": [{"resource": {"resourceType": "Nope"}}]}',
            None,
        ),
        ("/fhir", '{"resourceType": "MeasureReport"}', "Bundle.resourceType"),
    ],
)
async def test_invalid_fhir_is_400(
    client: httpx.AsyncClient,
    world: dict[str, Any],
    path: str,
    content: str,
    expression: str | None,
) -> None:
    response = await client.post(path, content=content, headers={**world["provider"], **FHIR})
    assert response.status_code == 400, response.text
    outcome = OperationOutcome.model_validate_json(response.content)
    assert outcome.issue[0].severity == "error"
    if expression is not None:
        assert expression in [e for i in outcome.issue for e in (i.expression or [])]


async def test_who_may_report(
    client: httpx.AsyncClient, auth: TokenFactory, world: dict[str, Any]
) -> None:
    body = saner.report(by_reference(world["facility"]), [saner.beds_group(10, 6, 4)], date=now())
    for headers, status in (
        ({}, 401),
        (auth("referrer"), 403),
        (auth("admin"), 403),
        (auth("triagist", regions=["ZK-KENNEMERLAND"]), 403),
        (auth("provider", org=world["foreign"]["organisation_id"]), 422),
    ):
        response, outcome = await post(client, "/fhir/MeasureReport", body, headers)
        assert response.status_code == status, (headers, response.text)
        assert outcome.issue[0].severity == "error"
    wrong_media = await client.post(
        "/fhir/MeasureReport",
        content=json.dumps(body),
        headers={**world["provider"], "Content-Type": "text/plain"},
    )
    assert wrong_media.status_code == 415
    OperationOutcome.model_validate_json(wrong_media.content)


async def test_api_key_reporting(
    client: httpx.AsyncClient, auth: TokenFactory, world: dict[str, Any]
) -> None:
    admin = auth("admin")
    keys = {}
    for scope in ("capacity:write", "facilities:write"):
        created = await client.post(
            f"/api/v1/organisations/{world['mine']['id']}/api-keys",
            json={"scopes": [scope], "label": f"ECD {scope}"},
            headers=admin,
        )
        keys[scope] = {"Authorization": f"Bearer {created.json()['key']}"}
    body = saner.report(
        {"identifier": {"system": OWN_SYSTEM, "value": "SG-HOOFDDORP"}},
        [saner.beds_group(10, 6, 4)],
        date=now(),
    )
    response, _ = await post(client, "/fhir/MeasureReport", body, keys["capacity:write"])
    assert response.status_code == 200, response.text
    response, outcome = await post(client, "/fhir/MeasureReport", body, keys["facilities:write"])
    assert response.status_code == 403
    assert outcome.issue[0].code == "forbidden"
    history = await client.get(
        f"/api/v1/facilities/{world['facility']['id']}/capacity/GRZ/history", headers=admin
    )
    assert len(history.json()["items"]) == 1
