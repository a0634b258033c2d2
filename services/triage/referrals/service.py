"""Referrals: one uniform intake, reading under the visibility rules, and the steps a
triagist or referrer takes — claim, advice, handover, cancel."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.audit.service import Trail
from services.triage.capacity_client import CapacityClient, HoldEnded
from services.triage.referrals import access, lifecycle, repository
from services.triage.referrals.lifecycle import Actor
from services.triage.referrals.models import Referral, Reservation
from services.triage.referrals.reservation_states import finish
from services.triage.referrals.schemas import ReferralIn, TimelineEntry
from services.triage.referrals.timeline import entry as timeline_entry
from services.triage.triagists import service as triagists
from shared import reference
from shared.auth import Principal, ensure_role
from shared.care_rules import AMSTERDAM
from shared.contracts.capacity import HoldEnding
from shared.contracts.referrals import Person, TimelineDetail
from shared.errors import Conflict, Forbidden, Invalid

URGENCY_WINDOWS = {
    "acute": timedelta(hours=2),
    "urgent": timedelta(hours=8),
    "soon": timedelta(hours=24),
}


@dataclass(frozen=True, slots=True)
class ReferralView:
    """A referral with what its readers need next to it."""

    referral: Referral
    reservation: Reservation | None
    declines: int


def due_at_for(urgency: str, planned_date: date | None, now: datetime) -> datetime:
    """When a place is needed: acute 2 h, urgent 8 h, soon 24 h; planned at the start of
    `planned_date` (Dutch time)."""
    if urgency != "planned":
        return now + URGENCY_WINDOWS[urgency]
    if planned_date is None:
        raise Invalid(
            "A planned referral needs planned_date.",
            loc=["body", "planned_date"],
            msg="required when urgency is planned",
        )
    if planned_date < now.astimezone(AMSTERDAM).date():
        raise Invalid("planned_date lies in the past.", loc=["body", "planned_date"])
    return datetime.combine(planned_date, time(0), tzinfo=AMSTERDAM).astimezone(UTC)


async def submit(
    session: AsyncSession,
    trail: Trail,
    principal: Principal,
    data: ReferralIn,
    *,
    now: datetime | None = None,
) -> ReferralView:
    """Take in a referral from a referrer; its organisation becomes the owner. It enters
    the queue of its region as `submitted`."""
    ensure_role(principal, "referrer", doing="submit a referral")
    if principal.org is None:
        raise Forbidden("Your token names no organisation; a referral belongs to one.")
    now = now or datetime.now(UTC)
    referral = Referral(
        id=uuid.uuid4(),
        place_type=data.place_type,
        urgency=data.urgency,
        patient_birth_year=data.patient.birth_year,
        patient_sex=data.patient.sex,
        patient_postcode=data.patient.postcode,
        needs=list(data.needs),
        region_code=data.region_code,
        near_lat=data.near.lat if data.near else None,
        near_lon=data.near.lon if data.near else None,
        preferred_facility_ids=list(dict.fromkeys(data.preferred_facility_ids)),
        planned_date=data.planned_date,
        notes=data.notes or None,
        reference=data.reference,
        organisation_id=principal.org,
        created_by=principal.sub,
        created_by_name=principal.name,
        created_at=now,
        updated_at=now,
        due_at=due_at_for(data.urgency, data.planned_date, now),
    )
    trail.about(referral.id)
    await lifecycle.begin(session, referral, Actor.of(principal))
    return ReferralView(referral, None, 0)


async def views(session: AsyncSession, referrals: Sequence[Referral]) -> list[ReferralView]:
    """Referrals with their live reservation and number of declines."""
    ids = [r.id for r in referrals]
    live = await repository.live_reservations(session, ids)
    declines = await repository.decline_counts(session, ids)
    return [ReferralView(r, live.get(r.id), declines.get(r.id, 0)) for r in referrals]


async def view(session: AsyncSession, referral: Referral) -> ReferralView:
    """One referral with its live reservation and number of declines."""
    return (await views(session, [referral]))[0]


async def get(session: AsyncSession, principal: Principal, referral_id: uuid.UUID) -> ReferralView:
    """One referral: for its organisation's referrers, its region's triagists and the
    provider holding a reservation for it."""
    ensure_role(principal, *access.READERS, doing="read referrals")
    referral = await access.visible_referral(session, principal, referral_id)
    return await view(session, referral)


async def list_page(
    session: AsyncSession,
    trail: Trail,
    principal: Principal,
    *,
    statuses: Sequence[str],
    reference: str | None = None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[ReferralView]:
    """The referrals the caller may see, newest first; those with the practice's own case
    number `reference` when given."""
    ensure_role(principal, *access.READERS, doing="read referrals")
    rows = await repository.list_page(
        session,
        access.visibility(principal),
        statuses=statuses,
        reference=reference,
        after=after,
        limit=limit,
    )
    trail.about(*(r.id for r in rows))
    return await views(session, rows)


async def timeline(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID
) -> list[TimelineEntry]:
    """The referral's timeline from its creation on, oldest first, as `principal` may see
    it (services/triage/referrals/timeline.py)."""
    ensure_role(principal, *access.READERS, doing="read referrals")
    referral = await access.visible_referral(session, principal, referral_id)
    events = await repository.timeline(session, referral_id)
    return [timeline_entry(principal, referral, e) for e in events]


async def _for_triagist(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID, doing: str
) -> Referral:
    ensure_role(principal, "triagist", doing=doing)
    referral = await access.visible_referral(session, principal, referral_id, lock=True)
    if not access.covers(principal, referral):
        raise Forbidden(f"Only a triagist of region {referral.region_code} may {doing}.")
    return referral


async def claim(
    session: AsyncSession,
    principal: Principal,
    referral_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> ReferralView:
    """Take a referral as its triagist. A submitted referral moves to `in_triage`; one
    further along (after a direct booking) keeps its status. Atomic: of two triagists
    claiming at once, one gets it and the other a 409."""
    referral = await _for_triagist(session, principal, referral_id, "claim referrals")
    if referral.status not in lifecycle.CLAIMABLE:
        raise lifecycle.IllegalTransition(referral.status, "in_triage")
    now = now or datetime.now(UTC)
    await triagists.note_at_work(session, principal, now)
    if referral.assignee == principal.sub:
        return await view(session, referral)
    if referral.assignee is not None:
        raise Conflict(
            f"{referral.assignee_name} already handles this referral.",
            extra={"referral_status": referral.status, "assignee": referral.assignee},
        )
    referral.assignee, referral.assignee_name = principal.sub, principal.name
    actor = Actor.of(principal)
    if referral.status == "submitted":
        await lifecycle.transition(
            session, referral, "in_triage", actor=actor, action="claim", at=now
        )
    else:
        referral.updated_at = now
        await lifecycle.note(session, referral, actor, "claim", at=now)
    return await view(session, referral)


def _person(sub: str | None, name: str | None) -> Person | None:
    return Person(id=sub, name=name or sub) if sub else None


async def assign(
    session: AsyncSession,
    principal: Principal,
    referral_id: uuid.UUID,
    assignee: str | None,
    *,
    now: datetime | None = None,
) -> ReferralView:
    """Hand the case back to the queue (`assignee` None) or to a triagist of the same region
    whom Zorgplek has seen at work. Any triagist of the region may: one going off shift, or
    a colleague sharing out the work. A submitted referral given to someone is `in_triage`."""
    referral = await _for_triagist(session, principal, referral_id, "assign referrals")
    if referral.status not in lifecycle.CLAIMABLE:
        raise lifecycle.IllegalTransition(referral.status, "in_triage")
    now = now or datetime.now(UTC)
    await triagists.note_at_work(session, principal, now)
    previous = _person(referral.assignee, referral.assignee_name)
    if assignee is None:
        if referral.assignee is None:
            return await view(session, referral)
        referral.assignee = referral.assignee_name = None
        referral.updated_at = now
        detail = TimelineDetail(assignee=None, previous=previous)
        await lifecycle.note(session, referral, Actor.of(principal), "unassign", detail, at=now)
        return await view(session, referral)
    colleague = await triagists.colleague(session, assignee, referral.region_code)
    if colleague is None:
        raise Invalid(
            f"No triagist of region {referral.region_code} with this id has worked in "
            "Zorgplek; they appear once they have opened the queue.",
            loc=["body", "assignee"],
            msg="not a known triagist of the referral's region",
        )
    if referral.assignee == colleague.sub:
        return await view(session, referral)
    referral.assignee, referral.assignee_name = colleague.sub, colleague.name
    referral.updated_at = now
    detail = TimelineDetail(assignee=_person(colleague.sub, colleague.name), previous=previous)
    actor = Actor.of(principal)
    if referral.status == "submitted":
        await lifecycle.transition(
            session, referral, "in_triage", actor=actor, action="assign", detail=detail, at=now
        )
    else:
        await lifecycle.note(session, referral, actor, "assign", detail, at=now)
    return await view(session, referral)


async def advise(
    session: AsyncSession,
    principal: Principal,
    referral_id: uuid.UUID,
    advice: str,
    advice_reason: str | None = None,
) -> ReferralView:
    """Close the referral with advice: no admission is needed and the referrer keeps the
    case; `advice_reason` (`no_place`: nothing suitable was free) is kept with it. Only its
    triagist may."""
    referral = await _for_triagist(session, principal, referral_id, "give advice")
    lifecycle.ensure_path(referral.status, ["advised"])
    access.ensure_assignee(principal, referral, "give advice")
    referral.advice = advice
    referral.closed_reason = advice_reason
    detail = TimelineDetail(advice=advice)
    if advice_reason is not None:
        detail = detail.model_copy(update={"advice_reason": advice_reason})
    await lifecycle.transition(
        session,
        referral,
        "advised",
        actor=Actor.of(principal),
        action="advise",
        detail=detail,
    )
    return await view(session, referral)


async def handover(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID
) -> ReferralView:
    """The placed patient is handed over to the provider: the case is closed. The
    referrer or the referral's triagist may."""
    ensure_role(principal, "triagist", "referrer", doing="hand a referral over")
    referral = await access.visible_referral(session, principal, referral_id, lock=True)
    lifecycle.ensure_path(referral.status, ["handed_over"])
    if not access.owns(principal, referral):
        if not access.covers(principal, referral):
            raise Forbidden("Only the referrer or the referral's triagist may hand it over.")
        access.ensure_assignee(principal, referral, "hand it over")
    live = await repository.lock_live(session, referral.id)
    await lifecycle.transition(
        session,
        referral,
        "handed_over",
        actor=Actor.of(principal),
        action="handover",
        reservation=live,
    )
    return await view(session, referral)


