"""Triage's `/fhir` routes: a referral as a ServiceRequest and its progress as a Task,
under the visibility rule of `GET /api/v1/referrals/{id}`; every read is audited."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request, Response

from services.triage.audit.service import Trail, audited
from services.triage.fhir import resources
from services.triage.referrals import service
from services.triage.referrals.schemas import ReferralOut, referral_out
from services.triage.referrals.service import ReferralView
from shared import fhir
from shared.auth import CurrentPrincipal, authenticated_router
from shared.db import DbSession
from shared.errors import NotFound
from shared.fhir import FhirError, Issue

router = authenticated_router(prefix=fhir.PREFIX, tags=["fhir"])
FHIR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"description": "OperationOutcome", "content": {fhir.FHIR_JSON: {}}}
    for status in (400, 401, 403, 404, 422)
}


def _out(view: ReferralView) -> ReferralOut:
    return referral_out(view.referral, view.reservation, view.declines)


@router.get(
    "/ServiceRequest/{referral_id}",
    responses=FHIR_RESPONSES,
    dependencies=[audited("read")],
)
async def read_service_request(
    referral_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Response:
    """A referral as a ServiceRequest: for whom may read the referral; anyone else 404."""
    view = await service.get(session, principal, referral_id)
    return fhir.respond(resources.service_request(_out(view)))


@router.get("/Task", responses=FHIR_RESPONSES)
async def search_tasks(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    trail: Annotated[Trail, audited("read")],
    focus: Annotated[str, Query(description="ServiceRequest/{id}")],
) -> Response:
    """The Task of a referral: `status` follows it, `businessStatus` carries Zorgplek's
    status. A referral the caller may not read yields an empty searchset."""
    try:
        referral_id = uuid.UUID(focus.removeprefix("ServiceRequest/"))
    except ValueError as exc:
        raise FhirError(
            400, [Issue("error", "invalid", "focus must be ServiceRequest/{id}.", ("focus",))]
        ) from exc
    trail.about(referral_id)
    try:
        view = await service.get(session, principal, referral_id)
    except NotFound:
        return fhir.respond(fhir.searchset(request, [], next_cursor=None))
    return fhir.respond(fhir.searchset(request, [resources.task(_out(view))], next_cursor=None))
