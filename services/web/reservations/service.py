"""Reserveringen: reservations on the provider's locations, to accept or decline."""

from __future__ import annotations

import asyncio
from typing import Any

from services.web.core.api import Api, ApiError

GONE = "Deze reservering is intussen verlopen of ingetrokken; er is niets gewijzigd."


async def incoming(api: Api) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Reservations waiting for an answer (each with its referral's care details), and
    the latest decided ones."""
    waiting_page, recent_page = await asyncio.gather(
        api.get("/api/v1/reservations", params={"status": "held", "limit": 100}),
        api.get("/api/v1/reservations", params={"limit": 20}),
    )
    waiting: list[dict[str, Any]] = sorted(waiting_page["items"], key=lambda r: r["expires_at"])

    async def referral(reservation: dict[str, Any]) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = await api.get(f"/api/v1/referrals/{reservation['referral_id']}")
        except ApiError:
            return None
        return found

    referrals = await asyncio.gather(*(referral(r) for r in waiting))
    waiting = [{**r, "referral": ref} for r, ref in zip(waiting, referrals, strict=True)]
    recent = [r for r in recent_page["items"] if r["status"] != "held"]
    return waiting, recent


async def accept(api: Api, reservation_id: str) -> None:
    await api.post(f"/api/v1/reservations/{reservation_id}/accept", conflict=GONE)


async def decline(api: Api, reservation_id: str, reason_code: str, note: str | None) -> None:
    body: dict[str, Any] = {"reason_code": reason_code}
    if note:
        body["note"] = note
    await api.post(f"/api/v1/reservations/{reservation_id}/decline", body, conflict=GONE)
