"""FHIR R4 over HTTP, the parts every service's `/fhir` routes share: reading a resource
from a request, answering resources, searchset Bundles with paging links, and every error
as an OperationOutcome. Resources are parsed and written by `fhir.resources` (its R4B
models read and write R4 JSON); nothing here builds FHIR by hand."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import Request, Response
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle, BundleEntry, BundleLink
from fhir.resources.R4B.operationoutcome import OperationOutcome, OperationOutcomeIssue
from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError

from shared.errors import DomainError

FHIR_JSON = "application/fhir+json"
ACCEPTED_MEDIA_TYPES = (FHIR_JSON, "application/json", "application/json+fhir")
MAX_BODY_BYTES = 5 * 1024 * 1024
PREFIX = "/fhir"

Severity = Literal["fatal", "error", "warning", "information"]

# The OperationOutcome issue code for each HTTP status we answer with.
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "processing",
    429: "throttled",
    503: "transient",
}


@dataclass(frozen=True, slots=True)
class Issue:
    """One line of an OperationOutcome: what happened to which element."""

    severity: Severity
    code: str
    diagnostics: str
    expression: tuple[str, ...] = ()


class FhirError(DomainError):
    """A refusal answered as an OperationOutcome with the given issues."""

    def __init__(self, status: int, issues: Sequence[Issue]) -> None:
        super().__init__(issues[0].diagnostics if issues else "Refused.")
        self.status = status
        self.issues = list(issues)


def outcome(issues: Sequence[Issue]) -> OperationOutcome:
    """An OperationOutcome with an issue per entry (FHIR requires at least one)."""
    lines = list(issues) or [Issue("information", "informational", "Nothing to report.")]
    return OperationOutcome(
        issue=[
            OperationOutcomeIssue(
                severity=i.severity,
                code=i.code,
                diagnostics=i.diagnostics,
                expression=list(i.expression) or None,
            )
            for i in lines
        ]
    )


def respond(
    resource: Resource, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A FHIR JSON response."""
    return Response(
        resource.model_dump_json(),
        status_code=status,
        media_type=FHIR_JSON,
        headers=dict(headers or {}),
    )


def render_error(exc: DomainError) -> Response:
    """Any failure on a `/fhir` path as an OperationOutcome: the detail, and an issue per
    named field (its location as the expression)."""
    if isinstance(exc, FhirError):
        return respond(outcome(exc.issues), exc.status, exc.headers)
    code = ISSUE_CODES.get(exc.status, "exception")
    issues = [Issue("error", code, exc.detail)]
    for error in exc.errors:
        loc = ".".join(str(part) for part in error.get("loc", ()))
        issues.append(Issue("error", code, str(error.get("msg", "invalid")), (loc,) if loc else ()))
    return respond(outcome(issues), exc.status, exc.headers)


ERROR_RENDERERS = ((PREFIX, render_error),)


def _expression(root: str, loc: Sequence[int | str]) -> str:
    path = root
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def parse(raw: bytes, expected: str) -> Any:
    """The resource in `raw`, which must be JSON of the FHIR resource type `expected`;
    400 with an issue per invalid element otherwise."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FhirError(400, [Issue("error", "structure", "The body is not JSON.")]) from exc
    if not isinstance(data, dict):
        raise FhirError(400, [Issue("error", "structure", "The body is not a FHIR resource.")])
    kind = data.get("resourceType")
    if kind != expected:
        raise FhirError(
            400,
            [
                Issue(
                    "error",
                    "invalid",
                    f"Expected a {expected}, not {kind!r}." if kind else "resourceType is missing.",
                    (f"{expected}.resourceType",),
                )
            ],
        )
    try:
        return get_fhir_model_class(expected).model_validate(data)
    except ValidationError as exc:
        raise FhirError(
            400,
            [
                Issue("error", "invalid", str(e["msg"]), (_expression(expected, e["loc"]),))
                for e in exc.errors()
            ],
        ) from exc
    except (ValueError, KeyError, TypeError) as exc:
        # fhir.resources raises KeyError for an unknown resourceType inside a Bundle.
        raise FhirError(
            400, [Issue("error", "invalid", f"Not a valid {expected}: an unknown resource type.")]
        ) from exc


async def read_body(request: Request, expected: str) -> Any:
    """The FHIR resource a POST carries (`application/fhir+json` or `application/json`)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ACCEPTED_MEDIA_TYPES:
        raise FhirError(
            415, [Issue("error", "not-supported", "Send application/fhir+json (R4 JSON).")]
        )
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise FhirError(413, [Issue("error", "too-costly", "A body may be at most 5 MiB.")])
    return parse(raw, expected)


