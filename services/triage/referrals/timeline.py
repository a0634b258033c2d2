"""What a timeline entry shows to whom. Decline notes, free-text reasons and the names of
the people who acted are shown only to the organisation whose person wrote them and to the
RAP (the triagists covering the referral's region). Everyone else who may see the referral
sees what happened, when, with which reason code and at which location, and the part the
actor played ("Zorgaanbieder", "RAP", "Verwijzer") — never a colleague's name or note from
another organisation."""

from __future__ import annotations

from typing import Any

from services.triage.referrals.models import Referral, ReferralEvent
from services.triage.referrals.schemas import TimelineEntry
from shared.auth import Principal
from shared.contracts.referrals import TimelineDetail

# Detail keys that hold free text or people.
PRIVATE_DETAIL = frozenset({"note", "reason", "assignee", "previous"})
ROLE_LABELS = {"triagist": "RAP", "provider": "Zorgaanbieder", "referrer": "Verwijzer"}


def shown_in_full(principal: Principal, referral: Referral, event: ReferralEvent) -> bool:
    """Whether `principal` sees the entry's names and free text."""
    if event.actor_role == "system":
        return True
    if principal.has("triagist") and referral.region_code in principal.regions:
        return True
    return event.actor_organisation_id is not None and principal.belongs_to(
        event.actor_organisation_id
    )


def entry(principal: Principal, referral: Referral, event: ReferralEvent) -> TimelineEntry:
    """The entry as `principal` may see it."""
    said: dict[str, Any] = dict(event.detail or {})
    full = shown_in_full(principal, referral, event)
    if not full:
        said = {k: v for k, v in said.items() if k not in PRIVATE_DETAIL}
    return TimelineEntry(
        at=event.at,
        actor=event.actor_name if full else ROLE_LABELS.get(event.actor_role, "Zorgplek"),
        actor_id=event.actor if full else None,
        actor_role=event.actor_role,
        action=event.action,
        from_status=event.from_status,
        to_status=event.to_status,
        detail=TimelineDetail.model_validate(said),
    )
