import json
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Query, status
from fastapi.responses import JSONResponse

from services.triage.audit.service import Trail, audited
from services.triage.base import Idempotency
from services.triage.capacity_client import CapacityApi
from services.triage.referrals import service
from services.triage.referrals.schemas import (
    AdviceIn,
    AssignIn,
    CancelIn,
    ReferralIn,
    ReferralOut,
    Status,
    Timeline,
    referral_out,
)
from services.triage.referrals.service import ReferralView
from shared.auth import CurrentPrincipal, authenticated_router
from shared.clock import Now
from shared.db import DbSession
from shared.errors import problem_responses
from shared.pagination import Cursor, Limit, Page, decode_cursor, page

router = authenticated_router(prefix="/api/v1/referrals", tags=["referrals"])


def _out(v: ReferralView) -> ReferralOut:
    return referral_out(v.referral, v.reservation, v.declines)


def _replayed_id(replay: JSONResponse) -> uuid.UUID | None:
    try:
        return uuid.UUID(json.loads(bytes(replay.body))["id"])
    except (ValueError, KeyError, TypeError):
        return None


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferralOut,
    responses=problem_responses(401, 403, 422),
)
async def submit_referral(
    body: ReferralIn,
    principal: CurrentPrincipal,
    session: DbSession,
    idempotency: Idempotency,
    trail: Annotated[Trail, audited("create")],
    now: Now,
) -> object:
    """Submit a referral (referrer). It belongs to the referrer's organisation and enters
    the queue of its region; `due_at` follows from the urgency. Notes holding anything
    that looks like a BSN are refused."""
    if (replay := await idempotency.replay()) is not None:
        if (replayed := _replayed_id(replay)) is not None:
            trail.about(replayed)
        return replay
    created = await service.submit(session, trail, principal, body, now=now)
    return await idempotency.respond(201, _out(created))


@router.get("", response_model=Page[ReferralOut], responses=problem_responses(401, 403, 422))
async def list_referrals(
    principal: CurrentPrincipal,
    session: DbSession,
    trail: Annotated[Trail, audited("list")],
    status: Annotated[list[Status] | None, Query(description="Repeat for several.")] = None,
    reference: Annotated[
        str | None,
        Query(min_length=1, max_length=30, description="The practice's own case number."),
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ReferralOut]:
    """Referrals the caller may see, newest first: a referrer its organisation's, a
    triagist those of its regions, a provider those it holds a reservation for. Narrowed
    by `status` and by `reference`, the practice's own case number (exact)."""
    after = decode_cursor(cursor, datetime.fromisoformat, uuid.UUID)
    rows = await service.list_page(
        session,
        trail,
        principal,
        statuses=status or [],
        reference=reference.strip() if reference else None,
        after=after,
        limit=limit + 1,
    )
    return page(rows, limit, lambda v: (v.referral.created_at.isoformat(), v.referral.id)).map(_out)


@router.get(
    "/{referral_id}",
    response_model=ReferralOut,
    responses=problem_responses(401, 403, 404),
    dependencies=[audited("read")],
)
async def get_referral(
    referral_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
) -> ReferralOut:
    """One referral: for its organisation's referrers, its region's triagists, and the
    provider holding a reservation for it. Anyone else: 404."""
    return _out(await service.get(session, principal, referral_id))


@router.get(
    "/{referral_id}/events",
    response_model=Timeline,
    responses=problem_responses(401, 403, 404),
    dependencies=[audited("read_timeline")],
)
async def referral_timeline(
    referral_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
) -> Timeline:
    """The referral's timeline, oldest first: who did what and when, from which status to
    which, and why. Names and free text (a decline note, a reason) only for the actor's own
    organisation and the RAP; others see the part the actor played."""
    return Timeline(items=await service.timeline(session, principal, referral_id))


@router.post(
    "/{referral_id}/claim",
    response_model=ReferralOut,
    responses=problem_responses(401, 403, 404, 409),
    dependencies=[audited("claim")],
)
async def claim_referral(
    referral_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
) -> ReferralOut:
    """Take the referral as its triagist (`in_triage`). When another triagist holds it:
    409."""
    return _out(await service.claim(session, principal, referral_id))


@router.post(
    "/{referral_id}/advice",
    response_model=ReferralOut,
    responses=problem_responses(401, 403, 404, 409, 422),
    dependencies=[audited("advise")],
)
async def advise_referral(
    referral_id: uuid.UUID,
    body: AdviceIn,
    principal: CurrentPrincipal,
    session: DbSession,
) -> ReferralOut:
    """Close the referral with advice (`advised`): no admission; the referrer keeps the
    case. `advice_reason: no_place` says nothing suitable was free: the referral counts as
    unmet demand (`GET /api/v1/stats`). Only the triagist who claimed it."""
    return _out(
        await service.advise(session, principal, referral_id, body.advice, body.advice_reason)
    )


@router.post(
    "/{referral_id}/handover",
    response_model=ReferralOut,
    responses=problem_responses(401, 403, 404, 409),
    dependencies=[audited("handover")],
)
async def hand_over_referral(
    referral_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
) -> ReferralOut:
    """The placed patient has been handed over to the provider (`handed_over`). The
    referrer or the referral's triagist."""
    return _out(await service.handover(session, principal, referral_id))


@router.post(
    "/{referral_id}/cancel",
    response_model=ReferralOut,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
    dependencies=[audited("cancel")],
)
async def cancel_referral(
    referral_id: uuid.UUID,
    body: CancelIn,
    principal: CurrentPrincipal,
    session: DbSession,
    client: CapacityApi,
) -> ReferralOut:
    """Cancel the referral (`cancelled`) with a `reason` (required) and optionally a
    `reason_code` (`no_place_found` counts as unmet demand, unless it was placed), releasing
    a held place first. Also a placed referral (the patient died,
    or was admitted elsewhere): the provider is told. The referrer or the referral's
    triagist."""
    return _out(
        await service.cancel(session, principal, client, referral_id, body.reason, body.reason_code)
    )


@router.post(
    "/{referral_id}/assign",
    response_model=ReferralOut,
    responses=problem_responses(401, 403, 404, 409, 422),
    dependencies=[audited("assign")],
)
async def assign_referral(
    referral_id: uuid.UUID,
    body: AssignIn,
    principal: CurrentPrincipal,
    session: DbSession,
) -> ReferralOut:
    """Hand the case back to the queue (`{"assignee": null}`) or to another triagist of the
    referral's region (`{"assignee": "<sub>"}`, one of `GET /api/v1/triagists`). Any
    triagist of the region; both steps are in the timeline (`unassign`, `assign`)."""
    return _out(await service.assign(session, principal, referral_id, body.assignee))
