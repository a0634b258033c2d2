"""FHIR reads of the directory and capacity: searchset Bundles with paging links, every
output parsed by `fhir.resources`, the CapabilityStatement held to the routes, and every
failure under /fhir an OperationOutcome."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization

from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation, report

ACCEPT = {"Accept": "application/fhir+json"}
AGB = "http://fhir.nl/fhir/NamingSystem/agb-z"


@pytest.fixture
async def directory(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, Any]:
    zorg = await create_organisation(
        client, auth, name="Zorgbalans", agb_code="47471234", phone="023 891 3800"
    )
    other = await create_organisation(client, auth, name="Marente")
    heemstede = await create_facility(
        client,
        auth,
        zorg["id"],
        name="Hof van Leyden",
        city="Heemstede",
        lat=52.3508,
        lon=4.6215,
        admission_hours="office",
        identifiers=[{"system": AGB, "value": "47470001"}],
        street="Glipperweg",
        house_number="57",
        phone="023 528 2828",
    )
    haarlem = await create_facility(client, auth, zorg["id"], name="Overspaarne", city="Haarlem")
    leiden = await create_facility(
        client,
        auth,
        other["id"],
        name="Oudshoorn",
        city="Leiden",
        postcode="2311",
        region_code="ZK-ZUID-HOLLAND-NOORD",
        lat=52.1601,
        lon=4.4970,
        place_types=["GRZ"],
    )
    await report(client, auth, heemstede, "ELV_HOOG", staffed=10, occupied=7, available=3)
    await report(client, auth, haarlem, "ELV_HOOG", staffed=10, occupied=10, available=0)
    return {
        "zorg": zorg,
        "other": other,
        "heemstede": heemstede,
        "haarlem": haarlem,
        "leiden": leiden,
    }


async def bundle(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], **params: Any
) -> dict[str, Any]:
    """A searchset, checked to parse as a FHIR Bundle with every resource in it."""
    response = await client.get(url, params=params or None, headers={**headers, **ACCEPT})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/fhir+json"
    assert Bundle.model_validate_json(response.content).type == "searchset"
    found: dict[str, Any] = response.json()
    return found


def ids(found: dict[str, Any]) -> list[str]:
    return [e["resource"]["id"] for e in found.get("entry", [])]


def resources(found: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in found.get("entry", [])]


async def test_locations_near_a_point_nearest_first(
    client: httpx.AsyncClient, auth: TokenFactory, directory: dict[str, Any]
) -> None:
    found = await bundle(client, "/fhir/Location", auth("referrer"), near="52.3874|4.6462|10|km")
    assert ids(found) == [directory["haarlem"]["id"], directory["heemstede"]["id"]]
    wide = await bundle(client, "/fhir/Location", auth("referrer"), near="52.3874|4.6462|50000|m")
    assert ids(wide)[-1] == directory["leiden"]["id"]
    full, location = resources(found)
    Location.model_validate(location)
    assert location["name"] == "Hof van Leyden"
    assert location["position"] == {"latitude": 52.3508, "longitude": 4.6215}
    assert location["address"]["city"] == "Heemstede"
    assert location["address"]["line"] == ["Glipperweg 57"]
    assert location["telecom"] == [{"system": "phone", "value": "+31235282828", "use": "work"}]
    assert "telecom" not in full
    assert location["managingOrganization"] == {
        "reference": f"Organization/{directory['zorg']['id']}"
    }
    assert location["operationalStatus"]["code"] == "U"
    assert full["operationalStatus"]["code"] == "O"


async def test_location_filters_and_read(
    client: httpx.AsyncClient, auth: TokenFactory, directory: dict[str, Any]
) -> None:
    viewer = auth("viewer")
    by_identifier = await bundle(client, "/fhir/Location", viewer, identifier=f"{AGB}|47470001")
    assert ids(by_identifier) == [directory["heemstede"]["id"]]
    any_system = await bundle(client, "/fhir/Location", viewer, identifier="47470001")
    assert ids(any_system) == [directory["heemstede"]["id"]]
    by_organisation = await bundle(
        client, "/fhir/Location", viewer, organization=f"Organization/{directory['other']['id']}"
    )
    assert ids(by_organisation) == [directory["leiden"]["id"]]
    by_city = await bundle(client, "/fhir/Location", viewer, **{"address-city": "heem"})
    assert ids(by_city) == [directory["heemstede"]["id"]]
    # a viewer sees no per-facility numbers, so no bed status either
    assert "operationalStatus" not in resources(by_city)[0]
    read = await client.get(f"/fhir/Location/{directory['heemstede']['id']}", headers=viewer)
    Location.model_validate_json(read.content)
    assert read.json()["identifier"][1:] == [{"system": AGB, "value": "47470001"}]


async def test_searchset_pages_with_next_links(
    client: httpx.AsyncClient, auth: TokenFactory, directory: dict[str, Any]
) -> None:
    headers = auth("triagist")
    first = await bundle(client, "/fhir/Location", headers, _count=2)
    assert ids(first) == [directory["heemstede"]["id"], directory["leiden"]["id"]]
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert set(links) == {"self", "next"}
    second = await bundle(client, links["next"], headers)
    assert ids(second) == [directory["haarlem"]["id"]]
    assert [link["relation"] for link in second["link"]] == ["self"]
    location_id = directory["heemstede"]["id"]
    assert first["entry"][0]["fullUrl"] == f"http://zorgplek.test/fhir/Location/{location_id}"


async def test_organizations(
    client: httpx.AsyncClient, auth: TokenFactory, directory: dict[str, Any]
) -> None:
    referrer = auth("referrer")
    found = await bundle(client, "/fhir/Organization", referrer, identifier=f"{AGB}|47471234")
    assert ids(found) == [directory["zorg"]["id"]]
    read = await client.get(f"/fhir/Organization/{directory['other']['id']}", headers=referrer)
    assert Organization.model_validate_json(read.content).name == "Marente"
    assert "telecom" not in read.json()
    [zorgbalans] = resources(found)
    assert zorgbalans["telecom"] == [{"system": "phone", "value": "+31238913800", "use": "work"}]
    by_name = await bundle(client, "/fhir/Organization", referrer, name="mar")
    assert ids(by_name) == [directory["other"]["id"]]


async def test_healthcare_services_carry_admission_hours(
    client: httpx.AsyncClient, auth: TokenFactory, directory: dict[str, Any]
) -> None:
    found = await bundle(
        client,
        "/fhir/HealthcareService",
        auth("referrer"),
        location=f"Location/{directory['heemstede']['id']}",
    )
    services = resources(found)
    for service in services:
        HealthcareService.model_validate(service)
    assert [s["type"][0]["coding"][0]["code"] for s in services] == ["ELV_HOOG", "GRZ"]
    assert services[0]["availableTime"] == [
        {
            "daysOfWeek": ["mon", "tue", "wed", "thu", "fri"],
            "availableStartTime": "08:00:00",
            "availableEndTime": "17:00:00",
        }
    ]
    assert services[0]["notAvailable"]
    assert {n["description"] for n in services[0]["notAvailable"]} == {"Geen opname: feestdag"}
    always = await bundle(
        client,
        "/fhir/HealthcareService",
        auth("referrer"),
        location=directory["haarlem"]["id"],
        **{"service-type": "ELV_HOOG"},
    )
    [service] = resources(always)
    assert service["availableTime"] == [
        {"daysOfWeek": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "allDay": True}
    ]
    assert "notAvailable" not in service


async def test_measure_report_follows_the_capacity_rules_of_who_sees_numbers(
    client: httpx.AsyncClient, auth: TokenFactory, directory: dict[str, Any]
) -> None:
    subject = f"Location/{directory['heemstede']['id']}"
    for headers, status in (
        (auth("referrer"), 200),
        (auth("provider", org=directory["zorg"]["id"]), 200),
        (auth("provider", org=directory["other"]["id"]), 404),
        (auth("viewer"), 403),
        ({}, 401),
    ):
        response = await client.get(
            "/fhir/MeasureReport", params={"subject": subject}, headers=headers
        )
        assert response.status_code == status, response.text
        if status != 200:
            outcome = OperationOutcome.model_validate_json(response.content)
            assert outcome.issue[0].severity == "error"
    found = await bundle(client, "/fhir/MeasureReport", auth("triagist"), subject=subject)
    [measure_report] = resources(found)
    [group] = measure_report["group"]
    counts = {p["code"]["coding"][0]["code"]: p["count"] for p in group["population"]}
    assert counts == {"staffed": 10, "occupied": 7, "available": 3}


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/fhir/Patient", 404, "not-found"),
        ("/fhir/Location/0b8f9d4e-7a43-4f4e-9a5c-2d2b8c3f6e11", 404, "not-found"),
        ("/fhir/Location/not-an-id", 422, "processing"),
        ("/fhir/Location?near=north", 400, "invalid"),
        ("/fhir/Location?_count=0", 422, "processing"),
        ("/fhir/Location?_cursor=%%%", 422, "processing"),
        ("/fhir/MeasureReport", 422, "processing"),
    ],
)
async def test_every_failure_is_an_operation_outcome(
    client: httpx.AsyncClient, auth: TokenFactory, path: str, status: int, code: str
) -> None:
    response = await client.get(path, headers=auth("referrer"))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/fhir+json"
    assert OperationOutcome.model_validate_json(response.content).issue[0].code == code
    anonymous = await client.get(path)
    assert anonymous.status_code in (401, 404)
    OperationOutcome.model_validate_json(anonymous.content)
    # the JSON API keeps problem+json
    api = await client.get("/api/v1/nothing-here", headers=auth("referrer"))
    assert api.headers["content-type"] == "application/problem+json"


def _fhir_routes(app: Any) -> set[tuple[str, str]]:
    """(interaction, resource type) for every /fhir route of the app, from its OpenAPI."""
    found = set()
    for path, operations in app.openapi()["paths"].items():
        if not path.startswith("/fhir"):
            continue
        rest = path.removeprefix("/fhir").strip("/")
        for method in operations:
            if rest == "metadata":
                found.add(("capabilities", ""))
            elif rest == "" and method == "post":
                found.add(("batch", ""))
                found.add(("transaction", ""))
            elif re.fullmatch(r"[A-Za-z]+", rest):
                found.add(({"get": "search-type", "post": "create"}[method], rest))
            elif re.fullmatch(r"[A-Za-z]+/\{\w+\}", rest) and method == "get":
                found.add(("read", rest.split("/")[0]))
            else:
                raise AssertionError(f"a /fhir route the CapabilityStatement cannot state: {path}")
    return found


async def test_capability_statement_states_exactly_the_routes(
    client: httpx.AsyncClient, app: Any
) -> None:
    response = await client.get("/fhir/metadata", headers=ACCEPT)
    assert response.status_code == 200
    statement = CapabilityStatement.model_validate_json(response.content)
    [rest] = statement.rest or []
    stated = {("capabilities", "")} | {(str(i.code), "") for i in rest.interaction or []}
    for resource in rest.resource or []:
        stated |= {(str(i.code), str(resource.type)) for i in resource.interaction or []}
    assert stated == _fhir_routes(app)
    assert statement.fhirVersion == "4.0.1"