async def cancel(
    session: AsyncSession,
    principal: Principal,
    client: CapacityClient,
    referral_id: uuid.UUID,
    reason: str,
    reason_code: str | None = None,
) -> ReferralView:
    """Cancel the referral, releasing a held place first; also once placed (the patient
    died or was admitted elsewhere): the provider that admitted it is told by the event,
    and its capacity numbers stay its own to report. The referrer or the referral's
    triagist may."""
    ensure_role(principal, "triagist", "referrer", doing="cancel a referral")
    referral = await access.visible_referral(session, principal, referral_id, lock=True)
    lifecycle.ensure_path(referral.status, ["cancelled"])
    if not access.owns(principal, referral):
        if not access.covers(principal, referral):
            raise Forbidden("Only the referrer or the referral's triagist may cancel it.")
        access.ensure_assignee(principal, referral, "cancel it")
    now = datetime.now(UTC)
    actor = Actor.of(principal)
    live = await repository.lock_live(session, referral.id)
    if live is not None and live.status == "held":
        try:
            await client.release(live.hold_id, HoldEnding(outcome="cancelled"))
        except HoldEnded as exc:
            raise Conflict(
                "The provider has already admitted the patient to this place.",
                extra={"referral_status": referral.status, "hold_status": exc.hold_status},
            ) from exc
        finish(live, "cancelled", actor=actor, at=now, note=reason)
    detail = TimelineDetail(reason=reason)
    if reason_code is not None:
        detail = detail.model_copy(update={"reason_code": reason_code})
    referral.closed_reason = reason_code
    await lifecycle.transition(
        session,
        referral,
        "cancelled",
        actor=actor,
        action="cancel",
        detail=detail,
        reservation=live,
        at=now,
    )
    return await view(session, referral)


def direct_booking(place_type: str) -> bool:
    """Whether a referrer may see matches and reserve this place type without a triagist."""
    known = reference.place_types().get(place_type)
    return known is not None and known.direct_booking
