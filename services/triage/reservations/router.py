import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Query, status

from services.triage.audit.service import Trail, audited
from services.triage.base import Idempotency
from services.triage.capacity_client import CapacityApi
from services.triage.context import TriageContext
from services.triage.reservations import answers, reads, release, reserving
from services.triage.reservations.schemas import (
    DeclineIn,
    ReleaseIn,
    ReservationIn,
    ReservationOut,
    ReservationStatus,
    reservation_out,
)
from shared.auth import CurrentPrincipal, authenticated_router
from shared.db import DbSession
from shared.errors import problem_responses
from shared.pagination import Cursor, Limit, Page, decode_cursor, page

router = authenticated_router(prefix="/api/v1", tags=["reservations"])


@router.post(
    "/referrals/{referral_id}/reservations",
    status_code=status.HTTP_201_CREATED,
    response_model=ReservationOut,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
    dependencies=[audited("reserve")],
)
async def reserve_place(
    referral_id: uuid.UUID,
    body: ReservationIn,
    principal: CurrentPrincipal,
    ctx: TriageContext,
    idempotency: Idempotency,
) -> object:
    """Hold a place at `facility_id` for the referral until the provider answers or
    `hold_minutes` (default 30) pass: 201 `held` with `expires_at`; 409 when no place is
    free there any more. Of many callers racing for the last places, exactly as many
    succeed as there were places. 503 when the capacity service cannot be reached — then
    nothing has changed.

    The referral's triagist (after claiming it), from `in_triage` or `searching`; its
    referrer for place types that may be booked directly (ELV)."""
    return await reserving.reserve(ctx, principal, idempotency, referral_id, body)


@router.get(
    "/reservations",
    response_model=Page[ReservationOut],
    responses=problem_responses(401, 403, 422),
)
async def list_reservations(
    principal: CurrentPrincipal,
    session: DbSession,
    trail: Annotated[Trail, audited("list_reservations")],
    status: Annotated[list[ReservationStatus] | None, Query()] = None,
    referral_id: uuid.UUID | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ReservationOut]:
    """Reservations the caller may see, newest first. For a provider, `status=held` lists
    the reservations waiting for its answer."""
    after = decode_cursor(cursor, datetime.fromisoformat, uuid.UUID)
    rows = await reads.list_page(
        session,
        trail,
        principal,
        referral_id=referral_id,
        statuses=list(status or []),
        after=after,
        limit=limit + 1,
    )
    paged = page(rows, limit, lambda row: (row[0].created_at.isoformat(), row[0].id))
    return paged.map(lambda row: reservation_out(*row))


@router.get(
    "/reservations/{reservation_id}",
    response_model=ReservationOut,
    responses=problem_responses(401, 403, 404),
)
async def get_reservation(
    reservation_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    trail: Annotated[Trail, audited("read_reservation")],
) -> ReservationOut:
    """One reservation: for the provider of its facility and whoever may read its
    referral."""
    reservation, referral = await reads.get(session, trail, principal, reservation_id)
    return reservation_out(reservation, referral.status)


@router.post(
    "/reservations/{reservation_id}/accept",
    response_model=ReservationOut,
    responses=problem_responses(401, 403, 404, 409, 503),
)
async def accept_reservation(
    reservation_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    client: CapacityApi,
    trail: Annotated[Trail, audited("accept")],
) -> ReservationOut:
    """The provider of the facility admits the patient: reservation `accepted`, referral
    `placed`, the place counted as occupied."""
    reservation, referral = await answers.accept(session, trail, principal, client, reservation_id)
    return reservation_out(reservation, referral.status)


@router.post(
    "/reservations/{reservation_id}/decline",
    response_model=ReservationOut,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
async def decline_reservation(
    reservation_id: uuid.UUID,
    body: DeclineIn,
    principal: CurrentPrincipal,
    session: DbSession,
    client: CapacityApi,
    trail: Annotated[Trail, audited("decline")],
) -> ReservationOut:
    """The provider of the facility declines, with a reason code (`no_staff`,
    `care_too_complex`, `features_missing`, `patient_refused`, `other`) and an optional
    note: the place is released and the referral goes back to `searching`."""
    reservation, referral = await answers.decline(
        session, trail, principal, client, reservation_id, body.reason_code, body.note
    )
    return reservation_out(reservation, referral.status)


@router.post(
    "/reservations/{reservation_id}/release",
    response_model=ReservationOut,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
async def release_reservation(
    reservation_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    client: CapacityApi,
    trail: Annotated[Trail, audited("release")],
    body: ReleaseIn | None = None,
) -> ReservationOut:
    """Give a held place back to try another: reservation `released`, the place free again,
    the referral back to `searching` (the place may be proposed again). An optional
    `reason` goes into the timeline. The referral's triagist (after claiming it); its
    referrer for a place it booked directly."""
    reservation, referral = await release.release(
        session, trail, principal, client, reservation_id, body.reason if body else None
    )
    return reservation_out(reservation, referral.status)
