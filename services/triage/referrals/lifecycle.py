"""The referral life cycle, enforced here and only here: every status change goes through
`transition`, which refuses an illegal one (409 naming the current status) and, in the same
transaction, writes the timeline entry (who, when, from, to, why), the
`referral.status_changed` event and the metrics.

    submitted → in_triage → searching → reserved → placed → handed_over
    submitted → reserved                      (direct booking of ELV places)
    reserved  → searching                     (declined, expired or released)
    in_triage | searching → advised           (no admission; the referrer keeps the case)
    submitted | in_triage | searching | reserved | placed → cancelled
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import get_args

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage import metrics
from services.triage.referrals import events, repository
from services.triage.referrals.models import Referral, ReferralEvent, Reservation
from shared.auth import Principal
from shared.contracts.referrals import Status, TimelineDetail
from shared.errors import Conflict

STATUSES: tuple[str, ...] = get_args(Status)
TRANSITIONS: dict[str, frozenset[str]] = {
    "submitted": frozenset({"in_triage", "reserved", "cancelled"}),
    "in_triage": frozenset({"searching", "advised", "cancelled"}),
    "searching": frozenset({"reserved", "advised", "cancelled"}),
    "reserved": frozenset({"placed", "searching", "cancelled"}),
    "placed": frozenset({"handed_over", "cancelled"}),
    "handed_over": frozenset(),
    "advised": frozenset(),
    "cancelled": frozenset(),
}
CLOSED = frozenset(s for s, targets in TRANSITIONS.items() if not targets)
# Where a claim may take the case: not once it is closed.
CLAIMABLE = frozenset({"submitted", "in_triage", "searching", "reserved", "placed"})


class IllegalTransition(Conflict):
    """A status change the life cycle does not allow; names the current status."""

    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(
            f"The referral is {current}; it cannot become {wanted}.",
            extra={"referral_status": current, "wanted_status": wanted},
        )


# The part a person plays in a referral, as far as the timeline tells others (see
# services/triage/referrals/timeline.py), the first that applies.
ROLES = ("triagist", "provider", "referrer")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a person (from their token) of an organisation in a role, or Zorgplek
    itself (expiry)."""

    sub: str
    name: str
    organisation_id: uuid.UUID | None
    role: str

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        role = next((r for r in ROLES if principal.has(r)), "system")
        return cls(sub=principal.sub, name=principal.name, organisation_id=principal.org, role=role)


SYSTEM = Actor(sub="system:triage", name="Zorgplek", organisation_id=None, role="system")


def _written(detail: TimelineDetail | None) -> dict[str, object]:
    """A step's detail as stored: what it said, nothing more."""
    return detail.model_dump(mode="json") if detail is not None else {}


def may_become(current: str, wanted: str) -> bool:
    """Whether the life cycle allows `current` → `wanted`."""
    return wanted in TRANSITIONS[current]


def ensure_path(current: str, path: list[str]) -> None:
    """Refuse, before any work is done, a sequence of steps the life cycle does not allow."""
    status = current
    for wanted in path:
        if not may_become(status, wanted):
            raise IllegalTransition(current, path[-1])
        status = wanted


async def note(
    session: AsyncSession,
    referral: Referral,
    actor: Actor,
    action: str,
    detail: TimelineDetail | None = None,
    *,
    at: datetime | None = None,
) -> None:
    """A timeline entry without a status change (a claim, an escalation)."""
    await repository.add_event(
        session,
        ReferralEvent(
            referral_id=referral.id,
            at=at or datetime.now(UTC),
            actor=actor.sub,
            actor_name=actor.name,
            actor_organisation_id=actor.organisation_id,
            actor_role=actor.role,
            action=action,
            from_status=referral.status,
            to_status=referral.status,
            detail=_written(detail),
        ),
    )


async def begin(session: AsyncSession, referral: Referral, actor: Actor) -> None:
    """A new referral enters the life cycle as `submitted`: its first timeline entry and
    `referral.created`."""
    referral.status = "submitted"
    await repository.add(session, referral)
    await repository.add_event(
        session,
        ReferralEvent(
            referral_id=referral.id,
            at=referral.created_at,
            actor=actor.sub,
            actor_name=actor.name,
            actor_organisation_id=actor.organisation_id,
            actor_role=actor.role,
            action="create",
            from_status=None,
            to_status="submitted",
            detail={},
        ),
    )
    await events.publish_created(session, referral)
    metrics.referrals.labels(referral.place_type, referral.urgency).inc()
    metrics.referral_transitions.labels("submitted").inc()


async def transition(
    session: AsyncSession,
    referral: Referral,
    to_status: str,
    *,
    actor: Actor,
    action: str,
    detail: TimelineDetail | None = None,
    reservation: Reservation | None = None,
    at: datetime | None = None,
) -> None:
    """Move `referral` to `to_status`, or refuse with 409 naming its current status.

    `reservation` is the reservation this step is about: its provider is told too."""
    current = referral.status
    if not may_become(current, to_status):
        raise IllegalTransition(current, to_status)
    now = at or datetime.now(UTC)
    referral.status = to_status
    referral.updated_at = now
    if to_status == "placed":
        referral.placed_at = now
        seconds = max((now - referral.created_at).total_seconds(), 0.0)
        metrics.time_to_placement.labels(referral.place_type).observe(seconds)
    if to_status in CLOSED:
        referral.closed_at = now
    await repository.add_event(
        session,
        ReferralEvent(
            referral_id=referral.id,
            at=now,
            actor=actor.sub,
            actor_name=actor.name,
            actor_organisation_id=actor.organisation_id,
            actor_role=actor.role,
            action=action,
            from_status=current,
            to_status=to_status,
            detail=_written(detail),
        ),
    )
    await session.flush()
    await events.publish_status_changed(session, referral, current, reservation)
    metrics.referral_transitions.labels(to_status).inc()
