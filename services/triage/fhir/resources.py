"""A referral as a FHIR ServiceRequest and its progress as a Task, built with
`fhir.resources` from the same answer `GET /api/v1/referrals/{id}` gives."""

from __future__ import annotations

from fhir.resources.R4B.annotation import Annotation
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task, TaskRestriction

from services.triage.referrals.schemas import ReferralOut
from shared import reference

PLACE_TYPE = "https://zorgplek.nl/fhir/CodeSystem/place-type"
FEATURE = "https://zorgplek.nl/fhir/CodeSystem/feature"
REFERRAL_STATUS = "https://zorgplek.nl/fhir/CodeSystem/referral-status"

# Our statuses in FHIR's words: the request's, and the task's that carries it out.
REQUEST_STATUS = {
    "submitted": "active",
    "in_triage": "active",
    "searching": "active",
    "reserved": "active",
    "placed": "active",
    "handed_over": "completed",
    "advised": "completed",
    "cancelled": "revoked",
}
TASK_STATUS = {
    "submitted": "requested",
    "in_triage": "accepted",
    "searching": "in-progress",
    "reserved": "in-progress",
    "placed": "in-progress",
    "handed_over": "completed",
    "advised": "rejected",
    "cancelled": "cancelled",
}
PRIORITY = {"acute": "stat", "urgent": "urgent", "soon": "asap", "planned": "routine"}
DUTCH_STATUS = {
    "submitted": "aangemeld",
    "in_triage": "in triage",
    "searching": "zoekt plek",
    "reserved": "plek gereserveerd",
    "placed": "geplaatst",
    "handed_over": "overgedragen",
    "advised": "advies gegeven",
    "cancelled": "geannuleerd",
}
SEX_WORDS = {"female": "vrouw", "male": "man", "other": "anders", "unknown": "onbekend"}


def service_request(referral: ReferralOut) -> ServiceRequest:
    """The referral as a request for a place: what is asked, for whom (never a name or a
    BSN: only what matching needs), by whom, and by when."""
    place_type = reference.place_types()[referral.place_type]
    patient = referral.patient
    return ServiceRequest(
        id=str(referral.id),
        status=REQUEST_STATUS[referral.status],
        intent="order",
        priority=PRIORITY[referral.urgency],
        code=CodeableConcept(
            coding=[Coding(system=PLACE_TYPE, code=place_type.code, display=place_type.name)],
            text=place_type.name,
        ),
        orderDetail=[
            CodeableConcept(coding=[Coding(system=FEATURE, code=need)]) for need in referral.needs
        ]
        or None,
        subject=Reference(
            display=f"Cliënt: {SEX_WORDS.get(patient.sex, patient.sex)}, geboren "
            f"{patient.birth_year}"
        ),
        authoredOn=referral.created_at.isoformat(),
        occurrencePeriod=Period(
            start=referral.created_at.isoformat(), end=referral.due_at.isoformat()
        ),
        requester=Reference(
            reference=f"Organization/{referral.organisation_id}",
            display=referral.created_by.name,
        ),
        performer=[
            Reference(
                reference=f"Location/{referral.reservation.facility_id}",
                display=referral.reservation.facility_name,
            )
        ]
        if referral.reservation is not None
        else None,
        identifier=[
            Identifier(
                use="usual",
                value=referral.reference,
                assigner=Reference(reference=f"Organization/{referral.organisation_id}"),
            )
        ]
        if referral.reference
        else None,
        note=[Annotation(text=referral.notes)] if referral.notes else None,
    )


def task(referral: ReferralOut) -> Task:
    """The referral's progress: `status` in FHIR's terms, `businessStatus` in ours."""
    return Task(
        id=str(referral.id),
        status=TASK_STATUS[referral.status],
        businessStatus=CodeableConcept(
            coding=[
                Coding(
                    system=REFERRAL_STATUS,
                    code=referral.status,
                    display=DUTCH_STATUS[referral.status],
                )
            ],
            text=DUTCH_STATUS[referral.status],
        ),
        intent="order",
        priority=PRIORITY[referral.urgency],
        focus=Reference(reference=f"ServiceRequest/{referral.id}"),
        authoredOn=referral.created_at.isoformat(),
        lastModified=referral.updated_at.isoformat(),
        requester=Reference(
            reference=f"Organization/{referral.organisation_id}",
            display=referral.created_by.name,
        ),
        owner=Reference(display=referral.assignee.name) if referral.assignee else None,
        executionPeriod=Period(
            start=referral.created_at.isoformat(),
            end=referral.closed_at.isoformat() if referral.closed_at else None,
        ),
        restriction=TaskRestriction(period=Period(end=referral.due_at.isoformat())),
    )
