"""A reservation is `held` until it ends exactly once: `accepted` by the provider,
`declined` with a reason, `expired` unanswered, `released` by whoever booked it (to try
another place), or `cancelled` with its referral."""

from __future__ import annotations

from datetime import datetime

from services.triage import metrics
from services.triage.referrals.lifecycle import Actor
from services.triage.referrals.models import Reservation
from shared.contracts.capacity import DECLINE_REASONS
from shared.errors import Conflict

__all__ = ["DECLINE_REASONS", "ENDINGS", "ReservationEnded", "finish"]

ENDINGS = frozenset({"accepted", "declined", "expired", "released", "cancelled"})


class ReservationEnded(Conflict):
    """The reservation was already answered, expired, released or cancelled."""

    def __init__(self, reservation: Reservation) -> None:
        super().__init__(
            f"The reservation is {reservation.status}.",
            extra={"reservation_status": reservation.status},
        )


def finish(
    reservation: Reservation,
    status: str,
    *,
    actor: Actor,
    at: datetime,
    reason_code: str | None = None,
    note: str | None = None,
) -> None:
    """End a held reservation with `status`; 409 if it had ended already."""
    if reservation.status != "held" or status not in ENDINGS:
        raise ReservationEnded(reservation)
    reservation.status = status
    reservation.decided_at = at
    reservation.decided_by = actor.sub
    reservation.reason_code = reason_code
    reservation.note = note
    metrics.reservations.labels(status).inc()
    if status == "declined" and reason_code is not None:
        metrics.declines.labels(reason_code).inc()