def base_url(request: Request) -> str:
    """The FHIR base of this server as the client addressed it, e.g. https://host/fhir."""
    return str(request.base_url).rstrip("/") + PREFIX


def searchset(
    request: Request,
    resources: Sequence[Resource],
    *,
    next_cursor: str | None,
) -> Bundle:
    """A searchset Bundle of `resources`, with `self` and, when there is more, `next`."""
    base = base_url(request)
    links = [BundleLink(relation="self", url=str(request.url))]
    if next_cursor is not None:
        links.append(
            BundleLink(
                relation="next", url=str(request.url.include_query_params(_cursor=next_cursor))
            )
        )
    return Bundle(
        type="searchset",
        link=links,
        entry=[
            BundleEntry(
                fullUrl=f"{base}/{resource.get_resource_type()}/{resource.id}",
                resource=resource,
                search={"mode": "match"},
            )
            for resource in resources
        ],
    )


@dataclass(frozen=True, slots=True)
class ResourceCapability:
    """What the server does with one resource type: `read` and/or `search-type` (with its
    search parameters), `create`."""

    type: str
    interactions: tuple[str, ...]
    search_params: tuple[tuple[str, str], ...] = ()  # (name, FHIR search parameter type)
    documentation: str = ""


@dataclass(frozen=True, slots=True)
class Capabilities:
    """Everything `/fhir` offers across the services; `GET /fhir/metadata` states it and
    a test holds it to the routes."""

    resources: tuple[ResourceCapability, ...]
    system_interactions: tuple[str, ...] = ()
    result_params: tuple[str, ...] = field(default=("_count", "_cursor"))


CAPABILITIES = Capabilities(
    system_interactions=("batch", "transaction"),
    resources=(
        ResourceCapability(
            "Location",
            ("read", "search-type"),
            (
                ("_id", "token"),
                ("identifier", "token"),
                ("organization", "reference"),
                ("address-city", "string"),
                ("near", "special"),
            ),
            "Zorgplek's facilities; near=lat|lon|distance|km.",
        ),
        ResourceCapability(
            "Organization",
            ("read", "search-type"),
            (("_id", "token"), ("identifier", "token"), ("name", "string")),
            "Providers, referrers and coordination desks.",
        ),
        ResourceCapability(
            "HealthcareService",
            ("search-type",),
            (("location", "reference"), ("organization", "reference"), ("service-type", "token")),
            "A place type offered at a location; availableTime from its admission hours.",
        ),
        ResourceCapability(
            "MeasureReport",
            ("create", "search-type"),
            (("subject", "reference"),),
            "Bed capacity in the shape of HL7 SANER: post reports (also in a Bundle to the "
            "base), read the current capacity of a location.",
        ),
        ResourceCapability(
            "ServiceRequest",
            ("read",),
            (),
            "A referral, for those who may read it.",
        ),
        ResourceCapability(
            "Task",
            ("search-type",),
            (("focus", "reference"),),
            "The referral's progress: status follows it, businessStatus carries Zorgplek's.",
        ),
    ),
)


def capability_statement(base: str, capabilities: Capabilities = CAPABILITIES) -> Any:
    """The CapabilityStatement of `/fhir`: exactly the interactions and search parameters
    of `capabilities`."""
    from fhir.resources.R4B.capabilitystatement import CapabilityStatement

    return CapabilityStatement(
        status="active",
        date="2026-12-02",
        kind="instance",
        publisher="Zorgplek",
        name="Zorgplek",
        title="Zorgplek FHIR API",
        description="Bed capacity in (HL7 SANER MeasureReports), the directory and referrals out.",
        implementation={"description": "Zorgplek", "url": base},
        fhirVersion="4.0.1",
        format=["application/fhir+json", "json"],
        rest=[
            {
                "mode": "server",
                "security": {
                    "description": "Authorization: Bearer with a Zorgplek token or an API key "
                    "(zpk_…); reporting capacity needs the scope capacity:write."
                },
                "resource": [
                    {
                        "type": resource.type,
                        "documentation": resource.documentation or None,
                        "interaction": [{"code": code} for code in resource.interactions],
                        "searchParam": [
                            {"name": name, "type": kind}
                            for name, kind in (
                                *resource.search_params,
                                *(
                                    (param, "number" if param == "_count" else "string")
                                    for param in capabilities.result_params
                                    if "search-type" in resource.interactions
                                ),
                            )
                        ]
                        or None,
                    }
                    for resource in capabilities.resources
                ],
                "interaction": [{"code": code} for code in capabilities.system_interactions],
            }
        ],
    )
