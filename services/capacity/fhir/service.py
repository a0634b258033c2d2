"""FHIR capacity intake: each report a MeasureReport holds goes through the same use case
as `PUT /capacity` (validation, the older-report rule, history, events); the answer is an
issue per report and per ignored or refused element."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.measurereport import MeasureReport
from sqlalchemy.ext.asyncio import AsyncSession

from services.capacity import metrics
from services.capacity.capacity import service as capacity
from services.capacity.facilities.models import Facility
from services.capacity.fhir import intake, repository
from shared.auth import Principal, ensure_role
from shared.errors import DomainError
from shared.fhir import Issue
from shared.settings import Settings

BUNDLE_TYPES = ("collection", "batch", "transaction")
WRITE_SCOPE = "capacity:write"


@dataclass(slots=True)
class Outcome:
    """The answer to an intake: 200 when a report applied or was ignored as older, 422
    when every report was refused."""

    issues: list[Issue]
    accepted: int = 0

    @property
    def status(self) -> int:
        return 200 if self.accepted else 422


class _TransactionFailed(Exception):
    """Rolls a refused transaction Bundle back as a whole."""


def ensure_reporter(principal: Principal) -> None:
    """Only a provider reports capacity (an API key needs `capacity:write`); which
    facilities it may report for is checked per report."""
    ensure_role(principal, "provider", doing="report capacity", api_key_scope=WRITE_SCOPE)


def _refused(outcome: Outcome, issue: Issue) -> None:
    metrics.capacity_reports.labels("rejected").inc()
    outcome.issues.append(issue)


async def _facility(
    session: AsyncSession, principal: Principal, subject: intake.Subject
) -> Facility | Issue:
    """The caller's facility the subject names; an unknown one and another organisation's
    are refused alike."""
    assert principal.org is not None
    found = await repository.facilities_named(session, principal.org, subject.system, subject.value)
    if len(found) == 1:
        return found[0]
    if not found:
        return Issue(
            "error",
            "not-found",
            "Unknown Location: none of your organisation's locations has this id or identifier.",
            (subject.expression,),
        )
    return Issue(
        "error",
        "multiple-matches",
        f"Ambiguous: {len(found)} of your locations carry this value; name the identifier's "
        "system (subject.identifier) or use the Zorgplek id.",
        (subject.expression,),
    )


def _place_type(
    draft: intake.Draft, facility: Facility, parameter: str | None
) -> tuple[str, tuple[str, ...]] | Issue:
    """The place type of a draft and the element that said so."""
    if draft.place_type is not None:
        return draft.place_type, (draft.place_type_expression or draft.expression,)
    if parameter is not None:
        return parameter, ("place_type",)
    if len(facility.place_types) == 1:
        return facility.place_types[0], (draft.expression,)
    return Issue(
        "error",
        "required",
        f"This location offers {' and '.join(facility.place_types)}: say which, with a group "
        "coded in https://zorgplek.nl/fhir/CodeSystem/place-type or ?place_type=.",
        (draft.expression,),
    )


async def _apply_reading(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    reading: intake.Reading,
    parameter: str | None,
    outcome: Outcome,
) -> None:
    outcome.issues.extend(reading.notes)
    if reading.refusal is not None:
        _refused(outcome, reading.refusal)
        return
    if not reading.drafts:
        _refused(
            outcome,
            Issue(
                "error",
                "not-found",
                "No bed capacity in this report (staffed, occupied or available).",
                (reading.expression,),
            ),
        )
        return
    assert reading.subject is not None
    assert reading.observed_at is not None
    facility = await _facility(session, principal, reading.subject)
    if isinstance(facility, Issue):
        for _ in reading.drafts:
            _refused(outcome, facility)
        return
    for draft in reading.drafts:
        if draft.refusal is not None:
            _refused(outcome, draft.refusal)
            continue
        place = _place_type(draft, facility, parameter)
        if isinstance(place, Issue):
            _refused(outcome, place)
            continue
        place_type, said_by = place
        numbers = intake.numbers(draft, reading.observed_at, reading.observed_expression)
        if isinstance(numbers, Issue):
            _refused(outcome, numbers)
            continue
        try:
            async with session.begin_nested():
                state = await capacity.report(
                    session,
                    principal,
                    settings,
                    facility.id,
                    place_type,
                    numbers.report,
                    source="fhir",
                )
        except DomainError as exc:
            _refused(outcome, Issue("error", "business-rule", exc.detail, said_by))
            continue
        outcome.issues.extend(numbers.notes)
        outcome.accepted += 1
        figures = f"staffed {state.staffed}, occupied {state.occupied}, available {state.available}"
        if state.applied:
            outcome.issues.append(
                Issue(
                    "information",
                    "informational",
                    f"Applied: {place_type} at {facility.name}: {figures}, free {state.free}.",
                    (draft.expression,),
                )
            )
        else:
            outcome.issues.append(
                Issue(
                    "warning",
                    "informational",
                    f"Not applied: {place_type} at {facility.name} has a newer report "
                    f"(observed {state.observed_at.isoformat()}); this one is kept in the "
                    "history.",
                    (draft.expression,),
                )
            )


async def post_report(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    report: MeasureReport,
    place_type: str | None,
) -> Outcome:
    """Apply the capacity one MeasureReport holds."""
    ensure_reporter(principal)
    outcome = Outcome(issues=[])
    reading = intake.read(report, "MeasureReport")
    await _apply_reading(session, principal, settings, reading, place_type, outcome)
    return outcome


async def post_bundle(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    bundle: Bundle,
    place_type: str | None,
) -> Outcome:
    """Apply every MeasureReport of a `collection`, `batch` or `transaction` Bundle; other
    entries are ignored and listed. A batch applies its good reports even when others are
    refused; a transaction applies all of them or none."""
    ensure_reporter(principal)
    outcome = Outcome(issues=[])
    if bundle.type not in BUNDLE_TYPES:
        outcome.issues.append(
            Issue(
                "error",
                "not-supported",
                f"A Bundle of type {bundle.type!r} is not accepted; send a collection, batch "
                "or transaction of MeasureReports.",
                ("Bundle.type",),
            )
        )
        return outcome
    entries: list[Any] = list(bundle.entry or [])
    try:
        async with session.begin_nested():
            for index, entry in enumerate(entries):
                root = f"Bundle.entry[{index}].resource"
                resource = entry.resource
                if not isinstance(resource, MeasureReport):
                    kind = resource.get_resource_type() if resource is not None else "nothing"
                    outcome.issues.append(
                        Issue(
                            "information",
                            "informational",
                            f"Ignored: a {kind}, not a MeasureReport.",
                            (root if resource is not None else f"Bundle.entry[{index}]",),
                        )
                    )
                    continue
                reading = intake.read(resource, root)
                await _apply_reading(session, principal, settings, reading, place_type, outcome)
            if bundle.type == "transaction" and any(i.severity == "error" for i in outcome.issues):
                raise _TransactionFailed
    except _TransactionFailed:
        outcome.issues = [
            Issue(
                "error",
                "processing",
                "The transaction was refused as a whole: nothing was applied.",
                ("Bundle",),
            ),
            *(i for i in outcome.issues if i.severity == "error"),
        ]
        outcome.accepted = 0
    if not entries:
        outcome.issues.append(Issue("error", "required", "The Bundle is empty.", ("Bundle",)))
    return outcome
