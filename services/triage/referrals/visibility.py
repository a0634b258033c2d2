"""Who may see a referral and its reservations: the one rule, as SQL, used by every query
that reads referrals — lists, reads by id, the queue and the reservations.

- A referral: the referrers of the organisation that owns it; the triagists whose regions
  cover its region; the provider holding a live (held or accepted) reservation on it.
- A reservation: whoever sees its referral as referrer or triagist; and the provider of its
  facility — its to-do list and its history, also after it declined. Never another
  provider, not even the one that holds the referral now.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, false, or_

from services.triage.referrals.models import LIVE_RESERVATION, Referral, Reservation


@dataclass(frozen=True, slots=True)
class Visibility:
    """What a caller is, as far as seeing referrals goes: the organisation it refers for,
    the regions it covers as a triagist, the organisation it provides care for."""

    organisation_id: uuid.UUID | None
    regions: frozenset[str]
    provider_organisation_id: uuid.UUID | None


def _as_referrer_or_triagist(scope: Visibility) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if scope.organisation_id is not None:
        clauses.append(Referral.organisation_id == scope.organisation_id)
    if scope.regions:
        clauses.append(Referral.region_code.in_(sorted(scope.regions)))
    return clauses


def provider_holds(organisation_id: uuid.UUID) -> ColumnElement[bool]:
    """The referral has a live reservation at one of the organisation's facilities."""
    return exists().where(
        Reservation.referral_id == Referral.id,
        Reservation.facility_organisation_id == organisation_id,
        Reservation.status.in_(LIVE_RESERVATION),
    )


def referral_visible(scope: Visibility) -> ColumnElement[bool]:
    """SQL over `Referral`: the referrals `scope` may see."""
    clauses = _as_referrer_or_triagist(scope)
    if scope.provider_organisation_id is not None:
        clauses.append(provider_holds(scope.provider_organisation_id))
    return or_(*clauses) if clauses else false()


def reservation_visible(scope: Visibility) -> ColumnElement[bool]:
    """SQL over `Reservation` joined to its `Referral`: the reservations `scope` may see."""
    clauses = _as_referrer_or_triagist(scope)
    if scope.provider_organisation_id is not None:
        clauses.append(Reservation.facility_organisation_id == scope.provider_organisation_id)
    return or_(*clauses) if clauses else false()
