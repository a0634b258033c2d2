"""Every table of the triage schema, imported together for migrations."""

from services.triage.base import Base, idempotency_keys
from services.triage.referrals.models import Referral, ReferralEvent, Reservation
from services.triage.triagists.models import Triagist

__all__ = ["Base", "Referral", "ReferralEvent", "Reservation", "Triagist", "idempotency_keys"]
