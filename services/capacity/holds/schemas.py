"""Holds speak the wire models other services share (`shared.contracts.capacity`)."""

from services.capacity.holds.models import Hold
from shared.contracts.capacity import HoldIn, HoldOut

__all__ = ["HoldIn", "HoldOut", "hold_out"]


def hold_out(hold: Hold) -> HoldOut:
    """The answer about a hold."""
    return HoldOut(
        id=hold.id,
        facility_id=hold.facility_id,
        place_type=hold.place_type,
        referral_id=hold.referral_id,
        status=hold.status,
        created_at=hold.created_at,
        expires_at=hold.expires_at,
        ended_at=hold.ended_at,
    )
