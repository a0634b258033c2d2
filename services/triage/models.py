"""Every table of the triage schema, imported together for migrations."""

from services.triage.base import Base, idempotency_keys
from services.triage.referrals.models import Referral, ReferralEvent, Reservation

__all__ = ["Base", "Referral", "ReferralEvent", "Reservation", "idempotency_keys"]
