"""Reserveringen: reservations on the provider's locations, to accept or decline."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from services.web.core.api import Api, ApiError, DeclineBody
from shared.contracts.referrals import ReferralOut
from shared.contracts.reservations import ReservationOut

GONE = "Deze reservering is intussen verlopen of ingetrokken; er is niets gewijzigd."


@dataclass(frozen=True, slots=True)
class Waiting:
    """A reservation waiting for the provider's answer, with its referral's care details
    (None when the referral cannot be read just now)."""

    reservation: ReservationOut
    referral: ReferralOut | None


async def incoming(api: Api) -> tuple[list[Waiting], list[ReservationOut]]:
    """Reservations waiting for an answer (each with its referral's care details), and
    the latest decided ones."""
    waiting_page, recent_page = await asyncio.gather(
        api.reservations(limit=100, status="held"), api.reservations(limit=20)
    )
    held = sorted(waiting_page.items, key=lambda r: r.expires_at)

    async def referral(reservation: ReservationOut) -> ReferralOut | None:
        try:
            return await api.referral(reservation.referral_id)
        except ApiError:
            return None

    referrals = await asyncio.gather(*(referral(r) for r in held))
    waiting = [Waiting(r, ref) for r, ref in zip(held, referrals, strict=True)]
    recent = [r for r in recent_page.items if r.status != "held"]
    return waiting, recent


async def accept(api: Api, reservation_id: uuid.UUID) -> None:
    await api.accept(reservation_id, conflict=GONE)


async def decline(api: Api, reservation_id: uuid.UUID, reason_code: str, note: str | None) -> None:
    body = DeclineBody(reason_code=reason_code)
    if note:
        body["note"] = note
    await api.decline(reservation_id, body, conflict=GONE)
